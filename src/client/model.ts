import { t } from "elysia";
import { KB } from "../http/body";
import type { RateLimit } from "../http/rate-limit";
import { Attributes, Email, EventDate, Identifier } from "../http/fields";

export const CLIENT_PATH = "/v1/api/events/client";
export const CLIENT_MAX_EVENTS = 100;
export const CLIENT_BODY_LIMIT = 64 * KB;

/** One browser event, as `window.churnkey.event(...)` sends it (the body is one, or an array). */
export const ClientEventInput = t.Object(
  {
    event: Identifier,
    appId: t.Optional(Identifier),
    customerId: t.Optional(Identifier),
    customerEmail: t.Optional(Email),
    uid: t.Optional(Identifier),
    authHash: t.Optional(
      t.String({
        pattern: "^[0-9a-fA-F]{64}$",
        error: "must be 64 hex characters: the HMAC-SHA256 of customerId (or customerEmail) keyed by the app's signing secret",
      }),
    ),
    eventDate: t.Optional(EventDate),
    eventData: t.Optional(Attributes),
    messageId: t.Optional(Identifier),
  },
  { additionalProperties: false },
);

export type ClientEventInput = typeof ClientEventInput.static;

export interface ClientOptions {
  /** Token buckets: requests per second and burst, per client IP and per app. */
  perIp: RateLimit;
  perApp: RateLimit;
  /** Take the client IP from X-Forwarded-For (the last address: the one your proxy added). */
  trustProxy: boolean;
}

export const DEFAULT_CLIENT_OPTIONS: ClientOptions = {
  perIp: { rate: 100, burst: 200 },
  perApp: { rate: 1000, burst: 2000 },
  trustProxy: false,
};
