import { Type } from "@sinclair/typebox";
import { t } from "elysia";
import { MAX_PAGE_SIZE } from "../events/model";
import { INTERVALS } from "./activity";

const By = t.Optional(
  t.Union([t.Literal("customerId"), t.Literal("uid"), t.Literal("email")], { error: "must be customerId, uid or email" }),
);
const Filter = t.String({ minLength: 1, maxLength: 255, error: "must be 1 to 255 characters" });

export const CustomerQuery = t.Object({ by: By }, { additionalProperties: false });

/** GET /v1/api/customers/:id/events. Numbers and booleans are plain TypeBox: see events/model.ts. */
export const TimelineQuery = t.Object(
  {
    by: By,
    event: t.Optional(Filter),
    userUid: t.Optional(Filter),
    verified: t.Optional(Type.Boolean({ error: "must be true or false" })),
    from: t.Optional(t.String()),
    to: t.Optional(t.String()),
    limit: t.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, error: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })),
    cursor: t.Optional(t.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

/** GET /v1/api/customers/:id/activity. */
export const ActivityQuery = t.Object(
  {
    by: By,
    interval: t.Optional(t.Union(INTERVALS.map((i) => t.Literal(i)), { error: "must be day, week or month" })),
    event: t.Optional(Filter),
    from: t.Optional(t.String()),
    to: t.Optional(t.String()),
  },
  { additionalProperties: false },
);

/** Per event name, for one customer: all time, the last 7 and 30 UTC days (today included). */
export interface EventCount {
  event: string;
  count: number;
  last7d: number;
  last30d: number;
  firstSeen: string;
  lastSeen: string;
}

export interface UserView {
  uid: string;
  data: Record<string, unknown>;
  firstSeen: string | null;
  lastSeen: string | null;
  eventCount: number;
}

export interface CustomerView {
  customerId: string | null;
  uid: string | null;
  email: string | null;
  data: Record<string, unknown>;
  users: UserView[];
  firstSeen: string | null;
  lastSeen: string | null;
  eventCount: number;
  createdAt: string;
  updatedAt: string;
}
