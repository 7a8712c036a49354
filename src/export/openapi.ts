// OpenAPI descriptions of the exports (src/openapi/route-doc.ts).
import type { RouteDocs } from "../openapi/route-doc";
import { CustomerQuery } from "../customers/model";
import { ExportQuery } from "./model";

export const exportDocs: RouteDocs = [
  {
    method: "get",
    path: "/v1/api/export",
    tag: "Export",
    summary: "Every event of the app, oldest first, streamed",
    description: "NDJSON by default, or CSV with format=csv. Holds the events stored when it began.",
    auth: { kind: "apiKey", scope: "read" },
    query: ExportQuery,
    responses: {
      200: {
        description: "One event per line (NDJSON) or row (CSV), with its customer's identity",
        contentTypes: ["application/x-ndjson", "text/csv"],
        headers: { "x-trackd-retained-since": "where the app's history starts, when it has a retention period" },
      },
    },
    errors: ["VALIDATION_FAILED", "NOT_FOUND"],
  },
  {
    method: "get",
    path: "/v1/api/customers/:customerId/export",
    tag: "Export",
    summary: "Everything stored about one customer (data-subject access request)",
    description: "{exportedAt, customer, eventCounts, retainedSince, events}, streamed.",
    auth: { kind: "apiKey", scope: "read" },
    params: { customerId: "the customer's customerId; its uid or email with ?by=uid or ?by=email" },
    query: CustomerQuery,
    responses: { 200: { description: "The document" } },
    errors: ["VALIDATION_FAILED", "NOT_FOUND"],
  },
];
