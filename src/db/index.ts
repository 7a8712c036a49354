import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import * as schema from "./schema";

export type Durability = "full" | "normal";
export type Db = BunSQLiteDatabase<typeof schema> & { $client: Database };

// Inside the compiled binary the folder passed with --asset=drizzle sits beside the entry
// module; in a source run it is the repository's drizzle/ folder.
const migrationsFolder = Bun.isStandaloneExecutable
  ? join(import.meta.dir, "drizzle")
  : join(import.meta.dir, "..", "..", "drizzle");

/** Opens (creating the parent folder) and configures a database. `:memory:` is allowed. */
export function openDatabase(path: string, durability: Durability = "full"): Db {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const client = new Database(path, { create: true, strict: true });
  // WAL lets readers proceed while the writer commits; FULL syncs the WAL on every commit so an
  // acknowledged write survives power loss, NORMAL only survives a process crash.
  client.run("PRAGMA journal_mode = WAL");
  client.run(`PRAGMA synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
  client.run("PRAGMA busy_timeout = 5000");
  client.run("PRAGMA foreign_keys = ON");
  client.run("PRAGMA temp_store = MEMORY");
  // Each commit dirties pages all over the per-customer index and the customer rows; a 32 MB
  // page cache (SQLite's default is 2 MB) keeps them in memory. 64 MB was no faster under bulk
  // load and its peak RSS was ~30 MB higher (208-215 MB against 177-181). The server's
  // checkpoints happen off this connection (checkpoint.ts).
  client.run("PRAGMA cache_size = -32768");
  return drizzle({ client, schema }) as Db;
}

export function migrateDatabase(db: Db): void {
  migrate(db, { migrationsFolder });
}

/** Closes the connection; `finalize` also finalizes every statement (else the connection lingers open). */
export function closeDatabase(db: Db, finalize = false): void {
  db.$client.close(finalize);
}

/** Rows in Drizzle's own journal table; 0 before the first migration creates it. */
export function appliedMigrations(db: Db): number {
  const client = db.$client;
  const table = client.query("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'").get();
  return table ? (client.query("select count(*) as n from __drizzle_migrations").get() as { n: number }).n : 0;
}

/** The usual pair: open and bring the schema up to date. */
export function openMigratedDatabase(path: string, durability: Durability = "full"): Db {
  const db = openDatabase(path, durability);
  migrateDatabase(db);
  return db;
}
