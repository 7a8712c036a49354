import { Type } from "@sinclair/typebox";
import { t } from "elysia";
import { charCount, Chars } from "../http/chars";
import type { ErrorDetail } from "../errors";
import { MAX_PAGE_SIZE } from "../events/model";
import { SUBSCRIPTION_STATUSES } from "../billing/service";
import { INTERVALS } from "../periods";
import { GRADES } from "../grades";
import { SORTS } from "../store/shapes";

const By = t.Optional(
  t.Union([t.Literal("customerId"), t.Literal("uid"), t.Literal("email")], { error: "must be customerId, uid or email" }),
);
const Filter = Chars(1, 255, { error: "must be 1 to 255 characters" });

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

/** GET /v1/api/customers/:id/timeline: events and billing changes together. */
export const CustomerTimelineQuery = t.Object(
  {
    by: By,
    kind: t.Optional(t.Union([t.Literal("event"), t.Literal("billing")], { error: "must be event or billing" })),
    event: t.Optional(Filter),
    from: t.Optional(t.String()),
    to: t.Optional(t.String()),
    limit: TimelineQuery.properties.limit,
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

/** GET /v1/api/customers, less its attr.KEY=VALUE filters (see attributeFilters). */
export const ListCustomersQuery = t.Object(
  {
    q: t.Optional(Filter),
    sort: t.Optional(t.Union(SORTS.map((sort) => t.Literal(sort)), { error: `must be one of ${SORTS.join(", ")}` })),
    activeSince: t.Optional(t.String()),
    inactiveSince: t.Optional(t.String()),
    event: t.Optional(Filter),
    health: t.Optional(t.Union(GRADES.map((grade) => t.Literal(grade)), { error: `must be one of ${GRADES.join(", ")}` })),
    status: t.Optional(
      t.Union(SUBSCRIPTION_STATUSES.map((status) => t.Literal(status)), { error: `must be one of ${SUBSCRIPTION_STATUSES.join(", ")}` }),
    ),
    plan: t.Optional(Filter),
    /** With event: when it happened. */
    from: t.Optional(t.String()),
    to: t.Optional(t.String()),
    limit: t.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, error: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })),
    cursor: t.Optional(t.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

export const MAX_ATTRIBUTE_FILTERS = 10;
const ATTRIBUTE_KEY = /^[^"\\\u0000-\u001f]{1,255}$/;

/**
 * Splits attr.KEY=VALUE parameters from the rest of the query. Keys are attribute names as
 * stored (without " or \, which a JSON path can't hold unescaped); values up to 1000 characters.
 */
export function attributeFilters(query: Record<string, string | undefined>): {
  rest: Record<string, string | undefined>;
  attributes: [string, string][];
  problems: ErrorDetail[];
} {
  const rest: Record<string, string | undefined> = Object.create(null); // parameter names are the client's
  const attributes: [string, string][] = [];
  const problems: ErrorDetail[] = [];
  for (const [name, value = ""] of Object.entries(query)) {
    if (!name.startsWith("attr.")) {
      rest[name] = value;
      continue;
    }
    const key = name.slice("attr.".length);
    if (!ATTRIBUTE_KEY.test(key)) problems.push({ path: `/${name}`, message: `${name}: the attribute name must be 1 to 255 characters, without " or \\` });
    else if (charCount(value) > 1000) problems.push({ path: `/${name}`, message: `${name} must be at most 1000 characters` });
    else attributes.push([key, value]);
  }
  if (attributes.length > MAX_ATTRIBUTE_FILTERS) {
    problems.push({ path: "/attr", message: `at most ${MAX_ATTRIBUTE_FILTERS} attr.KEY filters` });
  }
  return { rest, attributes, problems };
}

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
