// The counts kept at write time (see the tables in db/schema.ts), inside the writer's
// transaction, so they can never disagree with the events table. Per stored event: five
// upserts; on a customer's first event of a day, also the distinct-active-customer counts.
import { and, eq, gte, lt, ne, sql } from "drizzle-orm";
import type { Db } from "../db";
import { appActiveCustomers, appDailyCounts, appEventStats, customerDailyCounts, customerDailyTotals, customerEventStats } from "../db/schema";
import { dayOf, INTERVALS, periodOf } from "../periods";

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
  const perCustomerDayEvent = db
    .insert(customerDailyCounts)
    .values({ customerPk: p("customerPk"), appId: p("appId"), day: p("day"), event: p("event"), count: 1 })
    .onConflictDoUpdate({
      target: [customerDailyCounts.customerPk, customerDailyCounts.day, customerDailyCounts.event],
      set: { count: plusOne(customerDailyCounts.count) },
    })
    .prepare();
  // Returns the day's new total: 1 means this is the customer's first event of that day.
  const perCustomerDay = db
    .insert(customerDailyTotals)
    .values({ customerPk: p("customerPk"), appId: p("appId"), day: p("day"), count: 1 })
    .onConflictDoUpdate({ target: [customerDailyTotals.customerPk, customerDailyTotals.day], set: { count: plusOne(customerDailyTotals.count) } })
    .returning({ count: customerDailyTotals.count })
    .prepare();
  const perAppDay = db
    .insert(appDailyCounts)
    .values({ appId: p("appId"), day: p("day"), event: p("event"), count: 1 })
    .onConflictDoUpdate({
      target: [appDailyCounts.appId, appDailyCounts.day, appDailyCounts.event],
      set: { count: plusOne(appDailyCounts.count) },
    })
    .prepare();
  const activeOnAnotherDay = db
    .select({ day: customerDailyTotals.day })
    .from(customerDailyTotals)
    .where(
      and(
        eq(customerDailyTotals.customerPk, p("customerPk")),
        gte(customerDailyTotals.day, p("start")),
        lt(customerDailyTotals.day, p("end")),
        ne(customerDailyTotals.day, p("day")),
      ),
    )
    .limit(1)
    .prepare();
  const oneMoreActive = db
    .insert(appActiveCustomers)
    .values({ appId: p("appId"), interval: p("interval"), period: p("period"), customers: 1 })
    .onConflictDoUpdate({
      target: [appActiveCustomers.appId, appActiveCustomers.interval, appActiveCustomers.period],
      set: { customers: plusOne(appActiveCustomers.customers) },
    })
    .prepare();

  /** A customer's first event of `day`: newly active that day, and in its week and its month unless active on another of their days. */
  function countActive(appId: string, customerPk: number, day: number): void {
    for (const interval of INTERVALS) {
      const { start, end } = periodOf(day, interval);
      // A week can straddle two months: each period is checked on its own.
      if (interval !== "day" && activeOnAnotherDay.get({ customerPk, start, end, day })) continue;
      oneMoreActive.run({ appId, interval, period: start });
    }
  }

  return {
    count(row: { appId: string; customerPk: number; event: string; eventDate: number }): void {
      perCustomerEvent.run(row);
      perAppEvent.run(row);
      const daily = { ...row, day: dayOf(row.eventDate) };
      perCustomerDayEvent.run(daily);
      perAppDay.run(daily);
      if (perCustomerDay.get(daily)!.count === 1) countActive(row.appId, row.customerPk, daily.day);
    },
  };
}
