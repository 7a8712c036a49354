// A parity harness for the two appliers: the same commands through the SQLite applier and the
// PostgreSQL one, then their results and their tables compared once normalised (generated ids,
// row keys, booleans as 0/1, JSON as parsed values with sorted keys).
import { expect } from "bun:test";
import type postgres from "postgres";
import { INTERVALS, periodOf } from "../../../src/periods";
import { openMigratedDatabase, type Db } from "../../../src/db";
import { closePostgres, openPostgres, type PgDb } from "../../../src/db/postgres";
import type { Command, ResultOf } from "../../../src/store/commands";
import { createPgApplier, type PgApplier } from "../../../src/store/pg/applier";
import type { PgBatcherOptions } from "../../../src/store/pg/batcher";
import { createSqliteApplier } from "../../../src/store/sqlite/applier";
import { Writer } from "../../../src/store/writer";
import { freshDatabase } from "../../support/postgres";

export const T0 = Date.UTC(2026, 0, 15, 12);
export const DAY = 86_400_000;

export interface Backend {
  name: "sqlite" | "postgres";
  apply<C extends Command>(command: C): Promise<ResultOf<C>>;
  /** Rows of a query (SQL common to both dialects). */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /** The customer's pk in this backend. */
  pkOf(customerId: string): Promise<number>;
}

/** An app (app_1, with key key_1) in a fresh database of each backend, sharing one clock. */
export async function bothBackends(clock: () => number, cleanups: (() => Promise<void>)[]) {
  const sqliteDb = openMigratedDatabase(":memory:");
  const sqlite = createSqliteApplier({ db: sqliteDb, writer: new Writer(sqliteDb), clock });
  const { pg, applier } = await pgBackend(clock, cleanups);
  const app = "INSERT INTO apps (id, pk, name, signing_secret, created_at) VALUES ('app_1', 1, 'one', 's', 0)";
  const key = "INSERT INTO api_keys (id, app_id, secret_hash, created_at) VALUES ('key_1', 'app_1', '00', 0)";
  sqliteDb.$client.run(app);
  sqliteDb.$client.run(key);
  await pg.$client.unsafe(app);
  await pg.$client.unsafe(key);
  return [sqliteBackend(sqliteDb, sqlite), postgresBackend(pg, applier)] as const;
}

/** A fresh migrated PostgreSQL database and one node (pool + applier) on it. */
export async function pgBackend(clock: () => number, cleanups: (() => Promise<void>)[], options: PgBatcherOptions = {}) {
  const { url, drop } = await freshDatabase({ migrated: true });
  cleanups.push(drop);
  return { url, ...pgNode(url, clock, cleanups, options) };
}

/** Another node on the database at `url`: a pool and an applier of its own. */
export function pgNode(url: string, clock: () => number, cleanups: (() => Promise<void>)[], options: PgBatcherOptions = {}) {
  const pg = openPostgres(url);
  const applier = createPgApplier({ sql: pg.$client, clock, ...options });
  cleanups.push(() => closePostgres(pg), () => applier.close());
  return { pg, applier };
}

function sqliteBackend(db: Db, applier: ReturnType<typeof createSqliteApplier>): Backend {
  const rows = async (sql: string) => db.$client.query(sql).all() as Record<string, unknown>[];
  return {
    name: "sqlite",
    apply: (command) => applier.apply(command),
    rows,
    pkOf: async (customerId) => (await rows(`SELECT pk FROM customers WHERE customer_id = '${customerId}'`))[0]!.pk as number,
  };
}

export function postgresBackend(db: PgDb, applier: PgApplier): Backend {
  const rows = async (sql: string) => [...(await db.$client.unsafe(sql))] as Record<string, unknown>[];
  return {
    name: "postgres",
    apply: (command) => applier.apply(command),
    rows,
    pkOf: async (customerId) => (await rows(`SELECT pk FROM customers WHERE customer_id = '${customerId}'`))[0]!.pk as number,
  };
}

/** One batch: commands submitted together (one event-loop turn), or made from the backend (for its pks). */
export type Step = Command[] | ((backend: Backend) => Promise<Command[]>);

/** Runs the steps on each backend, and expects equal outcomes per command and equal tables after. */
export async function expectParity(backends: readonly Backend[], steps: Step[], setClock?: (step: number) => void) {
  const outcomes: unknown[][] = [];
  for (const backend of backends) {
    const ids = new Renamer("evt");
    const pks = new Renamer("pk");
    const mine: unknown[] = [];
    for (const [i, step] of steps.entries()) {
      setClock?.(i);
      const commands = typeof step === "function" ? await step(backend) : step;
      const settled = await Promise.allSettled(commands.map((command) => backend.apply(command)));
      for (const result of settled) {
        mine.push(result.status === "fulfilled" ? normalise(result.value, ids, pks) : { rejected: true });
      }
    }
    outcomes.push(mine);
  }
  expect(outcomes[1]).toEqual(outcomes[0]!);
  const tables = await Promise.all(backends.map(dumpTables));
  for (const [table, rows] of Object.entries(tables[0]!)) expect({ table, rows: tables[1]![table] }).toEqual({ table, rows });
  return { outcomes: outcomes[0]!, tables: tables[0]! };
}

class Renamer {
  private readonly names = new Map<unknown, string>();
  constructor(private readonly prefix: string) {}
  name(value: unknown): string {
    if (!this.names.has(value)) this.names.set(value, `${this.prefix}#${this.names.size}`);
    return this.names.get(value)!;
  }
}

function normalise(value: unknown, ids: Renamer, pks: Renamer): unknown {
  if (Array.isArray(value)) return value.map((item) => normalise(item, ids, pks));
  if (value === null || typeof value !== "object") return typeof value === "string" && value.startsWith("evt_") ? ids.name(value) : value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, key === "customerPk" || key === "pk" ? pks.name(item) : normalise(item, ids, pks)]),
  );
}

const JSON_COLUMNS = new Set(["data", "items", "discounts", "detail", "health_weights"]);
const BOOLEAN_COLUMNS = new Set(["verified", "cancel_at_period_end", "require_verified"]);

// Each table with its generated columns left out and its row keys replaced by what names them.
const CUSTOMER = "coalesce(customer_id, '') || '/' || coalesce(uid, '') || '/' || coalesce(email, '')";
const TABLES: Record<string, string> = {
  customers: "SELECT * FROM customers",
  users: `SELECT u.*, (SELECT ${CUSTOMER} FROM customers c WHERE c.pk = u.customer_pk) AS customer FROM users u`,
  events: `SELECT e.*, (SELECT ${CUSTOMER} FROM customers c WHERE c.pk = e.customer_pk) AS customer,
             (SELECT uid FROM users u WHERE u.pk = e.user_pk) AS user_uid FROM events e`,
  customer_event_stats: `SELECT s.*, (SELECT ${CUSTOMER} FROM customers c WHERE c.pk = s.customer_pk) AS customer FROM customer_event_stats s`,
  customer_daily_counts: `SELECT s.*, (SELECT ${CUSTOMER} FROM customers c WHERE c.pk = s.customer_pk) AS customer FROM customer_daily_counts s`,
  customer_daily_totals: `SELECT s.*, (SELECT ${CUSTOMER} FROM customers c WHERE c.pk = s.customer_pk) AS customer FROM customer_daily_totals s`,
  app_active_customers: "SELECT * FROM app_active_customers",
  app_daily_counts: "SELECT * FROM app_daily_counts",
  app_event_stats: "SELECT * FROM app_event_stats",
  subscriptions: `SELECT s.*, (SELECT ${CUSTOMER} FROM customers c WHERE c.pk = s.customer_pk) AS customer FROM subscriptions s`,
  billing_events: `SELECT b.*, (SELECT ${CUSTOMER} FROM customers c WHERE c.pk = b.customer_pk) AS customer,
             (SELECT subscription_id FROM subscriptions s WHERE s.pk = b.subscription_pk) AS subscription FROM billing_events b`,
  provider_events: "SELECT * FROM provider_events",
  segment_messages: "SELECT * FROM segment_messages",
  app_health_runs: "SELECT * FROM app_health_runs",
  api_keys: "SELECT id, last_used_at FROM api_keys",
};
const GENERATED = new Set(["pk", "seq", "id", "customer_pk", "user_pk", "subscription_pk"]);

export async function dumpTables(backend: Backend): Promise<Record<string, string[]>> {
  const dump: Record<string, string[]> = {};
  for (const [table, sql] of Object.entries(TABLES)) {
    const rows = await backend.rows(sql);
    dump[table] = rows
      .map((row) => {
        const clean: Record<string, unknown> = {};
        for (const [column, value] of Object.entries(row)) {
          if (GENERATED.has(column) && table !== "api_keys") continue;
          if (JSON_COLUMNS.has(column) && typeof value === "string") clean[column] = JSON.parse(value);
          else if (BOOLEAN_COLUMNS.has(column) && typeof value === "boolean") clean[column] = value ? 1 : 0;
          else clean[column] = value;
        }
        return JSON.stringify(sorted(clean));
      })
      .sort();
  }
  return dump;
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
  );
}

/** Every count table equals a GROUP BY over the events (EXCEPT both ways: empty when equal). */
export async function expectCountsMatchEvents(sql: postgres.Sql): Promise<void> {
  const mismatches = {
    customers: sql`(SELECT pk, event_count, first_seen, last_seen FROM customers WHERE event_count > 0
        EXCEPT SELECT customer_pk, count(*), min(event_date), max(event_date) FROM events GROUP BY 1)
      UNION ALL (SELECT customer_pk, count(*), min(event_date), max(event_date) FROM events GROUP BY 1
        EXCEPT SELECT pk, event_count, first_seen, last_seen FROM customers)`,
    users: sql`(SELECT pk, event_count FROM users EXCEPT SELECT user_pk, count(*) FROM events WHERE user_pk IS NOT NULL GROUP BY 1)
      UNION ALL (SELECT user_pk, count(*) FROM events WHERE user_pk IS NOT NULL GROUP BY 1 EXCEPT SELECT pk, event_count FROM users)`,
    customerEventStats: sql`(SELECT customer_pk, event, count, first_seen, last_seen FROM customer_event_stats
        EXCEPT SELECT customer_pk, event, count(*), min(event_date), max(event_date) FROM events GROUP BY 1, 2)
      UNION ALL (SELECT customer_pk, event, count(*), min(event_date), max(event_date) FROM events GROUP BY 1, 2
        EXCEPT SELECT customer_pk, event, count, first_seen, last_seen FROM customer_event_stats)`,
    customerDailyCounts: sql`(SELECT customer_pk, day, event, count FROM customer_daily_counts
        EXCEPT SELECT customer_pk, floor(event_date / 86400000)::int8, event, count(*) FROM events GROUP BY 1, 2, 3)
      UNION ALL (SELECT customer_pk, floor(event_date / 86400000)::int8, event, count(*) FROM events GROUP BY 1, 2, 3
        EXCEPT SELECT customer_pk, day, event, count FROM customer_daily_counts)`,
    customerDailyTotals: sql`(SELECT customer_pk, day, count FROM customer_daily_totals
        EXCEPT SELECT customer_pk, floor(event_date / 86400000)::int8, count(*) FROM events GROUP BY 1, 2)
      UNION ALL (SELECT customer_pk, floor(event_date / 86400000)::int8, count(*) FROM events GROUP BY 1, 2
        EXCEPT SELECT customer_pk, day, count FROM customer_daily_totals)`,
    appDailyCounts: sql`(SELECT day, event, count FROM app_daily_counts
        EXCEPT SELECT floor(event_date / 86400000)::int8, event, count(*) FROM events GROUP BY 1, 2)
      UNION ALL (SELECT floor(event_date / 86400000)::int8, event, count(*) FROM events GROUP BY 1, 2
        EXCEPT SELECT day, event, count FROM app_daily_counts)`,
    appEventStats: sql`(SELECT event, count, first_seen, last_seen FROM app_event_stats
        EXCEPT SELECT event, count(*), min(event_date), max(event_date) FROM events GROUP BY 1)
      UNION ALL (SELECT event, count(*), min(event_date), max(event_date) FROM events GROUP BY 1
        EXCEPT SELECT event, count, first_seen, last_seen FROM app_event_stats)`,
  };
  for (const [table, query] of Object.entries(mismatches)) expect({ table, rows: [...(await query)] }).toEqual({ table, rows: [] });

  // Distinct active customers per day, week and month, from the events.
  const days = await sql<{ customerPk: number; day: number }[]>`
    SELECT DISTINCT customer_pk AS "customerPk", floor(event_date / 86400000)::int8 AS day FROM events`;
  const expected: Record<string, number> = {};
  for (const interval of INTERVALS) {
    const seen = new Set(days.map(({ customerPk, day }) => `${interval}|${periodOf(day, interval).start}|${customerPk}`));
    for (const key of seen) {
      const period = key.split("|").slice(0, 2).join("|");
      expected[period] = (expected[period] ?? 0) + 1;
    }
  }
  const active = await sql<{ interval: string; period: number; customers: number }[]>`SELECT "interval", period, customers FROM app_active_customers`;
  expect(Object.fromEntries(active.map((row) => [`${row.interval}|${row.period}`, row.customers]))).toEqual(expected);
}
