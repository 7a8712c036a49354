// PostgreSQL plumbing (issue 19): open a pool, migrate under a lock, close. backend.ts opens
// either database through here or index.ts.
//
// Driver: drizzle-orm/postgres-js with the `postgres` package. Measured here on drizzle-orm
// 0.45.4 and PostgreSQL 15: drizzle-orm/bun-sql stores a jsonb value as a JSON *string*
// (jsonb_typeof = 'string', so `data ->> 'name'` is NULL: drizzle-orm#4942) and Bun's SQL
// returns int8 as strings; postgres-js stores jsonb as objects and, through the bigint
// "number" columns of schema.pg.ts, reads ms timestamps back as numbers
// (test/db/postgres.test.ts). Raw aggregates (sum, count) still arrive as strings from
// postgres-js: a store casts them (::int) or converts them where it reads them.
import { join } from "node:path";
import postgres from "postgres";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import type { Durability } from "./index";
import * as schema from "./schema.pg";

export type PgDb = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };

// Inside the compiled binary the folder passed with --asset=drizzle-pg sits beside the entry
// module; in a source run it is the repository's drizzle-pg/ folder.
const migrationsFolder = Bun.isStandaloneExecutable
  ? join(import.meta.dir, "drizzle-pg")
  : join(import.meta.dir, "..", "..", "drizzle-pg");

// The advisory lock every trackd node takes to migrate: "trackd" in ASCII, so it is
// recognisable in pg_locks and unlikely to collide with another application's key.
export const MIGRATION_LOCK_KEY = 0x747261636b64;

export interface PgOptions {
  /** Connections in the pool; at least 2, since migrating holds one for the lock. */
  max?: number;
  /**
   * "normal" sets synchronous_commit = off for every session of the pool: a commit returns
   * before its WAL reaches disk, so a crash of the database server (not of trackd) can lose the
   * last few hundred milliseconds of acknowledged writes, never corrupt anything. This is what
   * --durability normal means on SQLite too (synchronous=NORMAL). "full" keeps the server's
   * setting (on by default). A startup parameter: a PgBouncer in transaction mode must list it
   * in ignore_startup_parameters, or refuses the connection: behind a transaction pooler it is
   * not sent, and the store sets it per batch instead (store/pg/store.ts).
   */
  durability?: Durability;
  /**
   * "transaction": the pool talks to a transaction-mode pooler (the --db URL's
   * ?pooler=transaction, db/target.ts), where each transaction may run on another server
   * session. Named prepared statements would then be missing on the next session (PgBouncer
   * before 1.21 answers "prepared statement … does not exist"), so none are made (postgres-js's
   * `prepare: false`, one more parse per statement on the server); and no session setting is
   * sent at startup. LISTEN is the caller's to leave out (store/pg/store.ts), and the migration
   * lock is transaction-scoped anyway (migratePostgres).
   */
  pooler?: "transaction";
}

/** A pool on `url` (postgres://user:pass@host:port/db). Connects lazily, on the first query. */
export function openPostgres(url: string, options: PgOptions = {}): PgDb {
  const pooled = options.pooler === "transaction";
  const client = postgres(url, {
    max: Math.max(2, options.max ?? 10),
    prepare: !pooled,
    connection: { application_name: "trackd", ...(options.durability === "normal" && !pooled ? { synchronous_commit: "off" } : {}) },
    // The migrator's `CREATE SCHEMA IF NOT EXISTS` raises NOTICEs that postgres-js would print.
    onnotice: () => {},
    // int8 (bigint columns, count(*)) as JS numbers, as Drizzle's "number" columns and bun:sqlite
    // give them: the store's raw statements read ms times, pks and counts directly. Exact below
    // 2^53, which ms times, row keys and counts stay under. Aggregates of type numeric (sum)
    // still come back as strings: cast them where read.
    types: { int8: { to: 20, from: [20], serialize: (value: number | bigint | string) => String(value), parse: Number } },
  });
  return drizzle({ client, schema }) as PgDb;
}

/**
 * Brings the schema up to date once, however many nodes start together: all of it in one
 * transaction that first takes a transaction-scoped advisory lock, so the nodes that waited
 * find nothing left to apply (Drizzle's migrator skips what __drizzle_migrations already
 * holds). Transaction-scoped rather than a session lock: it needs no session of its own, so it
 * works through a transaction-mode pooler too, where a session lock taken by one statement
 * would stay on whichever server connection ran it, and its unlock run on another.
 */
export async function migratePostgres(db: PgDb): Promise<void> {
  const pool = db.$client;
  await pool.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}::bigint)`;
    // Drizzle on this transaction: its queries go through `unsafe`, and its own transaction
    // around the migrations becomes a savepoint in this one.
    const client = { unsafe: tx.unsafe.bind(tx), begin: tx.savepoint.bind(tx), options: pool.options } as unknown as postgres.Sql;
    await migrate(drizzle({ client, schema }), { migrationsFolder });
  });
}

/** Closes the pool, letting running queries finish for up to `timeoutSeconds`. */
export async function closePostgres(db: PgDb, timeoutSeconds = 5): Promise<void> {
  await db.$client.end({ timeout: timeoutSeconds });
}

/** Rows in Drizzle's journal table (schema "drizzle"); 0 before the first migration creates it. */
export async function appliedPgMigrations(db: PgDb): Promise<number> {
  // Two statements: PostgreSQL resolves every table a statement names before running any of it.
  const [table] = await db.$client`select to_regclass('drizzle.__drizzle_migrations') is not null as present`;
  if (!table?.present) return 0;
  const [row] = await db.$client<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
  return row!.n;
}
