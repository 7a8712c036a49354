// Phase 1 of the lock order (ingest.ts, its header), before any command of the batch runs: the
// identifiers its commands name (lookups.ts) locked in key order, then the customers, users and
// messageIds they look up, at once, app by app in appId order (the customers locked FOR UPDATE),
// then the new customers and users made ahead (create-ahead.ts). One round trip for the locks
// and lookups: the statements are pipelined, so the order they are issued in is the order they
// lock in, and a change here that adds an `await` before a statement changes the lock order.
import type { Command } from "../commands";
import type { CustomerIdentity } from "../ingest";
import { appPkOf, compareKeys, remember, type PgBatch } from "./batch";
import { createAhead } from "./create-ahead";
import { messageIds, prefetchMessageIds } from "./events";
import { identityKeys, lookupsOf, type Lookup } from "./lookups";

/**
 * Locks and prefetches what the batch's commands name. New customers and users are made ahead
 * unless a command that finds customers its own way (erasure, billing) could meet one before
 * the event that makes it; `clock` gives their creation time.
 */
export async function lockAndPrefetch(batch: PgBatch, commands: Command[], clock: () => number): Promise<void> {
  const lookupsByApp = new Map<string, Lookup[]>();
  for (const command of commands) {
    const named = lookupsOf(command);
    if (named) lookupsByApp.set(named.appId, [...(lookupsByApp.get(named.appId) ?? []), ...named.events]);
  }
  const apps = [...lookupsByApp].sort(([a], [b]) => compareKeys(a, b));
  const keys = apps.flatMap(([appId, events]) => events.flatMap((event) => identityKeys(appId, event)));
  const createAt = commands.some((command) => command.type === "EraseCustomer" || command.type === "ApplyBilling") ? undefined : clock();
  await Promise.all([lockIdentities(batch, keys), ...apps.map(([appId, events]) => prefetch(batch, appId, events, createAt))]);
}

/** lockIdentities's bounds: a batch naming more identifiers than FINE_LOCKS locks buckets instead. */
const FINE_LOCKS = 256;
const IDENTITY_BUCKETS = 256;
// The buckets' advisory locks are the two-int4 kind, keyed "trkb" in ASCII: a key space apart
// from the identifiers' 64-bit ones (and from admin.ts's "apps").
const IDENTITY_BUCKET_SPACE = 0x74726b62;

function bucketOf(key: bigint): number {
  return Number(BigInt.asUintN(64, key) % BigInt(IDENTITY_BUCKETS));
}

/**
 * The first half of phase 1: a lock on each identifier, in key order. Issued before the
 * prefetches, so pipelined with them (one round trip).
 *
 * Advisory locks fill PostgreSQL's shared lock table (max_locks_per_transaction ×
 * max_connections slots, 6,400 by default), and a batch of bulk requests can name thousands
 * of identifiers: past a bound it would fail with "out of shared memory". So the locks come
 * in two levels. Each identifier also falls in one of IDENTITY_BUCKETS buckets. A batch that
 * names at most FINE_LOCKS identifiers takes its buckets shared, then each identifier
 * exclusively; a larger one takes its buckets exclusively, and nothing finer. Two small
 * batches meet only on a shared identifier; a large one excludes every batch naming an
 * identifier in its buckets. Buckets are taken before identifiers, each in key order, so the
 * order stays global, and no batch holds more than about 2 × FINE_LOCKS advisory locks.
 */
async function lockIdentities({ tx }: PgBatch, keys: bigint[]): Promise<void> {
  if (keys.length === 0) return;
  const ascending = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
  const fine = [...new Set(keys)].sort(ascending);
  const buckets = [...new Set(fine.map(bucketOf))].sort((a, b) => a - b);
  // unnest yields the array in order, so the locks are taken in that order. `execute()` sends
  // the statements now: a bare `await` of a query would send it a microtask later, after the
  // prefetch's statements issued in the same turn, and the rows would be locked first.
  if (fine.length > FINE_LOCKS) {
    await tx`SELECT count(pg_advisory_xact_lock(${IDENTITY_BUCKET_SPACE}::int4, b)) FROM unnest(${buckets}::int4[]) AS b`.execute();
    return;
  }
  await Promise.all([
    tx`SELECT count(pg_advisory_xact_lock_shared(${IDENTITY_BUCKET_SPACE}::int4, b)) FROM unnest(${buckets}::int4[]) AS b`.execute(),
    tx`SELECT count(pg_advisory_xact_lock(k)) FROM unnest(${fine.map(String)}::int8[]) AS k`.execute(),
  ]);
}

/**
 * Everything the batch's events will look up, in one round trip (pipelined statements): the
 * customers they name by customerId or uid and the accounts of the users they name (locked
 * FOR UPDATE in pk order: phase 1 of the lock order), those users, and their messageIds. Each
 * event then finds what exists in memory and goes to the database only for what is new.
 * Called for each app of the batch in appId order. With `createAt`, the new customers and
 * users that events will certainly create are then created (createAhead).
 */
async function prefetch(batch: PgBatch, appId: string, events: Lookup[], createAt?: number): Promise<void> {
  const { tx, identities } = batch;
  const unknown = (by: "customerId" | "uid", values: (string | undefined)[]) =>
    [...new Set(values.filter((value): value is string => value !== undefined && !identities.customers.has(`${appId}|${by}|${value}`)))];
  const customerIds = unknown("customerId", events.map((event) => event.customerId));
  const uids = unknown("uid", events.map((event) => event.uid));
  const userUids = [...new Set(events.flatMap((event) => (event.user ? [event.user.uid] : [])))];
  for (const value of customerIds) identities.absent.add(`${appId}|customerId|${value}`);
  for (const value of uids) identities.absent.add(`${appId}|uid|${value}`);
  for (const uid of userUids) identities.absentUserUids.add(`${appId}|${uid}`);
  const segmentIds = [...new Set(events.flatMap((event) => (event.segment && event.messageId !== undefined ? [event.messageId] : [])))];
  const segmentKnown = new Set<string>();
  await Promise.all([
    (customerIds.length > 0 || uids.length > 0 || userUids.length > 0) &&
      tx<CustomerIdentity[]>`SELECT pk, customer_id AS "customerId", uid FROM customers
        WHERE app_id = ${appId} AND (customer_id = ANY(${customerIds}::text[]) OR uid = ANY(${uids}::text[])
          OR pk IN (SELECT customer_pk FROM users WHERE app_id = ${appId} AND uid = ANY(${userUids}::text[])))
        ORDER BY pk FOR UPDATE`.then((rows) => rows.forEach((row) => identities.held.add(remember(batch, appId, row).pk))),
    userUids.length > 0 &&
      tx<{ pk: number; customerPk: number; uid: string }[]>`SELECT pk, customer_pk AS "customerPk", uid FROM users
        WHERE app_id = ${appId} AND uid = ANY(${userUids}::text[]) ORDER BY pk`.then((rows) => {
        for (const uid of userUids) identities.accounts.set(`${appId}|${uid}`, null);
        // In pk order, so the last one of a uid is its newest. Issued after the locking query:
        // a user another node added in between names a customer not met (looked up later).
        for (const row of rows) {
          identities.users.set(`${row.customerPk}|${row.uid}`, row.pk);
          const account = identities.byPk.get(row.customerPk);
          if (account) identities.accounts.set(`${appId}|${row.uid}`, account);
          else identities.accounts.delete(`${appId}|${row.uid}`);
        }
      }),
    prefetchMessageIds(batch, appId, messageIds(events)),
    // A Segment message is also a repeat if an identify or group had its messageId.
    createAt !== undefined &&
      segmentIds.length > 0 &&
      tx<{ messageId: string }[]>`SELECT message_id AS "messageId" FROM segment_messages WHERE app_id = ${appId} AND message_id = ANY(${segmentIds}::text[])`.then(
        (rows) => rows.forEach((row) => segmentKnown.add(row.messageId)),
      ),
    appPkOf(batch, appId),
  ]);
  if (createAt !== undefined) await createAhead(batch, appId, events, createAt, segmentKnown);
}
