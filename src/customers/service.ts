import { and, asc, desc, eq, gte, lte, sql } from "drizzle-orm";
import type { Db } from "../db";
import { customerDailyCounts, customerDailyTotals, customerEventStats, customers, users, type CustomerRow } from "../db/schema";
import { toIso } from "../dates";
import { AppError } from "../errors";
import { dayOf } from "../periods";
import type { CustomerView, EventCount } from "./model";

const p = sql.placeholder;

export type CustomerKey = "customerId" | "uid" | "email";

export function createCustomersService(db: Db) {
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
    .prepare();

  function view(row: CustomerRow): CustomerView {
    return {
      customerId: row.customerId,
      uid: row.uid,
      email: row.email,
      data: row.data,
      users: usersOf.all({ customerPk: row.pk }).map((user) => ({
        uid: user.uid,
        data: user.data,
        firstSeen: toIso(user.firstSeen),
        lastSeen: toIso(user.lastSeen),
        eventCount: user.eventCount,
      })),
      firstSeen: toIso(row.firstSeen),
      lastSeen: toIso(row.lastSeen),
      eventCount: row.eventCount,
      createdAt: toIso(row.createdAt),
      updatedAt: toIso(row.updatedAt),
    };
  }

  /** Always scoped to the app: another app's customer with the same id is never found. */
  function find(appId: string, value: string, by: CustomerKey = "customerId"): CustomerRow | undefined {
    const query = { customerId: byCustomerId, uid: byUid, email: byEmail }[by];
    return query.get({ appId, value });
  }

  return {
    find,
    /** As find, for the routes: an unknown customer is a 404 naming how it was looked up. */
    findOr404(appId: string, value: string, by: CustomerKey = "customerId"): CustomerRow {
      const customer = find(appId, value, by);
      if (!customer) throw new AppError("NOT_FOUND", `no customer with ${by} ${value}`);
      return customer;
    },
    /** Per event name: all time from the stats, the last 7/30 days from the daily counts. */
    eventCounts(pk: number, now: number): EventCount[] {
      const today = dayOf(now);
      const recent = new Map(recentByEvent.all({ pk, since7: today - 6, since30: today - 29 }).map((row) => [row.event, row]));
      return eventStats.all({ pk }).map((stat) => ({
        event: stat.event,
        count: stat.count,
        last7d: recent.get(stat.event)?.last7d ?? 0,
        last30d: recent.get(stat.event)?.last30d ?? 0,
        firstSeen: toIso(stat.firstSeen),
        lastSeen: toIso(stat.lastSeen),
      }));
    },

    /** Event counts per UTC day from `fromMs` to `toMs` (exclusive), optionally of one event name. */
    dailyCounts(pk: number, fromMs: number, toMs: number, event?: string): { day: number; count: number }[] {
      const range = { pk, fromDay: dayOf(fromMs), toDay: dayOf(toMs - 1) };
      return event === undefined ? dailyCounts.all(range) : dailyCountsOfEvent.all({ ...range, event });
    },

    viewByPk(pk: number): CustomerView | undefined {
      const row = byPk.get({ pk });
      return row && view(row);
    },
    view,
  };
}

export type CustomersService = ReturnType<typeof createCustomersService>;
