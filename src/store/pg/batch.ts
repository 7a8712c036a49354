// What one batch transaction knows while its commands run: the one object the per-event
// modules (ingest.ts composes them) share. Three groups, each written by the modules named
// beside it and read by the others; all of it lives for one transaction attempt, so a batch
// retried whole (retry.ts) starts from nothing, as it must: what it knew was rolled back.
import type { Attributes } from "../../attributes";
import type { WriteResult } from "../commands";
import type { CountSums } from "../counts";
import type { CustomerIdentity, NewEventRow } from "../ingest";
import type { PgTx } from "./batcher";
import { RaceLost } from "./retry";

export interface PgBatch {
  tx: PgTx;
  /** The batch's transaction attempt (batcher.ts), 0 for the first: claim() waits only on a retry. */
  attempt: number;
  /** The count sums the events inserted add to (counts.ts writes them before COMMIT). */
  sums: CountSums;
  /** Customers and users: identities.ts, prefetch.ts and create-ahead.ts. */
  identities: KnownIdentities;
  /** Events and their messageIds: events.ts (prefetch.ts fills `stored`, create-ahead.ts reads it). */
  events: KnownEvents;
  /** Attribute merges and rows to lock before COMMIT: row-merges.ts (events.ts adds the rows it counts on). */
  rows: RowsToLock;
}

export interface KnownIdentities {
  // Found customers by `${appId}|customerId|value` and `${appId}|uid|value`: a customer's
  // customerId and uid, once set, never change, so a hit stays true for the batch (erasure
  // clears it). Misses are never kept: another node may create the customer any moment.
  customers: Map<string, CustomerIdentity>;
  /** users.pk by `${customerPk}|${uid}`. */
  users: Map<string, number>;
  // Customers (`${appId}|customerId|…`, `${appId}|uid|…`) and user uids (`${appId}|${uid}`)
  // that prefetch found missing: each trusted once, then looked up again.
  absent: Set<string>;
  absentUserUids: Set<string>;
  /** Customers this batch holds: locked in phase 1 of the lock order (ingest.ts), or created by it. */
  held: Set<number>;
  // Customers met by this batch, by pk; and the account of each user uid prefetched
  // (`${appId}|${uid}`): the customer of its newest user record, null when it has none. What
  // Segment's track without a groupId is counted on (newestCustomerOfUser), known without a
  // query per message; a user this batch creates becomes its uid's newest.
  byPk: Map<number, CustomerIdentity>;
  accounts: Map<string, CustomerIdentity | null>;
  /** Users created ahead by createAhead (`${customerPk}|${uid}`), not yet reached by their event. */
  createdAhead: Set<string>;
}

export interface KnownEvents {
  /** This batch's events by `${appId}|${messageId}`. */
  written: Map<string, PendingEvent>;
  /** Event ids found stored, by `${appId}|${messageId}`; "" for a messageId looked up and not found. */
  stored: Map<string, string>;
  /** The events waiting for the batch's one insert (flushEvents). */
  pending: PendingEvent[];
  /** apps.pk by public id (app-key.ts), looked up once per batch; only found apps are kept. */
  appPks: Map<string, number>;
}

export interface RowsToLock {
  /** Attribute merges waiting for flushRows, per row pk. */
  customerMerges: Map<number, Merges>;
  userMerges: Map<number, Merges>;
  /** The rows events were counted on. */
  touchedCustomers: Set<number>;
  touchedUsers: Set<number>;
}

/** An event row as SQLite's store inserts it, waiting for the batch's one insert. */
export interface PendingEvent extends NewEventRow {
  /** The public id beside apps.pk: the batch's in-memory keys use it. */
  appId: string;
  /** The result handed back: patched if another node stored the messageId first. */
  result: WriteResult;
  /** Results of later events of this batch with the same messageId. */
  repeats: WriteResult[];
}

export interface Merges {
  updates: Attributes[];
  now: number;
}

export function newPgBatch(tx: PgTx, sums: CountSums, attempt: number): PgBatch {
  return {
    tx,
    attempt,
    sums,
    identities: {
      customers: new Map(),
      users: new Map(),
      absent: new Set(),
      absentUserUids: new Set(),
      held: new Set(),
      byPk: new Map(),
      accounts: new Map(),
      createdAhead: new Set(),
    },
    events: { written: new Map(), stored: new Map(), pending: [], appPks: new Map() },
    rows: { customerMerges: new Map(), userMerges: new Map(), touchedCustomers: new Set(), touchedUsers: new Set() },
  };
}

/** Keeps a customer found or made, by its identifiers and its pk. */
export function remember({ identities }: PgBatch, appId: string, customer: CustomerIdentity): CustomerIdentity {
  if (customer.customerId !== null) identities.customers.set(`${appId}|customerId|${customer.customerId}`, customer);
  if (customer.uid !== null) identities.customers.set(`${appId}|uid|${customer.uid}`, customer);
  identities.byPk.set(customer.pk, customer);
  return customer;
}

/**
 * A customer met after phase 1 (found by email, or through a user another node gave it since
 * the prefetch): locked now, out of the global order. On a batch's first attempt without
 * waiting (NOWAIT): if another batch holds it, this one is retried, and its next prefetch
 * finds and locks that customer in order. On a retry it waits, so that a customer always busy
 * can't fail the batch; a deadlock then is still detected and retried.
 */
export async function claim({ tx, attempt, identities }: PgBatch, customer: CustomerIdentity): Promise<CustomerIdentity> {
  if (identities.held.has(customer.pk)) return customer;
  try {
    await (attempt === 0
      ? tx`SELECT 1 FROM customers WHERE pk = ${customer.pk} FOR UPDATE NOWAIT`
      : tx`SELECT 1 FROM customers WHERE pk = ${customer.pk} FOR UPDATE`);
  } catch (error) {
    // 55P03 lock_not_available.
    if ((error as { code?: string }).code === "55P03") throw new RaceLost(`customer ${customer.pk} is another batch's`);
    throw error;
  }
  identities.held.add(customer.pk);
  return customer;
}

/** apps.pk of a public app id, looked up once per batch. */
export async function appPkOf({ tx, events }: PgBatch, appId: string): Promise<number> {
  const known = events.appPks.get(appId);
  if (known !== undefined) return known;
  const [row] = await tx<{ pk: number }[]>`SELECT pk FROM apps WHERE id = ${appId}`;
  if (!row) return 0; // no app has pk 0: its events fail on their customer, as before
  events.appPks.set(appId, Number(row.pk));
  return Number(row.pk);
}

/** Strings in code-point order, nulls last: the order of apps and messageIds in the lock order. */
export function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
