// Test-only: every row of a SQLite database copied into a migrated, empty PostgreSQL one, table
// by table in foreign-key order, through each dialect's Drizzle schema (so JSON, booleans and
// keys arrive as the SQLite store reads them). trackd migrate-to is the real tool; this stays
// small so that the parity tests depend on nothing but the two schemas.
import type { Db } from "../../../src/db";
import type { PgDb } from "../../../src/db/postgres";
import * as lite from "../../../src/db/schema";
import * as pg from "../../../src/db/schema.pg";

const TABLES = [
  "apps",
  "apiKeys",
  "customers",
  "users",
  "events",
  "customerEventStats",
  "customerDailyCounts",
  "customerDailyTotals",
  "appActiveCustomers",
  "appDailyCounts",
  "appEventStats",
  "subscriptions",
  "billingEvents",
  "providerEvents",
  "segmentMessages",
  "appHealthRuns",
  "dashboardUsers",
  "dashboardSessions",
] as const;

export async function copySqliteToPg(from: Db, to: PgDb): Promise<Record<string, number>> {
  const copied: Record<string, number> = {};
  for (const name of TABLES) {
    // Each pair has the same columns (test/db/schema-parity.test.ts): the rows fit both.
    const rows = from.select().from(lite[name]).all() as Record<string, unknown>[];
    for (let i = 0; i < rows.length; i += 500) await to.insert(pg[name]).values(rows.slice(i, i + 500) as never);
    copied[name] = rows.length;
  }
  await to.$client`ANALYZE`;
  return copied;
}
