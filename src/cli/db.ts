import { existsSync } from "node:fs";
import { createAppsService } from "../apps/service";
import { UsageError, resolveSetting } from "../config";
import { openMigratedDatabase, type Db, type Durability } from "../db";
import type { AppRow } from "../db/schema";
import { CommandError } from "./args";

/**
 * Opens the database named by --db / TRACKD_DB and brings its schema up to date. Commands
 * that only read or change existing data pass `mustExist`, so a mistyped path is an error
 * rather than a new empty database. Durability is "full" unless the command writes data
 * not worth an fsync per commit (generated data) and passes "normal".
 */
export function openForCommand(
  values: { db?: string },
  env: Record<string, string | undefined>,
  options: { mustExist?: boolean; durability?: Durability } = {},
): Db {
  const path = resolveSetting("db", values, env);
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
