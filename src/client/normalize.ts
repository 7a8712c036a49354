// The validate-and-normalise step for browser events. Pure, like ingest/normalize.ts; the
// signature is checked later, once the app (and so its secret) is known.
import type { ErrorDetail } from "../errors";
import { compile } from "../http/validate";
import type { Normalized } from "../ingest/service";
import { eventDataOf, eventDateOf, type NormalizedEvent } from "../ingest/service";
import { ClientEventInput } from "./model";

export interface ClientEvent {
  event: NormalizedEvent;
  authHash?: string;
}

const clientEventInput = compile(ClientEventInput);

// Attribute updates change what the server believes about a customer: a browser can't be trusted
// with that, signed or not, so they are refused by name rather than as mere unknown fields.
const SERVER_ONLY_FIELDS = ["customerData", "user"] as const;

export function normalizeClientEvent(raw: unknown, now: number): Normalized<ClientEvent> {
  const serverOnly = SERVER_ONLY_FIELDS.filter((field) => typeof raw === "object" && raw !== null && field in raw);
  if (serverOnly.length > 0) {
    return {
      ok: false,
      details: serverOnly.map((field) => ({
        path: `/${field}`,
        message: `${field} is not accepted from the browser; send attribute updates from your server to POST /v1/api/events/customer-update`,
      })),
    };
  }
  if (!clientEventInput.check(raw)) return { ok: false, details: clientEventInput.errors(raw) };
  const input = raw as ClientEventInput;
  const details: ErrorDetail[] = [];
  if (input.customerId === undefined && input.customerEmail === undefined) {
    details.push({ path: "/customerId", message: "customerId or customerEmail is required to know whose event this is" });
  }
  const eventDate = eventDateOf(input.eventDate, now, details, { clampFuture: true });
  const eventData = eventDataOf(input.eventData, details);
  if (details.length > 0) return { ok: false, details };
  return {
    ok: true,
    event: {
      event: {
        event: input.event,
        customerId: input.customerId,
        uid: input.uid,
        customerEmail: input.customerEmail,
        eventDate,
        eventData,
        messageId: input.messageId,
        verified: false, // until its authHash is checked
      },
      authHash: input.authHash,
    },
  };
}
