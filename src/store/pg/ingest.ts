// The per-event write path on PostgreSQL: identity, attributes, users and the events themselves,
// inside one batch transaction (batcher.ts). Raw SQL through postgres-js tagged templates
// (prepared once per connection by the driver): this is the per-event path, as ../ingest.ts is
// on SQLite. The rules are shared (../identity.ts decides, this carries the decisions out).
// This module gives a batch its one ingest object; the work is in the modules it composes, all
// sharing the batch's state (batch.ts):
//   prefetch.ts      phase 1 below: locks, prefetch, then create-ahead.ts (new rows in bulk)
//   identities.ts    customers and users, insert-or-fetch, event by event (phase 2)
//   events.ts        events buffered, then inserted in one statement (phase 3)
//   row-merges.ts    attribute merges, applied under the row locks of phase 3
//
// Lock order (two nodes' batches must never wait on each other in a cycle, or PostgreSQL
// aborts one after deadlock_timeout, 1 s by default, of that node's only batch in flight).
// A batch takes its locks in three phases, each in one global order:
//   1. before anything else (lockIdentities, then prefetch): a transaction-scoped advisory
//      lock on every identifier its commands name (app + customerId, uid or email), in key
//      order (or, for a batch naming hundreds, on buckets of them: lockIdentities); then
//      every existing customer they name, and the accounts of the users they name, FOR
//      UPDATE in (app, pk) order; then the new customers and users its events will certainly
//      create (createAhead). From here no other batch can create, link or write those
//      customers, nor their users, until this one commits.
//   2. event by event: new customers and users (unique index entries nobody else can reach:
//      their identifiers are locked), emails and links on customers locked in phase 1.
//   3. before COMMIT: customers, then users FOR UPDATE in pk order (flushRows), the events
//      (in messageId order; their foreign keys' KEY SHARE locks fall on rows already held),
//      then the count tables, each in key order (counts.ts).
// A batch waits only on locks of its current phase or an earlier one, each phase taken in
// order, so no cycle forms. Before phase 1, user inserts (a KEY SHARE on their customer, in
// event order) and the events' insert (KEY SHARE on every customer, in messageId order) ran
// before phase 3's FOR UPDATE, and two nodes deadlocked a few times a second on hot customers
// (test/store/pg/lock-order.test.ts). What phase 1 can't name (a customer found only by email,
// or by a billing subscription moving between customers) is locked when met: rare, and a
// deadlock is still retried whole (retry.ts).
import type { Attributes } from "../../attributes";
import type { Command, EventSource, Identity, StoredEvent } from "../commands";
import type { CountSums } from "../counts";
import type { Resolved } from "../identity";
import { newPgBatch } from "./batch";
import type { PgTx } from "./batcher";
import { flushCounts } from "./counts";
import { eventIdByMessageId, flushEvents, prefetchMessageIds, writeEvent } from "./events";
import { newestCustomerOfUser, resolveCustomer, resolveUser } from "./identities";
import { lockAndPrefetch } from "./prefetch";
import { flushRows, updateCustomerAttributes, updateUserData } from "./row-merges";

/** `attempt`: the batch's transaction attempt (batcher.ts), 0 for the first. */
export function createPgIngest(tx: PgTx, sums: CountSums, attempt = 0) {
  const batch = newPgBatch(tx, sums, attempt);
  return {
    /** Phase 1, before the batch's commands run. */
    prepare: (commands: Command[], clock: () => number) => lockAndPrefetch(batch, commands, clock),
    resolveCustomer: (appId: string, identity: Identity, now: number) => resolveCustomer(batch, appId, identity, now),
    updateCustomerAttributes: (pk: number, update: { customerData?: Attributes; customerEmail?: string }, now: number) =>
      updateCustomerAttributes(batch, pk, update, now),
    resolveUser: (appId: string, customerPk: number, uid: string, now: number) => resolveUser(batch, appId, customerPk, uid, now),
    updateUserData: (pk: number, data: Attributes, now: number) => updateUserData(batch, pk, data, now),
    newestCustomerOfUser: (appId: string, uid: string) => newestCustomerOfUser(batch, appId, uid),
    usersByUid: async (appId: string, uid: string): Promise<{ pk: number }[]> =>
      [...(await tx<{ pk: number }[]>`SELECT pk FROM users WHERE app_id = ${appId} AND uid = ${uid}`)],
    eventIdByMessageId: (appId: string, messageId: string) => eventIdByMessageId(batch, appId, messageId),
    prefetchMessageIds: (appId: string, messageIds: string[]) => prefetchMessageIds(batch, appId, messageIds),
    writeEvent: (appId: string, event: StoredEvent, source: EventSource, now: number, resolved?: Resolved) =>
      writeEvent(batch, appId, event, source, now, resolved),
    /** Phase 3's first half alone: what billing must see merged before it merges its own. */
    flushRows: () => flushRows(batch),
    /**
     * Phase 3, before COMMIT (or before an erasure, so that it subtracts them too): pipelined,
     * the customers' and users' locks and merges, then the events' insert; then the counts.
     */
    async flush(): Promise<void> {
      await Promise.all([flushRows(batch), flushEvents(batch)]);
      await flushCounts(tx, sums);
    },
    /** After an erasure: the customers and users it removed must not be found in the caches. */
    forget(): void {
      batch.identities.customers.clear();
      batch.identities.users.clear();
    },
  };
}

export type PgIngest = ReturnType<typeof createPgIngest>;
