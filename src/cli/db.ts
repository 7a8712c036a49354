import { resolveSetting } from "../config";
import { openMigratedDatabase, type Db } from "../db";

/** Every command opens the database named by --db / TRACKD_DB and brings its schema up to date. */
export function openForCommand(values: { db?: string }, env: Record<string, string | undefined>): Db {
  return openMigratedDatabase(resolveSetting("db", values, env));
}
