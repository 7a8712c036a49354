// GET /v1/api/live's query: the stream narrowed to one customer or one event name.
import { t } from "elysia";

export const LiveQuery = t.Object(
  {
    customerId: t.Optional(t.String({ minLength: 1, maxLength: 255, error: "must be 1 to 255 characters" })),
    event: t.Optional(t.String({ minLength: 1, maxLength: 255, error: "must be 1 to 255 characters" })),
  },
  { additionalProperties: false },
);
