import { t } from "elysia";
import { Chars } from "../http/chars";

// Field schemas shared by every ingestion route (the browser one included).
export const Identifier = Chars(1, 255, { error: "must be a string of 1 to 255 characters" });
export const Attributes = t.Record(t.String(), t.Unknown(), { error: "must be a JSON object" });
export const EventDate = t.Union([t.String(), t.Number()], {
  error: "must be YYYY-MM-DD, an ISO 8601 date-time with offset, or epoch milliseconds",
});
export const Email = Chars(3, 320, { pattern: "^[^\\s@]+@[^\\s@]+$", error: "must be an email address" });

export const UserInput = t.Object({ uid: Identifier, data: t.Optional(Attributes) }, { additionalProperties: false });

/** One event, as sent to /events/new and as each item of /events/bulk. */
export const EventInput = t.Object(
  {
    event: Identifier,
    customerId: t.Optional(Identifier),
    uid: t.Optional(Identifier),
    eventDate: t.Optional(EventDate),
    eventData: t.Optional(Attributes),
    user: t.Optional(UserInput),
    customerData: t.Optional(Attributes),
    messageId: t.Optional(Identifier),
  },
  { additionalProperties: false },
);

export const BULK_MAX_EVENTS = 100;
export const CustomerUpdateInput = t.Object(
  {
    customerId: t.Optional(Identifier),
    uid: t.Optional(Identifier),
    customerEmail: t.Optional(Email),
    customerData: t.Optional(Attributes),
    user: t.Optional(UserInput),
  },
  { additionalProperties: false },
);

export type EventInput = typeof EventInput.static;
export type UserInput = typeof UserInput.static;
export type CustomerUpdateInput = typeof CustomerUpdateInput.static;
export type Attributes = typeof Attributes.static;
