import { t } from "elysia";
import { Attributes, Email, EventDate, Identifier } from "../http/fields";

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
