// OpenAPI description of GET /metrics (src/openapi/route-doc.ts).
import type { RouteDocs } from "../openapi/route-doc";

export const monitoringDocs: RouteDocs = [
  {
    method: "get",
    path: "/metrics",
    tag: "Operations",
    summary: "Prometheus metrics",
    description: "Only when the server has a --metrics-token (otherwise 404). Prometheus text format 0.0.4.",
    auth: { kind: "metricsToken" },
    responses: { 200: { description: "The metrics", contentTypes: ["text/plain; version=0.0.4; charset=utf-8"] } },
    errors: [],
  },
];
