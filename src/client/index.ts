// POST /v1/api/events/client: events straight from a browser (the /sdk.js snippet). No API
// key: the app is named in the body or x-ck-app, and each event may prove its customer with an
// authHash (src/client/signature.ts). The pipeline steps live in ./service.ts; this file adds
// what is HTTP: the client's IP, CORS, and the reply.
import { Elysia } from "elysia";
import { originAllowed } from "../apps/service";
import type { AppsService } from "../apps/service";
import type { AppRow } from "../store/types";
import { AppError } from "../errors";
import { readJsonBody } from "../http/body";
import type { LiveHub } from "../live/service";
import { reportRejection } from "../live/index";
import { clientIp } from "../http/client-ip";
import { RateLimiter } from "../http/rate-limit";
import { batchReply, singleReply } from "../ingest/service";
import type { IngestService } from "../ingest/service";
import { refusePastHorizon } from "../horizon";
import { CLIENT_BODY_LIMIT, CLIENT_PATH, type ClientOptions } from "./model";
import { appOf, checkOrigin, checkRate, itemsOf, normalizeClientEvents, verifySignatures } from "./service";

export function clientRoutes(deps: { apps: AppsService; ingest: IngestService; clock: () => number; options: ClientOptions; live?: LiveHub }) {
  const { apps, ingest, clock, options, live } = deps;
  const perIp = new RateLimiter(options.perIp, clock);
  const perApp = new RateLimiter(options.perApp, clock);

  return new Elysia({ name: "client" })
    .options(CLIENT_PATH, async ({ request }) => {
      // A preflight names no app, so an origin is granted here if any app allows it; the POST
      // then checks the origin against its own app.
      const origin = request.headers.get("origin");
      const allowed = origin !== null && (await apps.originAllowedByAnyApp(origin));
      if (origin !== null && !allowed) throw new AppError("FORBIDDEN", `origin ${origin} may not send browser events here`);
      return new Response(null, {
        status: 204,
        headers: {
          ...corsGrant(origin, allowed),
          "access-control-allow-methods": "POST",
          "access-control-allow-headers": "content-type, x-ck-app",
          "access-control-max-age": "86400",
        },
      });
    })
    .post(
      CLIENT_PATH,
      async ({ request, server, set }) => {
        const origin = request.headers.get("origin");
        let app: AppRow | undefined;
        const grant = () => corsGrant(origin, origin !== null && app !== undefined && originAllowed(app.allowedOrigins, origin));
        try {
          checkRate(perIp, clientIp(request, server, options.trustProxy), "IP address");
          const { items, isBatch } = itemsOf(await readJsonBody(request, CLIENT_BODY_LIMIT));
          app = await appOf(items, request.headers.get("x-ck-app"), apps);
          checkOrigin(app, origin);
          checkRate(perApp, app.id, "app");
          const events = normalizeClientEvents(items, isBatch, clock());
          verifySignatures(app, events, isBatch);
          refusePastHorizon(app, events.map(({ event }) => event.eventDate), clock(), isBatch);
          const results = await ingest.recordEvents(app.id, events.map(({ event }) => event), "client");

          Object.assign(set.headers, grant());
          if (isBatch) {
            const reply = batchReply(results);
            set.status = reply.count > 0 ? 201 : 200;
            return reply;
          }
          set.status = results[0].duplicate ? 200 : 201;
          return { ...singleReply(results[0]), verified: events[0].event.verified };
        } catch (error) {
          if (live) reportRejection(live, app?.id ?? request.headers.get("x-ck-app"), request, error, clock());
          // A refusal is readable by any page, an origin refused included: it says only why the
          // events were refused (never the app's data), and without it the browser hides the 403
          // as a network error, so the snippet would retry events that can never be accepted.
          // No credentials are ever granted.
          throw error instanceof AppError ? error.withHeaders(corsGrant(origin, true)) : error;
        }
      },
      { parse: "none" },
    );
}

/**
 * Lets the page read the reply, and Retry-After (not readable cross-origin by default) so the
 * snippet can honour it; `Vary` because the answer depends on the Origin. No credentials.
 */
function corsGrant(origin: string | null, allowed: boolean): Record<string, string> {
  if (origin === null) return {};
  if (!allowed) return { vary: "Origin" };
  return { "access-control-allow-origin": origin, "access-control-expose-headers": "Retry-After", vary: "Origin" };
}
