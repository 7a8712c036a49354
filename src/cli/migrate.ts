// trackd migrate: bring a database's schema up to date and say what that took.
import { existsSync } from "node:fs";
import { resolveSetting } from "../config";
import { appliedMigrations, closeDatabase, migrateDatabase, openDatabase } from "../db";
import { dbOption, parseCommandArgs } from "./args";

export function migrateCommand(args: string[], env: Record<string, string | undefined>): number {
  const { values } = parseCommandArgs(args, dbOption);
  const path = resolveSetting("db", values, env);
  const existed = path === ":memory:" || existsSync(path);
  const db = openDatabase(path);
  try {
    const before = appliedMigrations(db);
    migrateDatabase(db);
    const after = appliedMigrations(db);
    const applied = `applied ${after - before} migration${after - before === 1 ? "" : "s"}`;
    if (!existed) console.log(`created ${path} and ${applied}`);
    else if (after === before) console.log(`${path} is up to date (${after} migrations applied before)`);
    else console.log(`${path}: ${applied} (${after} in all)`);
    return 0;
  } finally {
    closeDatabase(db);
  }
}
