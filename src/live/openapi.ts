// OpenAPI description of GET /v1/api/live (src/http/route-doc.ts).
import type { RouteDocs } from "../http/route-doc";
import { LiveQuery } from "./model";

export const liveDocs: RouteDocs = [
  {
    method: "get",
    path: "/v1/api/live",
    tag: "Live",
    summary: "The app's events as they are committed, and its refused write requests",
    description:
      'A server-sent event stream: `data: {"type":"event",…}` per stored event, `data: {"type":"rejected",…}` per refused request (code, message, fields), `event: dropped` when a slow reader lost items (at most 500 are buffered). `customerId` and `event` narrow it. At most 100 streams per server.',
    auth: { kind: "apiKey", scope: "read" },
    query: LiveQuery,
    responses: {
      200: {
        description: "The stream",
        contentTypes: ["text/event-stream"],
        example: 'data: {"type":"event","id":"evt_019ac0a1-…","event":"Post Created","customerId":"cus_abc","source":"server","verified":true}\n\n',
      },
    },
    errors: ["VALIDATION_FAILED", "SERVICE_UNAVAILABLE"],
  },
];
