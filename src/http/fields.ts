// Body fields that several features' routes accept alike: the ingestion routes, the browser
// route, Segment's and billing's subscriptions. They sit here, below every feature, so that a
// route's model takes them without importing another feature (billing once took them from
// ingest, whose customer updates reach billing: a loop of folders).
import { t } from "elysia";
import { Chars } from "./chars";

/** An id sent by the client (event name, customer id, uid, message id, price id, …). */
export const Identifier = Chars(1, 255, { error: "must be a string of 1 to 255 characters" });
export const Attributes = t.Record(t.String(), t.Unknown(), { error: "must be a JSON object" });
/** Parsed by src/dates.ts, which says what each form means. */
export const EventDate = t.Union([t.String(), t.Number()], {
  error: "must be YYYY-MM-DD, an ISO 8601 date-time with offset, or epoch milliseconds",
});
export const Email = Chars(3, 320, { pattern: "^[^\\s@]+@[^\\s@]+$", error: "must be an email address" });

export type Attributes = typeof Attributes.static;
