// One place that sees every request finish, once: the access log and the Prometheus metrics
// both read what it measured, instead of each timing every request with hooks of its own.
import { Elysia } from "elysia";
import { errorCodeOf, type ErrorCode } from "../errors";

export interface FinishedRequest {
  request: Request;
  method: string;
  /** The matched route's pattern (`/v1/api/customers/:customerId`); undefined when none matched. */
  route: string | undefined;
  status: number;
  /** The error code of an error reply. */
  code: ErrorCode | undefined;
  durationMs: number;
  /** Once the request's key (or session) was accepted. */
  appId: string | undefined;
}

export type RequestObserver = (finished: FinishedRequest) => void;

// The code of an error the app's onError answered: its Response never reaches afterResponse.
const failedWith = new WeakMap<Request, ErrorCode>();

/** For the app's error handler: the code its reply to `request` carries. */
export function noteErrorCode(request: Request, code: ErrorCode): void {
  failedWith.set(request, code);
}

// When the request arrived, as a property of the Request rather than in a WeakMap: one fewer
// map entry per request for the garbage collector (see request-id.ts).
const STARTED = Symbol("trackd.startedAt");
type Timed = Request & { [STARTED]?: number };

export function observeRequests(observers: readonly RequestObserver[]) {
  return new Elysia({ name: "observe-requests" })
    .onRequest(({ request }) => {
      (request as Timed)[STARTED] = performance.now();
    })
    .onAfterResponse({ as: "global" }, (context) => {
      const { request, route, set } = context;
      const started = (request as Timed)[STARTED];
      if (started === undefined) return;
      // A handler that returns a Response (exports, /sdk.js, /metrics' 401) sets its status there;
      // the error handler sets `set.status` to its reply's.
      const response = (context as { responseValue?: unknown }).responseValue;
      const own = response instanceof Response ? response : undefined;
      const finished: FinishedRequest = {
        request,
        method: request.method,
        route: route || undefined,
        status: own ? own.status : Number(set.status ?? 200),
        code: own ? errorCodeOf(own) : failedWith.get(request),
        durationMs: performance.now() - started,
        appId: (context as { app?: { id?: string } }).app?.id,
      };
      for (const observe of observers) observe(finished);
    });
}
