import type { Db } from "../db";
import { createEventReads } from "../store/events";
import { toIso } from "../dates";
import { createCustomerReads } from "../store/customers";
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

export function createEventsService(db: Db) {
  // Customers are found in the store directly: events and customers never import each other both ways.
  const customers = createCustomerReads(db);
  const { userByUid, pageQuery } = createEventReads(db);

  /** Finds the customer the filter names; null when it names one that doesn't exist (or two different ones). */
  function customerFilter(appId: string, filter: EventFilter): number | undefined | null {
    if (filter.customerPk !== undefined) return filter.customerPk;
    if (filter.customerId === undefined && filter.uid === undefined) return undefined;
    const customer =
      filter.customerId !== undefined
        ? customers.byCustomerId.get({ appId, value: filter.customerId })
        : customers.byUid.get({ appId, value: filter.uid! });
    if (!customer || (filter.uid !== undefined && customer.uid !== filter.uid)) return null;
    return customer.pk;
  }

  /** Up to `filter.limit` events, newest first, each with its position (what a cursor holds). */
  function listWithPositions(appId: string, filter: EventFilter): { position: Position; event: EventView }[] {
    const customerPk = customerFilter(appId, filter);
    if (customerPk === null) return [];
    const userPk = filter.userUid === undefined ? undefined : (userByUid.get({ customerPk: customerPk ?? -1, uid: filter.userUid })?.pk ?? null);
    if (userPk === null) return [];
    const params = {
      appId,
      customerPk,
      userPk,
      verified: filter.verified,
      event: filter.event,
      from: filter.from,
      to: filter.to,
      afterDate: filter.after?.eventDate,
      afterSeq: filter.after?.seq,
      limit: filter.limit,
    };
    const rows = pageQuery(params).all(params);
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
    list(appId: string, filter: EventFilter): { events: EventView[]; nextCursor: string | null } {
      const rows = listWithPositions(appId, { ...filter, limit: filter.limit + 1 });
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
