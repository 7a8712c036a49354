import type { Db } from "../db";
import { createCustomerReads } from "../store/customers";
import type { CustomerRow } from "../db/schema";
import { toIso } from "../dates";
import { AppError } from "../errors";
import { dayOf } from "../periods";
import type { CustomerView, EventCount } from "./model";

export type CustomerKey = "customerId" | "uid" | "email";

export function createCustomersService(db: Db) {
  const { byCustomerId, byUid, byEmail, byPk, usersOf, eventStats, recentByEvent, dailyCounts, dailyCountsOfEvent } = createCustomerReads(db);

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
