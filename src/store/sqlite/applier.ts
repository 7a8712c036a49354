// The SQLite applier: runs typed commands (../commands.ts) as writer jobs, so each runs inside
// the writer's batch transaction (one per event-loop turn), all or nothing, and settles after
// COMMIT (../writer.ts). Identity resolution, messageId idempotency and the write-time counts
// happen here, on the statements of ../ingest.ts and ../counts.ts (raw SQL: the per-event path,
// measured in bench/README.md), and Segment's mapping onto customers (segment.ts). A job may run twice (the writer re-runs a batch with savepoints
// when one job throws), so nothing here has effects outside the database.
import { mergeAttributes, type Attributes } from "../../attributes";
import type { Db } from "../../db";
import type { Command, CommandResults, CustomerKey, EventSource, ResultOf, StoredEvent, UserChange, WriteResult } from "../commands";
import { weightOf } from "../commands";
import { createCounters } from "../counts";
import { createCustomerReads } from "../customers";
import { prepareErase } from "../erase";
import { attachUnverified, resolveCustomer, resolveUser, type Resolved } from "../identity";
import { createIngestStore, newEventRow } from "../ingest";
import { createCredentialsStore } from "../credentials";
import { preparePurge } from "../retention";
import { createScoreStore } from "../scores";
import type { Writer } from "../writer";
import { createSegmentStore } from "../segment";
import { createAdminHandlers } from "./admin";
import { createBillingApplier } from "./billing";
import { applyMessage } from "../segment-mapping";
import { done, runSync, type WriteSteps } from "../steps";

export function createSqliteApplier({ db, writer, clock }: { db: Db; writer: Writer; clock: () => number }) {
  const store = createIngestStore(db);
  const counters = createCounters(db);
  writer.defer(counters);
  const customers = createCustomerReads(db);
  const erase = prepareErase(db);
  const purge = preparePurge(db);
  const scores = createScoreStore(db);
  const credentials = createCredentialsStore(db);
  const segment = createSegmentStore(db);
  const applyBilling = createBillingApplier(db, clock);
  const admin = createAdminHandlers(db);

  function updateCustomerAttributes(pk: number, update: { customerData?: Attributes; customerEmail?: string }, now: number): void {
    if (update.customerData === undefined && update.customerEmail === undefined) return;
    const current = store.customerAttributes(pk);
    store.setCustomerAttributes({
      pk,
      data: update.customerData ? mergeAttributes(current.data, update.customerData) : current.data,
      email: update.customerEmail ?? current.email,
      now,
    });
  }

  function updateUserData(pk: number, data: Attributes, now: number): void {
    store.setUserData({ pk, data: mergeAttributes(store.userData(pk), data), now });
  }

  /** Finds or creates the B2B user and merges its attributes. */
  function upsertUser(appId: string, customerPk: number, input: UserChange, now: number): { pk: number } {
    const user = resolveUser(store, appId, customerPk, input.uid, now);
    if (input.data) updateUserData(user.pk, input.data, now);
    return user;
  }

  function writeEvent(appId: string, event: StoredEvent, source: EventSource, resolved?: Resolved): WriteResult {
    const appPk = store.appPk(appId);
    if (event.messageId !== undefined) {
      // Idempotency is permanent, not windowed: the unique index keeps every messageId.
      const original = store.eventIdByMessageId(appPk, event.messageId);
      if (original) return { id: original, duplicate: true, warnings: [] };
    }
    const now = clock();
    const { customer, warnings } = resolved ?? (event.verified ? resolveCustomer : attachUnverified)(store, appId, event, now);
    updateCustomerAttributes(customer.pk, { customerData: event.customerData }, now);
    // An event's email fills a gap but never replaces one: /customer-update does that.
    if (event.customerEmail !== undefined && event.verified) store.fillCustomerEmail(customer.pk, event.customerEmail, now);
    const user = event.user ? upsertUser(appId, customer.pk, event.user, now) : null;
    const id = `evt_${Bun.randomUUIDv7()}`;
    store.insertEvent(newEventRow(event, { id, appPk, customerPk: customer.pk, userPk: user?.pk ?? null }, source, now));
    counters.count({ appPk, customerPk: customer.pk, userPk: user?.pk ?? null, event: event.event, eventDate: event.eventDate });
    return { id, duplicate: false, warnings };
  }

  function findCustomer(appId: string, by: CustomerKey, value: string) {
    const query = { customerId: customers.byCustomerId, uid: customers.byUid, email: customers.byEmail }[by];
    return query.get({ appId, value });
  }

  /** Runs inside the writer's transaction. */
  const run: { [T in Command["type"]]: (command: Extract<Command, { type: T }>) => CommandResults[T] } = {
    ...admin,
    RecordEvents: ({ appId, source, events }) => events.map((event) => writeEvent(appId, event, source)),
    UpdateCustomer({ appId, identity, customerData, customerEmail, user }) {
      const now = clock();
      const { customer, warnings } = resolveCustomer(store, appId, identity, now);
      updateCustomerAttributes(customer.pk, { customerData, customerEmail }, now);
      if (user) upsertUser(appId, customer.pk, user, now);
      return { customerPk: customer.pk, warnings };
    },
    EraseCustomer({ appId, by, value }) {
      // The counts this batch has gathered so far are written first, so erasure subtracts them too.
      writer.flushDeferred();
      const customer = findCustomer(appId, by, value);
      if (!customer) return null;
      return { customer: { customerId: customer.customerId, uid: customer.uid, email: customer.email }, ...erase(appId, customer.pk) };
    },
    SetScores: ({ changes }) => scores.setScores(changes),
    SaveHealthRun: ({ run }) => scores.saveRun(run),
    PurgeRetention: ({ appId, horizon, limit }) => purge(appId, horizon, limit),
    RecordKeyUse: ({ keyId, at }) => credentials.touchKey(keyId, at),
    ApplyBilling: ({ appId, changes, once }) => applyBilling(appId, changes, once),
    ApplySegmentBatch: ({ appId, receivedAt, messages }) => {
      const steps = stepsAt(clock());
      return messages.map((message) => runSync(applyMessage(steps, appId, message, receivedAt)));
    },
  };

  /** The write steps for the Segment mapping: SQLite's never wait (../steps.ts). */
  function stepsAt(now: number): WriteSteps {
    return {
      writeEvent: (appId, event, source, resolved) => done(writeEvent(appId, event, source, resolved)),
      resolveCustomer: (appId, identity) => done(resolveCustomer(store, appId, identity, now)),
      updateCustomerAttributes: (pk, update) => done(updateCustomerAttributes(pk, update, now)),
      upsertUser: (appId, customerPk, input) => done(upsertUser(appId, customerPk, input, now)),
      updateUserData: (pk, data) => done(updateUserData(pk, data, now)),
      eventIdByMessageId: (appId, messageId) => done(store.eventIdByMessageId(store.appPk(appId), messageId)),
      newestCustomerOfUser: (appId, uid) => done(store.newestCustomerOfUser(appId, uid)),
      usersByUid: (appId, uid) => done(store.usersByUid(appId, uid)),
      isKnownMessage: (appId, messageId) => done(segment.isKnown(appId, messageId)),
      recordMessage: (row) => done(void segment.record(row)),
    };
  }

  return {
    apply<C extends Command>(command: C): Promise<ResultOf<C>> {
      // The map above is checked per command type; TypeScript cannot follow one through the generic.
      const handler = run[command.type] as unknown as (command: C) => ResultOf<C>;
      return writer.submit(() => handler(command), weightOf(command));
    },
  };
}

export type SqliteApplier = ReturnType<typeof createSqliteApplier>;
