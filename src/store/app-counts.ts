// Reads of the app-wide counts kept at write time (db/schema.ts: app_daily_counts,
// app_active_customers, app_event_stats; customer_daily_counts for one event's distinct
// customers, customer_event_stats for how many customers did each name, customers.health_score
// per grade). Drizzle prepared statements: these run once per chart, where the builder's ~1 µs
// a call (bench/README.md) is nothing, and the typed rows come for free. The writes to these
// tables are in counts.ts (raw SQL, per event), erase.ts and retention.ts.
import { and, asc, desc, eq, gte, lt, sql } from "drizzle-orm";
import type { Db } from "../db";
import { appActiveCustomers, appDailyCounts, appEventStats, customerDailyCounts, customerEventStats, customers } from "../db/schema";
import { GRADE_RANGES } from "../grades";
import { appPkOf } from "./app-key";

const p = sql.placeholder;

export function createAppCountReads(db: Db) {
  const dailyCounts = db
    .select({ day: appDailyCounts.day, event: appDailyCounts.event, count: appDailyCounts.count })
    .from(appDailyCounts)
    .where(and(eq(appDailyCounts.appPk, appPkOf(p("appId"))), gte(appDailyCounts.day, p("fromDay")), lt(appDailyCounts.day, p("toDay"))))
    .prepare();
  const dailyCountsOfEvent = db
    .select({ day: appDailyCounts.day, event: appDailyCounts.event, count: appDailyCounts.count })
    .from(appDailyCounts)
    .where(
      and(
        eq(appDailyCounts.appPk, appPkOf(p("appId"))),
        eq(appDailyCounts.event, p("event")),
        gte(appDailyCounts.day, p("fromDay")),
        lt(appDailyCounts.day, p("toDay")),
      ),
    )
    .prepare();
  // Distinct customers can't be summed across days: all events' are kept per period at write
  // time; one event name's are counted per bucket along the (app_pk, day, customer_pk) index.
  const activeCustomers = db
    .select({ period: appActiveCustomers.period, customers: appActiveCustomers.customers })
    .from(appActiveCustomers)
    .where(
      and(
        eq(appActiveCustomers.appPk, appPkOf(p("appId"))),
        eq(appActiveCustomers.interval, p("interval")),
        gte(appActiveCustomers.period, p("fromDay")),
        lt(appActiveCustomers.period, p("toDay")),
      ),
    )
    .prepare();
  const activeCustomersOfEvent = db
    .select({ count: sql<number>`count(distinct ${customerDailyCounts.customerPk})` })
    .from(customerDailyCounts)
    .where(
      and(
        eq(customerDailyCounts.appPk, appPkOf(p("appId"))),
        gte(customerDailyCounts.day, p("fromDay")),
        lt(customerDailyCounts.day, p("toDay")),
        eq(customerDailyCounts.event, p("event")),
      ),
    )
    .prepare();
  const names = db
    .select()
    .from(appEventStats)
    .where(eq(appEventStats.appPk, appPkOf(p("appId"))))
    .orderBy(desc(appEventStats.count), asc(appEventStats.event))
    .prepare();

  // Entries of the (app_pk, event) index: ~100 ms at 100k customers doing 20 names each.
  const customersPerEvent = db
    .select({ event: customerEventStats.event, customers: sql<number>`count(*)` })
    .from(customerEventStats)
    .where(eq(customerEventStats.appPk, appPkOf(p("appId"))))
    .groupBy(customerEventStats.event)
    .prepare();
  // Customers per health grade: a scan of the (app_id, health_score) index only.
  const { healthy, watch, at_risk } = GRADE_RANGES;
  const grades = db
    .select({
      customers: sql<number>`count(*)`,
      healthy: sql<number>`coalesce(sum(${customers.healthScore} >= ${healthy.min}), 0)`,
      watch: sql<number>`coalesce(sum(${customers.healthScore} between ${watch.min} and ${watch.max}), 0)`,
      atRisk: sql<number>`coalesce(sum(${customers.healthScore} <= ${at_risk.max}), 0)`,
    })
    .from(customers)
    .where(eq(customers.appId, p("appId")))
    .prepare();
  return { dailyCounts, dailyCountsOfEvent, activeCustomers, activeCustomersOfEvent, names, customersPerEvent, grades };
}
