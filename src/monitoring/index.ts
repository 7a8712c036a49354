// GET /metrics (Prometheus text format) and the hooks that time every request. The route exists
// only when a token is configured; Prometheus sends it as `Authorization: Bearer TOKEN`
// (`authorization.credentials` in its scrape config).
import { createHash, timingSafeEqual } from "node:crypto";
import { Elysia } from "elysia";
import { AppError, errorCodeOf, errorResponse } from "../errors";
import type { Monitoring } from "./metrics";

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Both sides hashed first, so the comparison takes the same time whatever the lengths. */
function tokenMatches(header: string | null, expected: Buffer): boolean {
  const presented = /^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "";
  return timingSafeEqual(digest(presented), expected);
}

export function monitoringRoutes({ monitoring, token }: { monitoring: Monitoring; token?: string }) {
  const startedAt = new WeakMap<Request, number>();
  const statusOf = new WeakMap<Request, number>();
  const plugin = new Elysia({ name: "monitoring" })
    .onRequest(({ request }) => void startedAt.set(request, performance.now()))
    // mapResponse sees the Response the error handler made (afterResponse does not, for errors).
    .mapResponse({ as: "global" }, ({ request, route, responseValue }) => {
      if (!(responseValue instanceof Response)) return;
      statusOf.set(request, responseValue.status);
      if (responseValue.status >= 400) monitoring.rejected.inc({ route, code: errorCodeOf(responseValue) ?? String(responseValue.status) });
    })
    .onAfterResponse({ as: "global" }, ({ request, route, set }) => {
      const started = startedAt.get(request);
      if (started === undefined) return;
      // No route matched: the error handler's 404 never reaches mapResponse.
      const status = statusOf.get(request) ?? (route ? Number(set.status ?? 200) : 404);
      if (!route) monitoring.rejected.inc({ route: "unmatched", code: "NOT_FOUND" });
      monitoring.httpDuration.observe({ method: request.method, route: route || "unmatched", status: String(status) }, (performance.now() - started) / 1000);
    });
  if (token === undefined) return plugin;
  const expected = digest(token);
  return plugin.get("/metrics", async ({ request }) => {
    if (!tokenMatches(request.headers.get("authorization"), expected)) {
      // Returned, not thrown: this plugin sits before the app's onError (its hooks must see every route).
      return errorResponse(new AppError("UNAUTHORIZED", "GET /metrics needs the header Authorization: Bearer <the --metrics-token>", {
        headers: { "www-authenticate": 'Bearer realm="trackd metrics"' },
      }));
    }
    return new Response(await monitoring.scrape(), { headers: { "content-type": monitoring.contentType } });
  });
}
