import { t } from "elysia";

export const CustomerQuery = t.Object(
  {
    by: t.Optional(
      t.Union([t.Literal("customerId"), t.Literal("uid"), t.Literal("email")], {
        error: "must be customerId, uid or email",
      }),
    ),
  },
  { additionalProperties: false },
);

export interface UserView {
  uid: string;
  data: Record<string, unknown>;
  firstSeen: string | null;
  lastSeen: string | null;
  eventCount: number;
}

export interface CustomerView {
  customerId: string | null;
  uid: string | null;
  email: string | null;
  data: Record<string, unknown>;
  users: UserView[];
  firstSeen: string | null;
  lastSeen: string | null;
  eventCount: number;
  createdAt: string;
  updatedAt: string;
}
