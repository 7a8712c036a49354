// OpenAPI descriptions of the app-wide read routes (src/http/route-doc.ts).
import type { RouteDocs } from "../http/route-doc";
import { BillingMetricsQuery, EventMetricsQuery, EventNamesQuery, HealthMetricsQuery } from "./model";

const read = { kind: "apiKey", scope: "read" } as const;

export const metricsDocs: RouteDocs = [
  {
    method: "get",
    path: "/v1/api/metrics/events",
    tag: "Metrics",
    summary: "App-wide event counts and active customers per interval",
    description: "{interval, event, from, to, total, totals, series: [{start, events, activeCustomers, byEvent}], retainedSince}",
    auth: read,
    query: EventMetricsQuery,
    responses: {
      200: {
        description: "The series",
        example: {
          interval: "day",
          event: null,
          from: "2026-01-15T00:00:00.000Z",
          to: "2026-01-16T00:00:00.000Z",
          total: 2,
          totals: { "Post Created": 2 },
          series: [{ start: "2026-01-15T00:00:00.000Z", events: 2, activeCustomers: 1, byEvent: { "Post Created": 2 } }],
          retainedSince: null,
        },
      },
    },
    errors: ["VALIDATION_FAILED"],
  },
  {
    method: "get",
    path: "/v1/api/metrics/billing",
    tag: "Metrics",
    summary: "MRR, paying customers and MRR movements per currency",
    description: "Amounts in the currency's minor unit; never added across currencies.",
    auth: read,
    query: BillingMetricsQuery,
    responses: {
      200: {
        description: "Per currency",
        example: {
          interval: "month",
          from: "2026-01-01T00:00:00.000Z",
          to: "2026-02-01T00:00:00.000Z",
          currencies: [{ currency: "usd", mrr: 9800, payingCustomers: 1, movements: { new: 9800, expansion: 0, contraction: 0, churn: 0, reactivation: 0, net: 9800 } }],
        },
      },
    },
    errors: ["VALIDATION_FAILED"],
  },
  {
    method: "get",
    path: "/v1/api/metrics/health",
    tag: "Metrics",
    summary: "Customers per health grade",
    description: "From the last scoring pass; `unscored`: customers it has not scored yet.",
    auth: read,
    query: HealthMetricsQuery,
    responses: { 200: { description: "The grades", example: { customers: 120, grades: { healthy: 80, watch: 25, at_risk: 10 }, unscored: 5 } } },
    errors: ["VALIDATION_FAILED"],
  },
  {
    method: "get",
    path: "/v1/api/events/names",
    tag: "Events",
    summary: "The event names seen, most frequent first, with naming problems",
    auth: read,
    query: EventNamesQuery,
    responses: {
      200: {
        description: "{names, nonConventional}",
        example: {
          names: [{ event: "Post Created", count: 2, firstSeen: "2026-01-14T00:00:00.000Z", lastSeen: "2026-01-15T12:00:00.000Z", conventional: true, problems: [], similarTo: [] }],
          nonConventional: 0,
        },
      },
    },
    errors: ["VALIDATION_FAILED"],
  },
];
