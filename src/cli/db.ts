import { existsSync } from "node:fs";
import { UsageError, resolveSetting } from "../config";
import { closeDatabase, openMigratedDatabase, type Db, type Durability } from "../db";
import { createSqliteStore, type SqliteStore } from "../store/sqlite/store";
import type { AppRow, Store } from "../store/types";
import { Writer } from "../store/writer";
import type { DbTarget } from "../db/target";
import { CommandError } from "./args";

/**
 * Why a command that needs the store can't run on PostgreSQL yet (issue 19): the message names
 * the command, the database (without its password) and what does work there.
 */
export function pgStoreMissing(command: string, target: DbTarget & { kind: "postgres" }): CommandError {
  return new CommandError(
    `'trackd ${command}' does not run on PostgreSQL yet (${target.display}): it needs trackd's PostgreSQL store, which is not built yet (issue 19). ` +
      "On PostgreSQL, 'trackd migrate' and 'trackd migrate-to' work today; run this command against a SQLite file meanwhile.",
  );
}

/**
 * Opens the database named by --db / TRACKD_DB and brings its schema up to date. Commands
 * that only read or change existing data pass `mustExist`, so a mistyped path is an error
 * rather than a new empty database. Durability is "full" unless the command writes data
 * not worth an fsync per commit (generated data) and passes "normal". `command` names the
 * command in the message a PostgreSQL URL gets.
 */
export function openForCommand(
  values: { db?: string },
  env: Record<string, string | undefined>,
  options: { command: string; mustExist?: boolean; durability?: Durability },
): Db {
  const target = resolveSetting("db", values, env);
  if (target.kind === "postgres") throw pgStoreMissing(options.command, target);
  const { path } = target;
  if (options.mustExist && path !== ":memory:" && !existsSync(path)) {
    throw new UsageError(`no database at ${path} (create one with 'trackd apps create' or 'trackd serve')`);
  }
  return openMigratedDatabase(path, options.durability);
}

export interface CommandStore {
  db: Db;
  store: SqliteStore;
  /** Commits what is queued, then closes the database. */
  close(): void;
}

/**
 * The database as a store, for a command: its writes are the same typed commands the server
 * applies, through a writer of its own (a running server keeps its own, and SQLite's write
 * lock, BEGIN IMMEDIATE with busy_timeout, takes the two in turn).
 */
export function openStoreForCommand(
  values: { db?: string },
  env: Record<string, string | undefined>,
  options: { command: string; mustExist?: boolean; durability?: Durability },
): CommandStore {
  const db = openForCommand(values, env, options);
  const writer = new Writer(db);
  const store = createSqliteStore({ db, writer, clock: Date.now });
  return {
    db,
    store,
    close() {
      writer.close();
      closeDatabase(db);
    },
  };
}

/** Runs `run` on a command's store and closes it, whatever happens. */
export async function withStore<T>(
  values: { db?: string },
  env: Record<string, string | undefined>,
  run: (store: SqliteStore) => T | Promise<T>,
  options: { command: string; mustExist?: boolean; durability?: Durability },
): Promise<T> {
  const opened = openStoreForCommand(values, env, options);
  try {
    return await run(opened.store);
  } finally {
    opened.close();
  }
}

/** The app, or the same error (exit 1) from every command. */
export async function requireApp(store: Store, appId: string): Promise<AppRow> {
  const app = await store.credentials.app(appId);
  if (!app) throw new CommandError(`no app with id ${appId} (see 'trackd apps list')`);
  return app;
}
