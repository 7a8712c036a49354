import { existsSync } from "node:fs";
import { createAppsService } from "../apps/service";
import { UsageError, resolveSetting } from "../config";
import { openMigratedDatabase, type Db, type Durability } from "../db";
import type { AppRow } from "../db/schema";
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

/** The app, or the same error (exit 1) from every command. */
export function requireApp(db: Db, appId: string): AppRow {
  const app = createAppsService(db).findApp(appId);
  if (!app) throw new CommandError(`no app with id ${appId} (see 'trackd apps list')`);
  return app;
}
