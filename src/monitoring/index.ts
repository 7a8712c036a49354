// GET /metrics (Prometheus text format) and what it counts of every request. The route exists
// only when a token is configured; Prometheus sends it as `Authorization: Bearer TOKEN`
// (`authorization.credentials` in its scrape config).
import { createHash, timingSafeEqual } from "node:crypto";
import { Elysia } from "elysia";
import { AppError, errorResponse } from "../errors";
import type { RequestObserver } from "../http/observe";
import type { Monitoring } from "./metrics";

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Both sides hashed first, so the comparison takes the same time whatever the lengths. */
function tokenMatches(header: string | null, expected: Buffer): boolean {
  const presented = /^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "";
  return timingSafeEqual(digest(presented), expected);
}

/** What the metrics take from every finished request. */
export function monitorRequests(monitoring: Monitoring): RequestObserver {
  return ({ method, route, status, code, durationMs }) => {
    const pattern = route ?? "unmatched";
    if (status >= 400) monitoring.rejected.inc({ route: pattern, code: code ?? String(status) });
    monitoring.httpDuration.observe({ method, route: pattern, status: String(status) }, durationMs / 1000);
  };
}

/** GET /metrics, only when a token is configured. */
export function monitoringRoutes({ monitoring, token }: { monitoring: Monitoring; token?: string }) {
  const plugin = new Elysia({ name: "monitoring" });
  if (token === undefined) return plugin;
  const expected = digest(token);
  return plugin.get("/metrics", async ({ request }) => {
    if (!tokenMatches(request.headers.get("authorization"), expected)) {
      return errorResponse(new AppError("UNAUTHORIZED", "GET /metrics needs the header Authorization: Bearer <the --metrics-token>", {
        headers: { "www-authenticate": 'Bearer realm="trackd metrics"' },
      }));
    }
    return new Response(await monitoring.scrape(), { headers: { "content-type": monitoring.contentType } });
  });
}
