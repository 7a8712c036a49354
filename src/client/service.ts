// The browser route's pipeline, as small steps in the order they run. Each step either passes
// its result on or throws an AppError that says why the request was refused; nothing is
// written until every step has passed, so a refused request stores nothing.
import { originAllowed } from "../apps/service";
import type { AppsService } from "../apps/service";
import type { AppRow } from "../store/types";
import { AppError, type ErrorDetail } from "../errors";
import type { RateLimiter } from "../http/rate-limit";
import { batchItems, indexed, normalizeAll, normalizeOne } from "../ingest/service";
import { CLIENT_MAX_EVENTS } from "./model";
import { normalizeClientEvent, type ClientEvent } from "./normalize";
import { authHashMatches, signedIdentity } from "./signature";

/** The events of a body that is one event object or an array of them. */
export function itemsOf(body: unknown): { items: unknown[]; isBatch: boolean } {
  if (Array.isArray(body)) return { items: batchItems(body, CLIENT_MAX_EVENTS, "/events/client"), isBatch: true };
  return { items: [body], isBatch: false };
}

/** The app named by the x-ck-app header or the events' appId: one app per request. */
export async function appOf(items: unknown[], header: string | null, apps: AppsService): Promise<AppRow> {
  const named = items.map((item) =>
    typeof item === "object" && item !== null && "appId" in item ? (item as { appId: unknown }).appId : undefined,
  );
  const appId = header ?? named.find((id) => id !== undefined);
  if (typeof appId !== "string" || appId === "") {
    throw new AppError("UNAUTHORIZED", "missing appId: send it in each event or in the x-ck-app header");
  }
  const mismatched = named.flatMap((id, index) => (id !== undefined && id !== appId ? [index] : []));
  if (mismatched.length > 0) {
    const details = mismatched.map((index) => ({ index, field: "appId", path: `/${index}/appId`, message: `must be ${appId} like the rest of this request` }));
    throw new AppError("VALIDATION_FAILED", "all events of one request must belong to one app", { details });
  }
  const app = await apps.findApp(appId);
  if (!app) throw new AppError("UNAUTHORIZED", `unknown appId ${appId}`);
  return app;
}

/** CORS is the browser's rule; a request without an Origin (curl, a server) is not a browser's. */
export function checkOrigin(app: AppRow, origin: string | null): void {
  if (origin !== null && !originAllowed(app.allowedOrigins, origin)) {
    throw new AppError("FORBIDDEN", `origin ${origin} may not send events for this app; see trackd apps update --allowed-origins`);
  }
}

export function checkRate(limiter: RateLimiter, key: string, what: string): void {
  const waitSeconds = limiter.take(key);
  if (waitSeconds > 0) {
    throw new AppError("RATE_LIMITED", `too many browser-event requests from this ${what}; retry in ${waitSeconds} s`, {
      headers: { "retry-after": String(waitSeconds) },
    });
  }
}

export function normalizeClientEvents(items: unknown[], isBatch: boolean, now: number): ClientEvent[] {
  const normalize = (item: unknown) => normalizeClientEvent(item, now);
  return isBatch ? normalizeAll(items, normalize) : [normalizeOne(items[0], normalize)];
}

/**
 * Marks each event verified when its authHash matches. One that doesn't match refuses the
 * whole request: a forged event is never quietly stored as unverified.
 */
export function verifySignatures(app: AppRow, events: ClientEvent[], isBatch: boolean): void {
  const forged: ErrorDetail[] = [];
  const unsigned: ErrorDetail[] = [];
  events.forEach(({ event, authHash }, index) => {
    const at = (detail: ErrorDetail) => (isBatch ? indexed(index, detail) : detail);
    const identity = signedIdentity(event);
    const signedField = event.customerId !== undefined ? "customerId" : "customerEmail";
    if (authHash === undefined) {
      if (app.requireVerified) unsigned.push(at({ path: "/authHash", message: "authHash is required by this app" }));
    } else if (authHashMatches(app.signingSecret, identity, authHash)) {
      event.verified = true;
    } else {
      forged.push(at({ path: "/authHash", message: `the signature did not match ${signedField} "${identity}"` }));
    }
  });
  if (forged.length > 0) {
    const message = `authHash: the signature did not match for ${forged.length} of ${events.length} events; nothing was stored`;
    throw new AppError("UNAUTHORIZED", message, { details: forged });
  }
  if (unsigned.length > 0) {
    const message = `this app accepts only signed browser events; ${unsigned.length} of ${events.length} have no authHash; nothing was stored`;
    throw new AppError("UNAUTHORIZED", message, { details: unsigned });
  }
}
