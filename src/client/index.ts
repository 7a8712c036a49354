// POST /v1/api/events/client: events straight from a browser (the /sdk.js snippet). The steps
// are in ./pipeline.ts; this file adds what is HTTP: the CORS preflight and grant, the Live
// page's view of refusals, and the reply.
import { Elysia } from "elysia";
import type { AppsService } from "../apps/service";
import { AppError } from "../errors";
import type { LiveHub } from "../live/service";
import { reportRejection } from "../live/index";
import { RateLimiter } from "../http/rate-limit";
import { batchReply, runSteps, singleReply } from "../ingest/service";
import type { IngestService } from "../ingest/service";
import { CLIENT_PATH, type ClientOptions } from "./model";
import { clientRequest, clientSteps } from "./pipeline";

export function clientRoutes(deps: { apps: AppsService; ingest: IngestService; clock: () => number; options: ClientOptions; live?: LiveHub }) {
  const { apps, ingest, clock, options, live } = deps;
  const perIp = new RateLimiter(options.perIp, clock);
  const perApp = new RateLimiter(options.perApp, clock);
  const steps = clientSteps({ apps, ingest, perIp, perApp, trustProxy: options.trustProxy });

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
        const ctx = clientRequest(request, server, clock());
        try {
          const { origin, events, results, batch } = await runSteps(ctx, steps);
          Object.assign(set.headers, corsGrant(origin, true)); // the origin step let it through
          if (batch) {
            const reply = batchReply(results!);
            set.status = reply.count > 0 ? 201 : 200;
            return reply;
          }
          set.status = results![0]!.duplicate ? 200 : 201;
          return { ...singleReply(results![0]!), verified: events![0]!.verified };
        } catch (error) {
          if (live) reportRejection(live, ctx.app?.id ?? request.headers.get("x-ck-app"), request, error, clock());
          // A refusal is readable by any page, an origin refused included: it says only why the
          // events were refused (never the app's data), and without it the browser hides the 403
          // as a network error, so the snippet would retry events that can never be accepted.
          // No credentials are ever granted.
          throw error instanceof AppError ? error.withHeaders(corsGrant(ctx.origin, true)) : error;
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
