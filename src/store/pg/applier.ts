// The PostgreSQL applier: the same typed commands (../commands.ts) with the same results as the
// SQLite applier (sqlite/applier.ts), run in batches by batcher.ts (one transaction per batch,
// one batch in flight per node, settled after COMMIT, retried whole when another node's
// transaction got in the way). What is backend-neutral is shared: identity decisions
// (../identity.ts), attribute merging (../../attributes.ts), the count sums (../counts.ts), the
// billing rules (../billing-rules.ts) and the Segment mapping (../segment-mapping.ts). Each
// module here says its SQL style: raw postgres-js templates on the per-event path and for
// erasure, retention and scores (as on SQLite), Drizzle for billing.
import type postgres from "postgres";
import type { AdminCommand, Applier, Command, CommandResults, ResultOf } from "../commands";
import { weightOf } from "../commands";
import { newCountSums } from "../counts";
import { applyMessage } from "../segment-mapping";
import { awaited, done, runAsync, type WriteSteps } from "../steps";
import type { WriterObserver } from "../writer";
import { createPgBilling } from "./billing";
import { pgAdminHandlers } from "./admin";
import { PgBatcher, type PgBatcherOptions, type PgTx } from "./batcher";
import { eraseCustomer } from "./erase";
import { messageIds } from "./events";
import { createPgIngest, type PgIngest } from "./ingest";
import { purgeRetention } from "./retention";

export interface PgApplierOptions extends PgBatcherOptions {
  sql: postgres.Sql;
  clock: () => number;
}

/** What a batch's commands share: its transaction, and its ingest (buffered events, summed counts). */
interface Context {
  tx: PgTx;
  ingest: PgIngest;
  billing: () => ReturnType<typeof createPgBilling>;
  prepare(commands: unknown[]): Promise<void>;
  finish(): Promise<void>;
}

/** The store's Applier (../commands.ts), with what the server needs to run and watch it. */
export interface PgApplier extends Applier {
  /** Batches and jobs committed, and batches retried after losing a race. */
  readonly stats: { batches: number; jobs: number; retries: number };
  observe(observer: WriterObserver): void;
  /** Events queued or in the batch being written. */
  readonly pending: number;
  /** Stops accepting commands and waits for those queued to commit. */
  close(): Promise<void>;
}

export function createPgApplier({ sql, clock, ...options }: PgApplierOptions): PgApplier {
  function contextFor(tx: PgTx, attempt: number): Context {
    const ingest = createPgIngest(tx, newCountSums(), attempt);
    let billing: ReturnType<typeof createPgBilling> | undefined;
    return {
      tx,
      ingest,
      billing: () => (billing ??= createPgBilling(tx, sql, clock)),
      // The lock order's phase 1 (prefetch.ts) before the batch's commands, phase 3 after them (ingest.ts).
      prepare: (commands) => ingest.prepare(commands as Command[], clock),
      finish: () => ingest.flush(),
    };
  }
  const batcher = new PgBatcher(sql, contextFor, options);

  // The administrative commands (apps, keys, accounts, sessions) need only the batch's transaction.
  const admin = Object.fromEntries(
    Object.entries(pgAdminHandlers).map(([type, handler]) => [type, (command: AdminCommand, { tx }: Context) => (handler as (tx: PgTx, command: AdminCommand) => Promise<unknown>)(tx, command)]),
  ) as unknown as { [T in AdminCommand["type"]]: (command: Extract<AdminCommand, { type: T }>, context: Context) => Promise<CommandResults[T]> };

  const run: { [T in Command["type"]]: (command: Extract<Command, { type: T }>, context: Context) => Promise<CommandResults[T]> } = {
    ...admin,
    async RecordEvents({ appId, source, events }, { ingest }) {
      await ingest.prefetchMessageIds(appId, messageIds(events));
      const results = [];
      for (const event of events) results.push(await ingest.writeEvent(appId, event, source, clock()));
      // The events are inserted with the whole batch's, before COMMIT (Context.finish).
      return results;
    },
    async UpdateCustomer({ appId, identity, customerData, customerEmail, user }, { ingest }) {
      const now = clock();
      const { customer, warnings } = await ingest.resolveCustomer(appId, identity, now);
      await ingest.updateCustomerAttributes(customer.pk, { customerData, customerEmail }, now);
      if (user) {
        const { pk } = await ingest.resolveUser(appId, customer.pk, user.uid, now);
        if (user.data) await ingest.updateUserData(pk, user.data, now);
      }
      return { customerPk: customer.pk, warnings };
    },
    async EraseCustomer({ appId, by, value }, { tx, ingest }) {
      // The counts this batch has gathered so far are written first, so erasure subtracts them too.
      await ingest.flush();
      const erased = await eraseCustomer(tx, appId, by, value);
      ingest.forget();
      return erased;
    },
    async SetScores({ changes }, { tx }) {
      if (changes.length === 0) return;
      const sorted = [...changes].sort((a, b) => a.pk - b.pk);
      await tx`UPDATE customers AS c SET health_score = v.score
        FROM unnest(${sorted.map((c) => c.pk)}::int8[], ${sorted.map((c) => c.score)}::int8[]) AS v(pk, score) WHERE c.pk = v.pk`;
    },
    async SaveHealthRun({ run }, { tx }) {
      await tx`INSERT INTO app_health_runs (app_id, median_breadth, customers_scored, duration_ms, computed_at)
        VALUES (${run.appId}, ${run.medianBreadth}, ${run.customersScored}, ${run.durationMs}, ${run.computedAt})
        ON CONFLICT (app_id) DO UPDATE SET median_breadth = excluded.median_breadth, customers_scored = excluded.customers_scored,
          duration_ms = excluded.duration_ms, computed_at = excluded.computed_at`;
    },
    PurgeRetention: ({ appId, horizon, limit }, { tx }) => purgeRetention(tx, appId, horizon, limit),
    async RecordKeyUse({ keyId, at }, { tx }) {
      // Only ever moves forward, whichever node writes last.
      await tx`UPDATE api_keys SET last_used_at = ${at} WHERE id = ${keyId} AND (last_used_at IS NULL OR last_used_at < ${at})`;
    },
    async ApplyBilling({ appId, changes, once }, context) {
      // Billing merges into customer attributes too: the merges waiting go first, in order.
      await context.ingest.flushRows();
      return context.billing()(appId, changes, once);
    },
    async ApplySegmentBatch({ appId, receivedAt, messages }, context) {
      // Which of the messages were applied before, looked up at once (events by messageId, identify
      // and group in segment_messages) rather than a query or two per message.
      const ids = messageIds(messages);
      const [known] = await Promise.all([
        ids.length === 0
          ? new Set<string>()
          : context.tx<{ messageId: string }[]>`SELECT message_id AS "messageId" FROM segment_messages
              WHERE app_id = ${appId} AND message_id = ANY(${ids}::text[])`.then((rows) => new Set(rows.map((row) => row.messageId))),
        context.ingest.prefetchMessageIds(appId, ids),
      ]);
      const steps = stepsFor(context, clock(), known);
      const outcomes = [];
      for (const message of messages) outcomes.push(await runAsync(applyMessage(steps, appId, message, receivedAt)));
      return outcomes;
    },
  };

  /**
   * The write steps for the Segment mapping: each awaits its statements (../steps.ts).
   * `known`: the command's messageIds applied before as identify or group (segment_messages).
   */
  function stepsFor({ tx, ingest }: Context, now: number, known: Set<string>): WriteSteps {
    return {
      writeEvent: (appId, event, source, resolved) => awaited(ingest.writeEvent(appId, event, source, clock(), resolved)),
      resolveCustomer: (appId, identity) => awaited(ingest.resolveCustomer(appId, identity, now)),
      updateCustomerAttributes: (pk, update) => awaited(ingest.updateCustomerAttributes(pk, update, now)),
      upsertUser: (appId, customerPk, input) =>
        awaited(
          (async () => {
            const user = await ingest.resolveUser(appId, customerPk, input.uid, now);
            if (input.data) await ingest.updateUserData(user.pk, input.data, now);
            return user;
          })(),
        ),
      updateUserData: (pk, data) => awaited(ingest.updateUserData(pk, data, now)),
      eventIdByMessageId: (appId, messageId) => awaited(ingest.eventIdByMessageId(appId, messageId)),
      newestCustomerOfUser: (appId, uid) => awaited(ingest.newestCustomerOfUser(appId, uid)),
      usersByUid: (appId, uid) => awaited(ingest.usersByUid(appId, uid)),
      isKnownMessage: (_appId, messageId) => done(known.has(messageId)),
      // A plain insert: a node that applied the same message meanwhile makes this a unique
      // race, and the batch runs again, finding the message known.
      recordMessage: ({ appId, messageId, type, receivedAt }) =>
        awaited(
          tx`INSERT INTO segment_messages (app_id, message_id, type, received_at) VALUES (${appId}, ${messageId}, ${type}, ${receivedAt})`.then(() => {
            known.add(messageId);
          }),
        ),
    };
  }

  return {
    apply<C extends Command>(command: C): Promise<ResultOf<C>> {
      // The map above is checked per command type; TypeScript cannot follow one through the generic.
      const handler = run[command.type] as unknown as (command: C, context: Context) => Promise<ResultOf<C>>;
      return batcher.submit((context) => handler(command, context), weightOf(command), command);
    },
    stats: batcher.stats,
    observe: batcher.observe.bind(batcher),
    get pending() {
      return batcher.pending;
    },
    close: () => batcher.close(),
  };
}
