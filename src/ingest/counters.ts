// The counts kept at write time (see the tables in db/schema.ts). Each stored event adds to
// them in memory; the writer flushes the sums inside the same transaction, before COMMIT (see
// Deferred in writer/), so they can never disagree with the events table, and a batch of 64
// events for a dozen names writes a dozen app-wide rows rather than 64.
import { and, eq, gte, lt, ne, sql } from "drizzle-orm";
import type { Db } from "../db";
import { appActiveCustomers, appDailyCounts, appEventStats, customerDailyCounts, customerDailyTotals, customerEventStats } from "../db/schema";
import { dayOf, INTERVALS, periodOf } from "../periods";
import type { Deferred } from "../writer";

const p = sql.placeholder;
const plus = (column: { name: string }) => sql.raw(`"${column.name}" + excluded."${column.name}"`);

/** Occurrences summed for an upsert: the count, and first/last seen where the table has them. */
type Sum = {
  count: number;
  firstSeen?: number;
  lastSeen?: number;
};

/** Rows summed over a batch by key, each written by one upsert when flushed. */
class Sums<R extends Sum> {
  private readonly rows = new Map<string, R>();
  constructor(private readonly write: (row: R) => void) {}

  add(key: string, row: R): void {
    const into = this.rows.get(key);
    if (!into) return void this.rows.set(key, row);
    into.count += row.count;
    if (row.firstSeen !== undefined) into.firstSeen = Math.min(into.firstSeen!, row.firstSeen);
    if (row.lastSeen !== undefined) into.lastSeen = Math.max(into.lastSeen!, row.lastSeen);
  }

  flush(): void {
    for (const row of this.rows.values()) this.write(row);
    this.rows.clear();
  }

  discard(): void {
    this.rows.clear();
  }
}

/** The update for per-customer and per-app stats: add the count, widen first/last seen. */
const moreOccurrences = (table: typeof customerEventStats | typeof appEventStats) => ({
  count: plus(table.count),
  firstSeen: sql`min(${table.firstSeen}, excluded.first_seen)`,
  lastSeen: sql`max(${table.lastSeen}, excluded.last_seen)`,
});

export function createCounters(db: Db): Deferred & { count(row: { appId: string; customerPk: number; event: string; eventDate: number }): void } {
  const occurrences = { appId: p("appId"), event: p("event"), count: p("count"), firstSeen: p("firstSeen"), lastSeen: p("lastSeen") };
  const perCustomerEvent = db
    .insert(customerEventStats)
    .values({ ...occurrences, customerPk: p("customerPk") })
    .onConflictDoUpdate({ target: [customerEventStats.customerPk, customerEventStats.event], set: moreOccurrences(customerEventStats) })
    .prepare();
  const perAppEvent = db
    .insert(appEventStats)
    .values(occurrences)
    .onConflictDoUpdate({ target: [appEventStats.appId, appEventStats.event], set: moreOccurrences(appEventStats) })
    .prepare();
  const perCustomerDayEvent = db
    .insert(customerDailyCounts)
    .values({ customerPk: p("customerPk"), appId: p("appId"), day: p("day"), event: p("event"), count: p("count") })
    .onConflictDoUpdate({
      target: [customerDailyCounts.customerPk, customerDailyCounts.day, customerDailyCounts.event],
      set: { count: plus(customerDailyCounts.count) },
    })
    .prepare();
  // Returns the day's new total: equal to what was added means the customer's first events of that day.
  const perCustomerDay = db
    .insert(customerDailyTotals)
    .values({ customerPk: p("customerPk"), appId: p("appId"), day: p("day"), count: p("count") })
    .onConflictDoUpdate({ target: [customerDailyTotals.customerPk, customerDailyTotals.day], set: { count: plus(customerDailyTotals.count) } })
    .returning({ count: customerDailyTotals.count })
    .prepare();
  const perAppDay = db
    .insert(appDailyCounts)
    .values({ appId: p("appId"), day: p("day"), event: p("event"), count: p("count") })
    .onConflictDoUpdate({ target: [appDailyCounts.appId, appDailyCounts.day, appDailyCounts.event], set: { count: plus(appDailyCounts.count) } })
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
      set: { customers: sql`${appActiveCustomers.customers} + 1` },
    })
    .prepare();

  /** A customer's first events of `day`: newly active that day, and in its week and its month unless active on another of their days. */
  function countActive(appId: string, customerPk: number, day: number): void {
    for (const interval of INTERVALS) {
      const { start, end } = periodOf(day, interval);
      // A week can straddle two months: each period is checked on its own.
      if (interval !== "day" && activeOnAnotherDay.get({ customerPk, start, end, day })) continue;
      oneMoreActive.run({ appId, interval, period: start });
    }
  }

  const sums = {
    perCustomerEvent: new Sums<Sum & { appId: string; customerPk: number; event: string }>((row) => perCustomerEvent.run(row)),
    perAppEvent: new Sums<Sum & { appId: string; event: string }>((row) => perAppEvent.run(row)),
    perCustomerDayEvent: new Sums<Sum & { appId: string; customerPk: number; day: number; event: string }>((row) => perCustomerDayEvent.run(row)),
    // Days are flushed one at a time, so each new day's check sees the days flushed before it.
    perCustomerDay: new Sums<Sum & { appId: string; customerPk: number; day: number }>((row) => {
      if (perCustomerDay.get(row)!.count === row.count) countActive(row.appId, row.customerPk, row.day);
    }),
    perAppDay: new Sums<Sum & { appId: string; day: number; event: string }>((row) => perAppDay.run(row)),
  };

  return {
    count({ appId, customerPk, event, eventDate }): void {
      const day = dayOf(eventDate);
      const occurrence = { count: 1, firstSeen: eventDate, lastSeen: eventDate };
      sums.perCustomerEvent.add(`${customerPk}|${event}`, { appId, customerPk, event, ...occurrence });
      sums.perAppEvent.add(`${appId}|${event}`, { appId, event, ...occurrence });
      sums.perCustomerDayEvent.add(`${customerPk}|${day}|${event}`, { appId, customerPk, day, event, count: 1 });
      sums.perCustomerDay.add(`${customerPk}|${day}`, { appId, customerPk, day, count: 1 });
      sums.perAppDay.add(`${appId}|${day}|${event}`, { appId, day, event, count: 1 });
    },
    flush(): void {
      for (const sum of Object.values(sums)) sum.flush();
    },
    discard(): void {
      for (const sum of Object.values(sums)) sum.discard();
    },
  };
}
