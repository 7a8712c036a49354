// One access-log line per request: method, route pattern, status, duration, request id and app
// id. The route is the pattern (`/v1/api/customers/:customerId`), never the path: paths carry
// customer ids, and a pattern keeps the lines groupable. Headers and bodies are never logged,
// so no key or secret can reach a log.
import { Elysia } from "elysia";
import type { Logger } from "../log";

export interface AccessLogOptions {
  logger: Logger;
  /** Share of requests logged, 0 (none) to 1 (all). Server errors (5xx) are always logged. */
  sample: number;
  /** The id the request is known by in replies and error lines. */
  requestId: (request: Request) => string | undefined;
  random?: () => number;
}

export function accessLog({ logger, sample, requestId, random = Math.random }: AccessLogOptions) {
  const startedAt = new WeakMap<Request, number>();
  return new Elysia({ name: "access-log" })
    .onRequest(({ request }) => {
      startedAt.set(request, performance.now());
    })
    .onAfterResponse({ as: "global" }, (context) => {
      const { request, route, set } = context;
      // A handler that returns a Response (exports, /sdk.js) sets its status there.
      const response = (context as { responseValue?: unknown }).responseValue;
      const status = response instanceof Response ? response.status : Number(set.status ?? 200);
      if (status < 500 && (sample <= 0 || random() >= sample)) return;
      const started = startedAt.get(request);
      const app = (context as { app?: { id?: string } }).app;
      logger.info("request", {
        method: request.method,
        route: route || "(no route)",
        status,
        durationMs: started === undefined ? undefined : Math.round((performance.now() - started) * 100) / 100,
        requestId: requestId(request),
        appId: app?.id,
      });
    });
}
