// The counts kept at write time (see the tables in db/schema.ts): three upserts per stored event,
// inside the writer's transaction, so they can never disagree with the events table.
import { sql } from "drizzle-orm";
import type { Db } from "../db";
import { appDailyCounts, customerDailyCounts, customerEventStats } from "../db/schema";

export const DAY_MS = 86_400_000;

/** The UTC day (days since the epoch) an event date falls on; the SQL backfill uses the same rule. */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

const p = sql.placeholder;
const plusOne = (column: { name: string }) => sql.raw(`"${column.name}" + 1`);

export function createCounters(db: Db) {
  const perCustomerEvent = db
    .insert(customerEventStats)
    .values({ customerPk: p("customerPk"), appId: p("appId"), event: p("event"), count: 1, firstSeen: p("eventDate"), lastSeen: p("eventDate") })
    .onConflictDoUpdate({
      target: [customerEventStats.customerPk, customerEventStats.event],
      set: {
        count: plusOne(customerEventStats.count),
        firstSeen: sql`min(${customerEventStats.firstSeen}, excluded.first_seen)`,
        lastSeen: sql`max(${customerEventStats.lastSeen}, excluded.last_seen)`,
      },
    })
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
      const daily = { ...row, day: dayOf(row.eventDate) };
      perCustomerDay.run(daily);
      perAppDay.run(daily);
    },
  };
}
