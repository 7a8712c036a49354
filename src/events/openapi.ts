// OpenAPI description of the app's event list (src/openapi/route-doc.ts).
import type { RouteDocs } from "../openapi/route-doc";
import { ListEventsQuery } from "./model";

export const eventDocs: RouteDocs = [
  {
    method: "get",
    path: "/v1/api/events",
    tag: "Events",
    summary: "List the app's events, newest first",
    description:
      "Paged with limit and cursor: {events, nextCursor, retainedSince}. Pages stay stable while new events arrive. retainedSince: where history starts under a retention period, else null.",
    auth: { kind: "apiKey", scope: "read" },
    query: ListEventsQuery,
    responses: {
      200: {
        description: "A page of events",
        example: {
          events: [{ id: "evt_019ac0a1-7d3e-7000-8000-000000000000", event: "Post Created", customerId: "cus_abc", eventDate: "2026-01-15T12:00:00.000Z", source: "server", verified: true }],
          nextCursor: null,
          retainedSince: null,
        },
      },
    },
    errors: ["VALIDATION_FAILED"],
  },
];
