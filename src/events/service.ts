import type { Store } from "../store/types";
import { toIso } from "../dates";
import { encodeCursor, type Position } from "./cursor";
import type { EventView } from "./model";

export { decodeCursor } from "./cursor";

export interface EventFilter {
  customerId?: string;
  uid?: string;
  /** A customer already found (the per-customer routes): wins over customerId and uid. */
  customerPk?: number;
  /** A B2B user of that customer. */
  userUid?: string;
  verified?: boolean;
  event?: string;
  from?: number;
  to?: number;
  after?: Position;
  limit: number;
}

export function createEventsService(store: Store) {
  // Customers are found in the store directly: events and customers never import each other both ways.
  const customers = store.customers;

  /** Finds the customer the filter names; null when it names one that doesn't exist (or two different ones). */
  async function customerFilter(appId: string, filter: EventFilter): Promise<number | undefined | null> {
    if (filter.customerPk !== undefined) return filter.customerPk;
    if (filter.customerId === undefined && filter.uid === undefined) return undefined;
    const customer =
      filter.customerId !== undefined ? await customers.find(appId, "customerId", filter.customerId) : await customers.find(appId, "uid", filter.uid!);
    if (!customer || (filter.uid !== undefined && customer.uid !== filter.uid)) return null;
    return customer.pk;
  }

  /** Up to `filter.limit` events, newest first, each with its position (what a cursor holds). */
  async function listWithPositions(appId: string, filter: EventFilter): Promise<{ position: Position; event: EventView }[]> {
    const customerPk = await customerFilter(appId, filter);
    if (customerPk === null) return [];
    const userPk = filter.userUid === undefined ? undefined : ((await store.events.userPk(customerPk ?? -1, filter.userUid)) ?? null);
    if (userPk === null) return [];
    const rows = await store.events.page(appId, {
      customerPk,
      userPk,
      verified: filter.verified,
      event: filter.event,
      from: filter.from,
      to: filter.to,
      after: filter.after,
      limit: filter.limit,
    });
    return rows.map(({ seq, userUid, ...row }) => ({
      position: { eventDate: row.eventDate, seq },
      event: {
        ...row,
        user: userUid === null ? null : { uid: userUid },
        eventDate: toIso(row.eventDate),
        receivedAt: toIso(row.receivedAt),
        eventData: row.eventData === null ? null : JSON.parse(row.eventData),
      },
    }));
  }

  return {
    listWithPositions,

    /** Newest first. Always scoped to `appId`, whatever the filter or cursor says. */
    async list(appId: string, filter: EventFilter): Promise<{ events: EventView[]; nextCursor: string | null }> {
      const rows = await listWithPositions(appId, { ...filter, limit: filter.limit + 1 });
      const page = rows.slice(0, filter.limit);
      const last = page.at(-1);
      return {
        events: page.map((row) => row.event),
        nextCursor: rows.length > filter.limit && last ? encodeCursor(last.position) : null,
      };
    },
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
