import { t } from "elysia";
import { Chars } from "../http/chars";
import { INTERVALS } from "../periods";

/** GET /v1/api/metrics/events. */
export const EventMetricsQuery = t.Object(
  {
    interval: t.Optional(t.Union(INTERVALS.map((i) => t.Literal(i)), { error: "must be day, week or month" })),
    event: t.Optional(Chars(1, 255, { error: "must be 1 to 255 characters" })),
    from: t.Optional(t.String()),
    to: t.Optional(t.String()),
  },
  { additionalProperties: false },
);

/** GET /v1/api/metrics/billing. */
export const BillingMetricsQuery = t.Object(
  {
    interval: EventMetricsQuery.properties.interval,
    from: t.Optional(t.String()),
    to: t.Optional(t.String()),
  },
  { additionalProperties: false },
);

/** GET /v1/api/metrics/health takes no parameters. */
export const HealthMetricsQuery = t.Object({}, { additionalProperties: false });

/** GET /v1/api/events/names takes no parameters. */
export const EventNamesQuery = t.Object({}, { additionalProperties: false });

export interface MetricsPoint {
  start: string;
  /** Events in the bucket, all names (or the one asked for). */
  events: number;
  /** Distinct customers with at least one of those events in the bucket. */
  activeCustomers: number;
  byEvent: Record<string, number>;
}

export interface NamingProblem {
  rule: "single_word" | "not_capitalized" | "snake_case" | "kebab_case" | "camel_case" | "whitespace";
  message: string;
}

export interface EventNameView {
  event: string;
  count: number;
  /** Customers that did it at least once. */
  customers: number;
  firstSeen: string;
  lastSeen: string;
  /** Follows the object-action convention ("Report Created"): capitalised words, single spaces. */
  conventional: boolean;
  problems: NamingProblem[];
  /** Other names that differ only in case or separators: probably the same event spelt twice. */
  similarTo: string[];
}
