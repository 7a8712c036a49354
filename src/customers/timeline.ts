// GET /v1/api/customers/:id/timeline: product events and billing changes interleaved, newest
// first, one keyset cursor over both. The order is (time, kind, id) descending, events before
// billing entries at the same millisecond; the cursor holds the last item's triple, and each
// source is read from just past it, so a page is two index range reads and a merge.
import { billingEventView, type BillingEventView } from "../billing/service";
import type { BillingService } from "../billing/service";
import { AppError } from "../errors";
import type { EventView } from "../events/model";
import type { EventsService } from "../events/service";

export type TimelineItem = { type: "event"; at: string; event: EventView } | { type: "billing"; at: string; billing: BillingEventView };

interface Position {
  at: number;
  /** 1 for an event, 0 for a billing entry: the tie-break at the same millisecond. */
  rank: 0 | 1;
  /** The event's seq or the billing entry's pk. */
  id: number;
}

const SAFE_MAX = Number.MAX_SAFE_INTEGER;

export function createTimeline(deps: { events: EventsService; billing: BillingService }) {
  const { events, billing } = deps;
  return async function timeline(
    appId: string,
    customerPk: number,
    page: { from?: number; to?: number; cursor?: string; limit: number; kind?: TimelineItem["type"]; event?: string },
  ): Promise<{ items: TimelineItem[]; nextCursor: string | null }> {
    const after = page.cursor === undefined ? undefined : decodeTimelineCursor(page.cursor);
    // An event name narrows the timeline to that event's rows: billing entries have no name.
    const wants = (kind: TimelineItem["type"]) => (page.kind ?? kind) === kind && (kind === "event" || page.event === undefined);
    const eventRows = !wants("event") ? [] : await events.listWithPositions(appId, {
      customerPk,
      event: page.event,
      from: page.from,
      to: page.to,
      // Past a billing entry at t, the events left are those before t.
      after: after && { eventDate: after.at, seq: after.rank === 1 ? after.id : 0 },
      limit: page.limit + 1,
    });
    const billingRows = !wants("billing") ? [] : await billing.history(customerPk, {
      from: page.from,
      to: page.to,
      // Past an event at t, every billing entry at t is still to come.
      before: after && { at: after.at, pk: after.rank === 0 ? after.id : SAFE_MAX },
      limit: page.limit + 1,
    });

    const merged: (Position & { item: TimelineItem })[] = [
      ...eventRows.map(({ position, event }) => ({
        at: position.eventDate,
        rank: 1 as const,
        id: position.seq,
        item: { type: "event" as const, at: event.eventDate, event },
      })),
      ...billingRows.map((row) => {
        const view = billingEventView(row);
        return { at: row.occurredAt, rank: 0 as const, id: row.pk, item: { type: "billing" as const, at: view.occurredAt, billing: view } };
      }),
    ].sort((a, b) => b.at - a.at || b.rank - a.rank || b.id - a.id);

    const items = merged.slice(0, page.limit);
    const last = items.at(-1);
    return {
      items: items.map((entry) => entry.item),
      nextCursor: merged.length > page.limit && last ? encodeTimelineCursor(last) : null,
    };
  };
}

function encodeTimelineCursor({ at, rank, id }: Position): string {
  return Buffer.from(`${at}.${rank}.${id}`).toString("base64url");
}

function decodeTimelineCursor(cursor: string): Position {
  const match = /^(-?\d{1,16})\.([01])\.(\d{1,16})$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!match) {
    throw new AppError("VALIDATION_FAILED", "cursor is not valid; pass nextCursor from the previous page", {
      details: [{ path: "/cursor", message: "cursor is not valid" }],
    });
  }
  return { at: Number(match[1]), rank: Number(match[2]) as 0 | 1, id: Number(match[3]) };
}
