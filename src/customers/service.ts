import type { CustomerRow, Store } from "../store/types";
import { toIso } from "../dates";
import { AppError } from "../errors";
import { dayOf } from "../periods";
import type { CustomerView, EventCount } from "./model";

export type CustomerKey = "customerId" | "uid" | "email";

export function createCustomersService(store: Store) {
  const customers = store.customers;

  async function view(row: CustomerRow): Promise<CustomerView> {
    return {
      customerId: row.customerId,
      uid: row.uid,
      email: row.email,
      data: row.data,
      users: (await customers.usersOf(row.pk)).map((user) => ({
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
  function find(appId: string, value: string, by: CustomerKey = "customerId"): Promise<CustomerRow | undefined> {
    return customers.find(appId, by, value);
  }

  return {
    find,
    /** As find, for the routes: an unknown customer is a 404 naming how it was looked up. */
    async findOr404(appId: string, value: string, by: CustomerKey = "customerId"): Promise<CustomerRow> {
      const customer = await find(appId, value, by);
      if (!customer) throw new AppError("NOT_FOUND", `no customer with ${by} ${value}`);
      return customer;
    },
    /** Per event name: all time from the stats, the last 7/30 days from the daily counts. */
    async eventCounts(pk: number, now: number): Promise<EventCount[]> {
      const today = dayOf(now);
      const [recentRows, stats] = await Promise.all([customers.recentByEvent(pk, today - 6, today - 29), customers.eventStats(pk)]);
      const recent = new Map(recentRows.map((row) => [row.event, row]));
      return stats.map((stat) => ({
        event: stat.event,
        count: stat.count,
        last7d: recent.get(stat.event)?.last7d ?? 0,
        last30d: recent.get(stat.event)?.last30d ?? 0,
        firstSeen: toIso(stat.firstSeen),
        lastSeen: toIso(stat.lastSeen),
      }));
    },

    /** Event counts per UTC day from `fromMs` to `toMs` (exclusive), optionally of one event name. */
    dailyCounts(pk: number, fromMs: number, toMs: number, event?: string): Promise<{ day: number; count: number }[]> {
      return customers.dailyCounts(pk, dayOf(fromMs), dayOf(toMs - 1), event);
    },

    async viewByPk(pk: number): Promise<CustomerView | undefined> {
      const row = await customers.byPk(pk);
      return row && view(row);
    },
    view,
  };
}

export type CustomersService = ReturnType<typeof createCustomersService>;
