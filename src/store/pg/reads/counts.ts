// The app-wide counts kept at write time, on PostgreSQL (CountReads). Drizzle's builder over
// schema.pg.ts, as on SQLite: one statement per chart. count(*) is int8 and sum() numeric in
// PostgreSQL, both read back as strings by postgres-js: mapped to numbers here.
import { appPkOf } from "../../app-key";
import { and, asc, count, countDistinct, desc, eq, gte, lt, sql } from "drizzle-orm";
import type { PgDb } from "../../../db/postgres";
import { appActiveCustomers, appDailyCounts, appEventStats, customerDailyCounts, customerEventStats, customers } from "../../../db/schema.pg";
import { GRADE_RANGES } from "../../../grades";
import type { CountReads } from "../../types";
import { C } from "./collate";

export function createPgCountReads(db: PgDb): CountReads {
  return {
    dailyCounts: (appId, fromDay, toDay, event) =>
      db
        .select({ day: appDailyCounts.day, event: appDailyCounts.event, count: appDailyCounts.count })
        .from(appDailyCounts)
        .where(
          and(
            eq(appDailyCounts.appPk, appPkOf(appId)),
            event === undefined ? undefined : eq(appDailyCounts.event, event),
            gte(appDailyCounts.day, fromDay),
            lt(appDailyCounts.day, toDay),
          ),
        ),
    activeCustomers: (appId, interval, fromDay, toDay) =>
      db
        .select({ period: appActiveCustomers.period, customers: appActiveCustomers.customers })
        .from(appActiveCustomers)
        .where(
          and(
            eq(appActiveCustomers.appPk, appPkOf(appId)),
            eq(appActiveCustomers.interval, interval),
            gte(appActiveCustomers.period, fromDay),
            lt(appActiveCustomers.period, toDay),
          ),
        ),
    async activeCustomersOfEvent(appId, event, fromDay, toDay) {
      const [row] = await db
        .select({ count: countDistinct(customerDailyCounts.customerPk) })
        .from(customerDailyCounts)
        .where(
          and(
            eq(customerDailyCounts.appPk, appPkOf(appId)),
            gte(customerDailyCounts.day, fromDay),
            lt(customerDailyCounts.day, toDay),
            eq(customerDailyCounts.event, event),
          ),
        );
      return row?.count ?? 0;
    },
    eventNames: (appId) =>
      db
        // Exactly the contract's EventStat: no appId / customerPk beside it.
        .select({ event: appEventStats.event, count: appEventStats.count, firstSeen: appEventStats.firstSeen, lastSeen: appEventStats.lastSeen })
        .from(appEventStats)
        .where(eq(appEventStats.appPk, appPkOf(appId)))
        .orderBy(desc(appEventStats.count), asc(C(appEventStats.event))),
    customersPerEvent: (appId) =>
      db
        .select({ event: customerEventStats.event, customers: count() })
        .from(customerEventStats)
        .where(eq(customerEventStats.appPk, appPkOf(appId)))
        .groupBy(customerEventStats.event),
    async grades(appId) {
      const { healthy, watch, at_risk } = GRADE_RANGES;
      const score = customers.healthScore;
      const [row] = await db
        .select({
          customers: count(),
          healthy: sql`count(*) filter (where ${score} >= ${healthy.min})`.mapWith(Number),
          watch: sql`count(*) filter (where ${score} between ${watch.min} and ${watch.max})`.mapWith(Number),
          atRisk: sql`count(*) filter (where ${score} <= ${at_risk.max})`.mapWith(Number),
        })
        .from(customers)
        .where(eq(customers.appId, appId));
      return row!;
    },
  };
}
