// Customers, their users and per-customer counts on PostgreSQL (CustomerReads). Drizzle's
// builder over schema.pg.ts, as on SQLite: one call per request, typed rows (jsonb parsed).
// Sums are numeric in PostgreSQL, read back as strings: mapped to numbers here.
import { and, asc, desc, eq, gte, lte, sql } from "drizzle-orm";
import type { PgDb } from "../../../db/postgres";
import { customerDailyCounts, customerDailyTotals, customerEventStats, customers, users } from "../../../db/schema.pg";
import type { CustomerReads } from "../../types";
import { C } from "./collate";

export function createPgCustomerReads(db: PgDb): CustomerReads {
  const lookups = { customerId: customers.customerId, uid: customers.uid, email: customers.email };
  return {
    async find(appId, by, value) {
      // Emails are not unique: the oldest customer with it is the answer (as on SQLite).
      const [row] = await db
        .select()
        .from(customers)
        .where(and(eq(customers.appId, appId), eq(lookups[by], value)))
        .orderBy(asc(customers.pk))
        .limit(1);
      return row;
    },
    byPk: async (pk) => (await db.select().from(customers).where(eq(customers.pk, pk)))[0],
    usersOf: (customerPk) => db.select().from(users).where(eq(users.customerPk, customerPk)).orderBy(asc(C(users.uid))),
    eventStats: (pk) =>
      db
        // Exactly the contract's EventStat: no appId / customerPk beside it.
        .select({ event: customerEventStats.event, count: customerEventStats.count, firstSeen: customerEventStats.firstSeen, lastSeen: customerEventStats.lastSeen })
        .from(customerEventStats)
        .where(eq(customerEventStats.customerPk, pk))
        .orderBy(desc(customerEventStats.count), asc(C(customerEventStats.event))),
    recentByEvent: (pk, since7, since30) =>
      db
        .select({
          event: customerDailyCounts.event,
          last7d: sql`sum(case when ${customerDailyCounts.day} >= ${since7} then ${customerDailyCounts.count} else 0 end)`.mapWith(Number),
          last30d: sql`sum(${customerDailyCounts.count})`.mapWith(Number),
        })
        .from(customerDailyCounts)
        .where(and(eq(customerDailyCounts.customerPk, pk), gte(customerDailyCounts.day, since30)))
        .groupBy(customerDailyCounts.event),
    dailyCounts(pk, fromDay, toDay, event) {
      if (event === undefined) {
        return db
          .select({ day: customerDailyTotals.day, count: customerDailyTotals.count })
          .from(customerDailyTotals)
          .where(and(eq(customerDailyTotals.customerPk, pk), gte(customerDailyTotals.day, fromDay), lte(customerDailyTotals.day, toDay)))
          .orderBy(asc(customerDailyTotals.day));
      }
      return db
        .select({ day: customerDailyCounts.day, count: customerDailyCounts.count })
        .from(customerDailyCounts)
        .where(
          and(
            eq(customerDailyCounts.customerPk, pk),
            eq(customerDailyCounts.event, event),
            gte(customerDailyCounts.day, fromDay),
            lte(customerDailyCounts.day, toDay),
          ),
        )
        .orderBy(asc(customerDailyCounts.day));
    },
  };
}
