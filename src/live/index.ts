// GET /v1/api/live: a server-sent event stream of the app's events as they are committed and
// of its rejected ingest requests, with their error code, message and fields. Read scope, so
// the dashboard's session can open it; `customerId` and `event` narrow it.
import { Elysia } from "elysia";
import { apiKeyAuth } from "../apps/auth";
import type { AppsService } from "../apps/service";
import { AppError } from "../errors";
import { compile, validateQuery } from "../http/validate";
import type { LiveHub, Subscriber } from "./service";
import { LiveQuery } from "./model";

const liveQuery = compile(LiveQuery);

/** A comment line every so often keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

/**
 * Reports a refused request on an ingest route to the app's live feed, when someone watches it.
 * The app is the one the request names (x-ck-app, or the browser body's appId once known):
 * anyone may claim any app id, but only what the app's own viewers see is affected, and the
 * feed is bounded like any other.
 */
export function reportRejection(hub: LiveHub, appId: string | null | undefined, request: Request, error: unknown, now: number): void {
  if (!appId || !(error instanceof AppError) || !hub.listening(appId)) return;
  hub.publish(appId, [
    {
      type: "rejected",
      at: new Date(now).toISOString(),
      method: request.method,
      path: new URL(request.url).pathname,
      status: error.status,
      code: error.code,
      message: error.message,
      details: (error.details ?? []).map(({ path, message }) => ({ path, message })),
    },
  ]);
}

/**
 * Messages of a Segment request that were rejected, one item each, as the Segment route's
 * rejection hook reports them: the request answered 200 when others were stored, else 400.
 */
export function reportMessageRejections(
  hub: LiveHub,
  appId: string,
  path: string,
  rejected: readonly { code: string; path: string; message: string }[],
  accepted: number,
  now: number,
): void {
  if (!hub.listening(appId)) return;
  const at = new Date(now).toISOString();
  hub.publish(
    appId,
    rejected.map((rejection) => ({
      type: "rejected" as const,
      at,
      method: "POST",
      path,
      status: accepted > 0 ? 200 : 400,
      code: rejection.code,
      message: rejection.message,
      details: [{ path: rejection.path, message: rejection.message }],
    })),
  );
}

/** The key-authenticated ingest routes; the browser route reports its own (it knows the app from the body). */
const INGEST_PATHS = new Set(["/v1/api/events/new", "/v1/api/events/bulk", "/v1/api/events/customer-update"]);

/**
 * An onError hook that only observes: registered before the app's error handler (which answers),
 * it reports rejected ingest requests and returns nothing. Elysia runs a plugin's own onError
 * after the app's, which has answered by then, hence here.
 */
export function reportIngestRejections(hub: LiveHub, clock: () => number) {
  return ({ error, request }: { error: unknown; request: Request }): undefined => {
    if (INGEST_PATHS.has(new URL(request.url).pathname)) reportRejection(hub, request.headers.get("x-ck-app"), request, error, clock());
    return undefined;
  };
}

export function liveRoutes(deps: { apps: AppsService; hub: LiveHub }) {
  const { apps, hub } = deps;
  return new Elysia({ name: "live" })
    .use(apiKeyAuth(apps, "read"))
    .get("/v1/api/live", ({ query, app, request }) => {
      const filter = validateQuery(liveQuery, query);
      const encoder = new TextEncoder();
      let subscriber: Subscriber | null = null;
      let wake: (() => void) | undefined;
      let heartbeat: ReturnType<typeof setInterval> | undefined;
      let ping = false;
      const close = () => {
        if (subscriber) hub.unsubscribe(subscriber);
        subscriber = null;
        clearInterval(heartbeat);
        wake?.();
      };
      subscriber = hub.subscribe(app.id, filter, () => wake?.());
      if (!subscriber) throw new AppError("SERVICE_UNAVAILABLE", `${hub.limits.maxSubscribers} live streams are open already: close one`, { headers: { "retry-after": "30" } });
      request.signal.addEventListener("abort", close);
      // Pull-based: items wait in the subscriber's bounded buffer, not in the stream's queue,
      // so a reader that falls behind costs at most bufferSize items.
      const body = new ReadableStream<Uint8Array>(
        {
          start(controller) {
            controller.enqueue(encoder.encode(": connected\n\n"));
            heartbeat = setInterval(() => {
              ping = true;
              wake?.();
            }, HEARTBEAT_MS);
          },
          async pull(controller) {
            for (;;) {
              if (!subscriber) return controller.close();
              const { items, dropped } = subscriber.take();
              let text = dropped > 0 ? `event: dropped\ndata: ${dropped}\n\n` : "";
              for (const item of items) text += `data: ${item}\n\n`;
              if (ping && !text) text = ": ping\n\n";
              ping = false;
              if (text) return controller.enqueue(encoder.encode(text));
              await new Promise<void>((resolve) => (wake = resolve));
              wake = undefined;
            }
          },
          cancel: close,
        },
        { highWaterMark: 0 },
      );
      return new Response(body, {
        headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" },
      });
    });
}
