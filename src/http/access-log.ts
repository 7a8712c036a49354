// One access-log line per request: method, route pattern, status, duration, request id and app
// id. The route is the pattern (`/v1/api/customers/:customerId`), never the path: paths carry
// customer ids, and a pattern keeps the lines groupable. Headers and bodies are never logged,
// so no key or secret can reach a log.
import type { Logger } from "../log";
import type { RequestObserver } from "./observe";

export interface AccessLogOptions {
  logger: Logger;
  /** Share of requests logged, 0 (none) to 1 (all). Server errors (5xx) are always logged. */
  sample: number;
  /** The id the request is known by in replies and error lines. */
  requestId: (request: Request) => string | undefined;
  random?: () => number;
}

export function accessLog({ logger, sample, requestId, random = Math.random }: AccessLogOptions): RequestObserver {
  return ({ request, method, route, status, durationMs, appId }) => {
    if (status < 500 && (sample <= 0 || random() >= sample)) return;
    logger.info("request", {
      method,
      route: route ?? "(no route)",
      status,
      durationMs: Math.round(durationMs * 100) / 100,
      requestId: requestId(request),
      appId,
    });
  };
}
