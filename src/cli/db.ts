import { existsSync } from "node:fs";
import { UsageError, resolveSetting } from "../config";
import { closeDatabase, openMigratedDatabase, type Durability } from "../db";
import { BackendError, openBackend } from "../db/backend";
import { createPgStore } from "../store/pg/store";
import { createSqliteStore } from "../store/sqlite/store";
import type { AppRow, Store } from "../store/types";
import { Writer } from "../store/writer";
import type { DbTarget } from "../db/target";
import { CommandError } from "./args";

/**
 * Opens the database named by --db / TRACKD_DB as a store and brings its schema up to date:
 * a SQLite file, or a PostgreSQL database (postgres://…, migrated under the migration lock, as a
 * node does). Its writes are the same typed commands the server applies, through an applier of
 * the command's own (on SQLite, a running server keeps its own writer, and SQLite's write lock,
 * BEGIN IMMEDIATE with busy_timeout, takes the two in turn; on PostgreSQL, every node's cache
 * learns of a key or app changed here within --pg-cache-poll). Commands that only read or change
 * existing data pass `mustExist`, so a mistyped SQLite path is an error rather than a new empty
 * database. Durability is "full" unless the command writes data not worth an fsync per commit
 * (generated data) and passes "normal". `command` names the command in error messages.
 */
export async function openStoreForCommand(
  values: { db?: string },
  env: Record<string, string | undefined>,
  options: { command: string; mustExist?: boolean; durability?: Durability },
): Promise<CommandStore> {
  const target = resolveSetting("db", values, env);
  if (target.kind === "postgres") return openPgStoreForCommand(target, options);
  const { path } = target;
  if (options.mustExist && path !== ":memory:" && !existsSync(path)) {
    throw new UsageError(`no database at ${path} (create one with 'trackd apps create' or 'trackd serve')`);
  }
  const db = openMigratedDatabase(path, options.durability);
  const writer = new Writer(db);
  const store = createSqliteStore({ db, writer, clock: Date.now });
  return {
    store,
    async close() {
      writer.close();
      closeDatabase(db);
    },
  };
}

export interface CommandStore {
  store: Store;
  /** Commits what is queued, then closes the database. */
  close(): Promise<void>;
}

async function openPgStoreForCommand(target: DbTarget & { kind: "postgres" }, options: { command: string; durability?: Durability }): Promise<CommandStore> {
  let backend;
  try {
    backend = await openBackend(target, { durability: options.durability, pgPool: 4 });
  } catch (error) {
    if (error instanceof BackendError) throw new CommandError(`trackd ${options.command}: ${error.message}`);
    throw error;
  }
  // A command lives for moments: no LISTEN connection, the version poll alone (unref'd).
  const store = await createPgStore({ db: backend.db, clock: Date.now, listen: false });
  return { store, close: () => store.close() };
}

/** Runs `run` on a command's store and closes it, whatever happens. */
export async function withStore<T>(
  values: { db?: string },
  env: Record<string, string | undefined>,
  run: (store: Store) => T | Promise<T>,
  options: { command: string; mustExist?: boolean; durability?: Durability },
): Promise<T> {
  const opened = await openStoreForCommand(values, env, options);
  try {
    return await run(opened.store);
  } finally {
    await opened.close();
  }
}

/** The app, or the same error (exit 1) from every command. */
export async function requireApp(store: Store, appId: string): Promise<AppRow> {
  const app = await store.credentials.app(appId);
  if (!app) throw new CommandError(`no app with id ${appId} (see 'trackd apps list')`);
  return app;
}
