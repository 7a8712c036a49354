// The validate-and-normalise step of the ingestion pipeline: raw JSON in, a NormalizedEvent or
// the reasons it was refused out. Pure: no database, the clock is passed in.
import { EARLIEST_EVENT_DATE, happenedAtProblem, MAX_FUTURE_MS, parseDate } from "../dates";
import type { ErrorDetail } from "../errors";
import type { Attributes } from "../http/fields";
import { compile } from "../http/validate";
import { attributeProblems, nestingProblem } from "./attributes";
import type { Normalized } from "./batch";
import { EventInput, type UserInput } from "./model";

export const MAX_EVENT_DATA_BYTES = 32 * 1024;
export { EARLIEST_EVENT_DATE, MAX_FUTURE_MS };

export interface NormalizedEvent {
  event: string;
  customerId?: string;
  uid?: string;
  eventDate: number;
  /** eventData serialised once, here: it is measured here and stored as is. */
  eventData: string | null;
  /** Browser events only: finds the customer when there is no customerId or uid. */
  customerEmail?: string;
  user?: UserInput;
  customerData?: Attributes;
  messageId?: string;
  /** Whether the identity is proven (API key, or a valid authHash): only then may it link or change a customer. */
  verified: boolean;
}

/** Bulk requests may not carry attribute updates (as in the Churnkey API). */
export type EventContext = "single" | "bulk";

const eventInput = compile(EventInput);

export function normalizeEvent(
  raw: unknown,
  context: EventContext,
  now: number,
): Normalized<NormalizedEvent> {
  // The compiled check is fast; the error walk is not, so it runs only for bad input.
  if (!eventInput.check(raw)) return { ok: false, details: eventInput.errors(raw) };
  const input = raw as EventInput;
  const details: ErrorDetail[] = [];

  if (input.customerId === undefined && input.uid === undefined) {
    details.push({ path: "/customerId", message: "customerId or uid is required to know whose event this is" });
  }
  if (context === "bulk" && input.customerData !== undefined) {
    details.push({ path: "/customerData", message: BULK_UPDATE_MESSAGE("customerData") });
  }
  if (context === "bulk" && input.user?.data !== undefined) {
    details.push({ path: "/user/data", message: BULK_UPDATE_MESSAGE("user.data") });
  }

  details.push(...attributeProblems([["/customerData", input.customerData], ["/user/data", input.user?.data]]));
  const eventDate = eventDateOf(input.eventDate, now, details);
  const eventData = eventDataOf(input.eventData, details);

  if (details.length > 0) return { ok: false, details };
  return {
    ok: true,
    event: {
      event: input.event,
      customerId: input.customerId,
      uid: input.uid,
      eventDate,
      eventData,
      user: input.user,
      customerData: input.customerData,
      messageId: input.messageId,
      verified: true, // the API key vouches for server-side events
    },
  };
}

// Steps shared with the browser route (src/client/normalize.ts).

/** The event's date in ms (now when absent); a problem is added to `details` instead. */
export function eventDateOf(
  raw: string | number | undefined,
  now: number,
  details: ErrorDetail[],
  options: { clampFuture?: boolean } = {},
): number {
  if (raw === undefined) return now;
  const parsed = parseDate(raw, "eventDate");
  if (!parsed.ok) {
    details.push({ path: "/eventDate", message: parsed.message });
    return now;
  }
  // A browser's clock is its owner's to set: the future means "now" there, not a mistake.
  if (options.clampFuture && parsed.ms > now + MAX_FUTURE_MS) return now;
  const problem = happenedAtProblem(parsed.ms, now, "eventDate");
  if (problem === undefined) return parsed.ms;
  details.push({ path: "/eventDate", message: problem });
  return now;
}

/** eventData serialised once, here: it is measured here and stored as is. */
export function eventDataOf(raw: Attributes | undefined, details: ErrorDetail[]): string | null {
  if (raw === undefined) return null;
  // Before stringify, which recurses: a deep enough value would overflow the stack.
  const tooDeep = nestingProblem(raw, "/eventData");
  if (tooDeep) {
    details.push(tooDeep);
    return null;
  }
  const eventData = JSON.stringify(raw);
  if (eventData !== null && Buffer.byteLength(eventData) > MAX_EVENT_DATA_BYTES) {
    details.push({ path: "/eventData", message: `eventData must be at most ${MAX_EVENT_DATA_BYTES / 1024} KB serialized` });
  }
  return eventData;
}

const BULK_UPDATE_MESSAGE = (field: string) =>
  `${field} is not accepted by /events/bulk; send attribute updates to POST /v1/api/events/customer-update`;
