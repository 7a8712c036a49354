// The steps of POST /v1/api/events/client, the browser route (src/ingest/steps.ts has the model):
//   rate-ip → read → items → app → origin → rate-app → normalise → signature → retention → write
// There is no API key: the app is named in the body or x-ck-app (the `app` step), the page's
// Origin must be one the app allows, and each event may prove its customer with an authHash
// (the `signature` step). The per-IP limit runs first, before the body is even read.
import type { Server } from "bun";
import { originAllowed } from "../apps/service";
import type { AppsService } from "../apps/service";
import { AppError, type ErrorDetail } from "../errors";
import { clientIp } from "../http/client-ip";
import type { RateLimiter } from "../http/rate-limit";
import {
  batchItems,
  indexed,
  normalizeAll,
  normalizeOne,
  readJson,
  retention,
  writeEvents,
  type EventsRequest,
  type IngestService,
  type Step,
} from "../ingest/service";
import { CLIENT_BODY_LIMIT, CLIENT_MAX_EVENTS } from "./model";
import { normalizeClientEvent } from "./normalize";
import { authHashMatches, signedIdentity } from "./signature";

export interface ClientRequest extends EventsRequest {
  /** Where the client's IP comes from (null in tests, which call app.handle). */
  server: Server<unknown> | null;
  origin: string | null;
  /** The body's events: one object, or an array of them (then `batch`). */
  items?: unknown[];
  /** Each event's authHash, by index, until the signature step checks it. */
  authHashes?: (string | undefined)[];
}

export interface ClientSteps {
  apps: AppsService;
  ingest: IngestService;
  perIp: RateLimiter;
  perApp: RateLimiter;
  trustProxy: boolean;
}

export function clientRequest(request: Request, server: Server<unknown> | null, now: number): ClientRequest {
  return {
    request,
    server,
    origin: request.headers.get("origin"),
    now,
    batch: false,
    source: "client",
    app: undefined,
    body: undefined,
    items: undefined,
    events: undefined,
    authHashes: undefined,
    results: undefined,
  };
}

/** A token from the client IP's bucket (429 with Retry-After when empty). */
export function rateIp(limiter: RateLimiter, trustProxy: boolean): Step<ClientRequest, "rate-ip"> {
  return { name: "rate-ip", run: (ctx) => takeToken(limiter, clientIp(ctx.request, ctx.server, trustProxy), "IP address") };
}

export const read = readJson<ClientRequest>(() => CLIENT_BODY_LIMIT);

/** The events of a body that is one event object or an array of 1 to 100. */
export const items: Step<ClientRequest, "items"> = {
  name: "items",
  run(ctx) {
    ctx.batch = Array.isArray(ctx.body);
    ctx.items = ctx.batch ? batchItems(ctx.body as unknown[], CLIENT_MAX_EVENTS, "/events/client") : [ctx.body];
  },
};

/** The app named by the x-ck-app header or the events' appId: one app per request (401 unknown). */
export function app(apps: AppsService): Step<ClientRequest, "app"> {
  return {
    name: "app",
    async run(ctx) {
      const named = ctx.items!.map((item) =>
        typeof item === "object" && item !== null && "appId" in item ? (item as { appId: unknown }).appId : undefined,
      );
      const appId = ctx.request.headers.get("x-ck-app") ?? named.find((id) => id !== undefined);
      if (typeof appId !== "string" || appId === "") {
        throw new AppError("UNAUTHORIZED", "missing appId: send it in each event or in the x-ck-app header");
      }
      const mismatched = named.flatMap((id, index) => (id !== undefined && id !== appId ? [index] : []));
      if (mismatched.length > 0) {
        const details = mismatched.map((index) => ({ index, field: "appId", path: `/${index}/appId`, message: `must be ${appId} like the rest of this request` }));
        throw new AppError("VALIDATION_FAILED", "all events of one request must belong to one app", { details });
      }
      ctx.app = await apps.findApp(appId);
      if (!ctx.app) throw new AppError("UNAUTHORIZED", `unknown appId ${appId}`);
    },
  };
}

/** CORS is the browser's rule; a request without an Origin (curl, a server) is not a browser's. */
export const origin: Step<ClientRequest, "origin"> = {
  name: "origin",
  run({ app, origin }) {
    if (origin !== null && !originAllowed(app!.allowedOrigins, origin)) {
      throw new AppError("FORBIDDEN", `origin ${origin} may not send events for this app; see trackd apps update --allowed-origins`);
    }
  },
};

/** A token from the app's bucket, so that one app's flood can't starve the others. */
export function rateApp(limiter: RateLimiter): Step<ClientRequest, "rate-app"> {
  return { name: "rate-app", run: (ctx) => takeToken(limiter, ctx.app!.id, "app") };
}

/** Validates and normalises every event (all or nothing); authHashes are kept aside for the next step. */
export const normalise: Step<ClientRequest, "normalise"> = {
  name: "normalise",
  run(ctx) {
    const normalize = (item: unknown) => normalizeClientEvent(item, ctx.now);
    const events = ctx.batch ? normalizeAll(ctx.items!, normalize) : [normalizeOne(ctx.items![0], normalize)];
    ctx.events = events.map(({ event }) => event);
    ctx.authHashes = events.map(({ authHash }) => authHash);
  },
};

/**
 * Marks each event verified when its authHash matches. One that doesn't match refuses the
 * whole request: a forged event is never quietly stored as unverified. 401 either way.
 */
export const signature: Step<ClientRequest, "signature"> = {
  name: "signature",
  run(ctx) {
    const { app, events, authHashes, batch } = ctx;
    const forged: ErrorDetail[] = [];
    const unsigned: ErrorDetail[] = [];
    events!.forEach((event, index) => {
      const at = (detail: ErrorDetail) => (batch ? indexed(index, detail) : detail);
      const authHash = authHashes![index];
      const identity = signedIdentity(event);
      const signedField = event.customerId !== undefined ? "customerId" : "customerEmail";
      if (authHash === undefined) {
        if (app!.requireVerified) unsigned.push(at({ path: "/authHash", message: "authHash is required by this app" }));
      } else if (authHashMatches(app!.signingSecret, identity, authHash)) {
        event.verified = true;
      } else {
        forged.push(at({ path: "/authHash", message: `the signature did not match ${signedField} "${identity}"` }));
      }
    });
    if (forged.length > 0) {
      const message = `authHash: the signature did not match for ${forged.length} of ${events!.length} events; nothing was stored`;
      throw new AppError("UNAUTHORIZED", message, { details: forged });
    }
    if (unsigned.length > 0) {
      const message = `this app accepts only signed browser events; ${unsigned.length} of ${events!.length} have no authHash; nothing was stored`;
      throw new AppError("UNAUTHORIZED", message, { details: unsigned });
    }
  },
};

/** The browser route's steps, in order; retention and write are the server routes' own. */
export function clientSteps({ apps, ingest, perIp, perApp, trustProxy }: ClientSteps): readonly Step<ClientRequest>[] {
  return [rateIp(perIp, trustProxy), read, items, app(apps), origin, rateApp(perApp), normalise, signature, retention, writeEvents(ingest)];
}

function takeToken(limiter: RateLimiter, key: string, what: string): void {
  const waitSeconds = limiter.take(key);
  if (waitSeconds > 0) {
    throw new AppError("RATE_LIMITED", `too many browser-event requests from this ${what}; retry in ${waitSeconds} s`, {
      headers: { "retry-after": String(waitSeconds) },
    });
  }
}
