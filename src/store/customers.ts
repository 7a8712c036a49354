// Reads of customers, their users and their per-customer counts (db/schema.ts: customers,
// users, customer_event_stats, customer_daily_counts, customer_daily_totals), for the profile,
// the timeline and lookups by customerId, uid or email. Drizzle prepared statements: one call
// per request, where typed rows matter more than the builder's ~1 µs (bench/README.md). The
// per-event writes to the same rows are in ingest.ts and counts.ts (raw SQL, measured).
import { and, asc, desc, eq, gte, lte, sql } from "drizzle-orm";
import type { Db } from "../db";
import { customerDailyCounts, customerDailyTotals, customerEventStats, customers, users } from "../db/schema";

const p = sql.placeholder;

export function createCustomerReads(db: Db) {
  const byCustomerId = db
    .select()
    .from(customers)
    .where(and(eq(customers.appId, p("appId")), eq(customers.customerId, p("value"))))
    .prepare();
  const byUid = db
    .select()
    .from(customers)
    .where(and(eq(customers.appId, p("appId")), eq(customers.uid, p("value"))))
    .prepare();
  // Emails are not unique: the oldest customer with it is the answer (as for browser events).
  const byEmail = db
    .select()
    .from(customers)
    .where(and(eq(customers.appId, p("appId")), eq(customers.email, p("value"))))
    .orderBy(asc(customers.pk))
    .limit(1)
    .prepare();
  const byPk = db.select().from(customers).where(eq(customers.pk, p("pk"))).prepare();
  const usersOf = db
    .select()
    .from(users)
    .where(eq(users.customerPk, p("customerPk")))
    .orderBy(asc(users.uid))
    .prepare();

  const eventStats = db
    .select()
    .from(customerEventStats)
    .where(eq(customerEventStats.customerPk, p("pk")))
    .orderBy(desc(customerEventStats.count), asc(customerEventStats.event))
    .prepare();
  const recentByEvent = db
    .select({
      event: customerDailyCounts.event,
      last7d: sql<number>`sum(case when ${customerDailyCounts.day} >= ${p("since7")} then ${customerDailyCounts.count} else 0 end)`,
      last30d: sql<number>`sum(${customerDailyCounts.count})`,
    })
    .from(customerDailyCounts)
    .where(and(eq(customerDailyCounts.customerPk, p("pk")), gte(customerDailyCounts.day, p("since30"))))
    .groupBy(customerDailyCounts.event)
    .prepare();
  const dailyCounts = db
    .select({ day: customerDailyTotals.day, count: customerDailyTotals.count })
    .from(customerDailyTotals)
    .where(and(eq(customerDailyTotals.customerPk, p("pk")), gte(customerDailyTotals.day, p("fromDay")), lte(customerDailyTotals.day, p("toDay"))))
    .orderBy(asc(customerDailyTotals.day))
    .prepare();
  const dailyCountsOfEvent = db
    .select({ day: customerDailyCounts.day, count: customerDailyCounts.count })
    .from(customerDailyCounts)
    .where(
      and(
        eq(customerDailyCounts.customerPk, p("pk")),
        eq(customerDailyCounts.event, p("event")),
        gte(customerDailyCounts.day, p("fromDay")),
        lte(customerDailyCounts.day, p("toDay")),
      ),
    )
    .orderBy(asc(customerDailyCounts.day))
    .prepare();

  return { byCustomerId, byUid, byEmail, byPk, usersOf, eventStats, recentByEvent, dailyCounts, dailyCountsOfEvent };
}
