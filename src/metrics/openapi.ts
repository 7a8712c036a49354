// OpenAPI descriptions of the app-wide read routes (src/openapi/route-doc.ts).
import type { RouteDocs } from "../openapi/route-doc";
import { BillingMetricsQuery, EventMetricsQuery, EventNamesQuery } from "./model";

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
    responses: { 200: { description: "The series" } },
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
    responses: { 200: { description: "Per currency" } },
    errors: ["VALIDATION_FAILED"],
  },
  {
    method: "get",
    path: "/v1/api/events/names",
    tag: "Events",
    summary: "The event names seen, most frequent first, with naming problems",
    auth: read,
    query: EventNamesQuery,
    responses: { 200: { description: "{names, nonConventional}" } },
    errors: ["VALIDATION_FAILED"],
  },
];
