// trackd migrate: bring a database's schema up to date and say what that took.
import type { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { resolveSetting } from "../config";
import { migrateDatabase, openDatabase } from "../db";
import { dbOption, parseCommandArgs } from "./args";

export function migrateCommand(args: string[], env: Record<string, string | undefined>): number {
  const { values } = parseCommandArgs(args, dbOption);
  const path = resolveSetting("db", values, env);
  const existed = path === ":memory:" || existsSync(path);
  const db = openDatabase(path);
  try {
    const before = appliedMigrations(db.$client);
    migrateDatabase(db);
    const after = appliedMigrations(db.$client);
    const applied = `applied ${after - before} migration${after - before === 1 ? "" : "s"}`;
    if (!existed) console.log(`created ${path} and ${applied}`);
    else if (after === before) console.log(`${path} is up to date (${after} migrations applied before)`);
    else console.log(`${path}: ${applied} (${after} in all)`);
    return 0;
  } finally {
    db.$client.close();
  }
}

/** Rows in Drizzle's own journal table; 0 before the first migration creates it. */
function appliedMigrations(client: Database): number {
  const table = client.query("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'").get();
  return table ? (client.query("select count(*) as n from __drizzle_migrations").get() as { n: number }).n : 0;
}
