import { Type } from "@sinclair/typebox";
import { t } from "elysia";
import { Chars } from "../http/chars";
import type { EventSource } from "../store/types";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

const Filter = Chars(1, 255, { error: "must be 1 to 255 characters" });

export const ListEventsQuery = t.Object(
  {
    customerId: t.Optional(Filter),
    uid: t.Optional(Filter),
    event: t.Optional(Filter),
    /** Inclusive. */
    from: t.Optional(t.String()),
    /** Exclusive. */
    to: t.Optional(t.String()),
    // Plain TypeBox, not Elysia's t.Integer: that one also accepts any numeric string, which
    // would slip past the range check after Value.Convert (see validateQuery).
    limit: t.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, error: `must be an integer from 1 to ${MAX_PAGE_SIZE}` }),
    ),
    cursor: t.Optional(t.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export type ListEventsQuery = typeof ListEventsQuery.static;

export interface EventView {
  id: string;
  event: string;
  customerId: string | null;
  uid: string | null;
  user: { uid: string } | null;
  eventDate: string;
  receivedAt: string;
  eventData: Record<string, unknown> | null;
  source: EventSource;
  verified: boolean;
  messageId: string | null;
}
