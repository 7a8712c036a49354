// The counts kept at write time (see the tables in db/schema.ts): four upserts per stored event,
// inside the writer's transaction, so they can never disagree with the events table.
import { sql } from "drizzle-orm";
import type { Db } from "../db";
import { appDailyCounts, appEventStats, customerDailyCounts, customerEventStats } from "../db/schema";

export const DAY_MS = 86_400_000;

/** The UTC day (days since the epoch) an event date falls on; the SQL backfill uses the same rule. */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

const p = sql.placeholder;
const plusOne = (column: { name: string }) => sql.raw(`"${column.name}" + 1`);

/** One more occurrence at excluded's date: the same update for per-customer and per-app stats. */
const oneMoreOccurrence = (table: typeof customerEventStats | typeof appEventStats) => ({
  count: plusOne(table.count),
  firstSeen: sql`min(${table.firstSeen}, excluded.first_seen)`,
  lastSeen: sql`max(${table.lastSeen}, excluded.last_seen)`,
});

export function createCounters(db: Db) {
  const occurrence = { appId: p("appId"), event: p("event"), count: 1, firstSeen: p("eventDate"), lastSeen: p("eventDate") };
  const perCustomerEvent = db
    .insert(customerEventStats)
    .values({ ...occurrence, customerPk: p("customerPk") })
    .onConflictDoUpdate({ target: [customerEventStats.customerPk, customerEventStats.event], set: oneMoreOccurrence(customerEventStats) })
    .prepare();
  const perAppEvent = db
    .insert(appEventStats)
    .values(occurrence)
    .onConflictDoUpdate({ target: [appEventStats.appId, appEventStats.event], set: oneMoreOccurrence(appEventStats) })
    .prepare();
  const perCustomerDay = db
    .insert(customerDailyCounts)
    .values({ customerPk: p("customerPk"), appId: p("appId"), day: p("day"), event: p("event"), count: 1 })
    .onConflictDoUpdate({
      target: [customerDailyCounts.customerPk, customerDailyCounts.day, customerDailyCounts.event],
      set: { count: plusOne(customerDailyCounts.count) },
    })
    .prepare();
  const perAppDay = db
    .insert(appDailyCounts)
    .values({ appId: p("appId"), day: p("day"), event: p("event"), count: 1 })
    .onConflictDoUpdate({
      target: [appDailyCounts.appId, appDailyCounts.day, appDailyCounts.event],
      set: { count: plusOne(appDailyCounts.count) },
    })
    .prepare();

  return {
    count(row: { appId: string; customerPk: number; event: string; eventDate: number }): void {
      perCustomerEvent.run(row);
      perAppEvent.run(row);
      const daily = { ...row, day: dayOf(row.eventDate) };
      perCustomerDay.run(daily);
      perAppDay.run(daily);
    },
  };
}
