// trackd migrate: bring a database's schema up to date and say what that took.
import { existsSync } from "node:fs";
import { resolveSetting } from "../config";
import { appliedMigrations, closeDatabase, migrateDatabase, openDatabase } from "../db";
import { appliedPgMigrations, closePostgres, migratePostgres, openPostgres } from "../db/postgres";
import { scrubSecret, type DbTarget } from "../db/target";
import { CommandError, dbOption, parseCommandArgs } from "./args";

export async function migrateCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values } = parseCommandArgs(args, dbOption);
  const target = resolveSetting("db", values, env);
  if (target.kind === "postgres") return migratePg(target);
  const { path } = target;
  const existed = path === ":memory:" || existsSync(path);
  const db = openDatabase(path);
  try {
    const before = appliedMigrations(db);
    migrateDatabase(db);
    const after = appliedMigrations(db);
    report(path, before, after, existed);
    return 0;
  } finally {
    closeDatabase(db);
  }
}

function report(name: string, before: number, after: number, existed: boolean): void {
  const applied = `applied ${after - before} migration${after - before === 1 ? "" : "s"}`;
  if (!existed) console.log(`created ${name} and ${applied}`);
  else if (after === before) console.log(`${name} is up to date (${after} migrations applied before)`);
  else console.log(`${name}: ${applied} (${after} in all)`);
}

/** The same on PostgreSQL: the database itself must exist (trackd creates tables, not databases). */
async function migratePg(target: DbTarget & { kind: "postgres" }): Promise<number> {
  const db = openPostgres(target.url, { max: 2, pooler: target.pooler });
  try {
    const before = await appliedPgMigrations(db);
    await migratePostgres(db);
    report(target.display, before, await appliedPgMigrations(db), true);
    return 0;
  } catch (error) {
    throw new CommandError(`could not migrate PostgreSQL at ${target.display}: ${scrubSecret(target, (error as Error).message ?? String(error))}`);
  } finally {
    await closePostgres(db, 1);
  }
}
