// The provider-neutral shape every billing source is turned into (store/commands.ts: Stripe webhooks, `trackd
// stripe sync`, POST /v1/api/subscriptions), and the JSON schema of that route's body.
import { Type } from "@sinclair/typebox";
import { t } from "elysia";
import { Chars } from "../http/chars";
import { EventDate, Identifier } from "../http/fields";
import { SUBSCRIPTION_STATUSES } from "../subscriptions";

export type { BillingCustomer, ChangeSource, PaymentOutcome, SubscriptionState } from "../store/commands";

export const PROVIDER = /^[a-z0-9_-]{1,40}$/;
const NullableDate = t.Optional(t.Union([EventDate, t.Null()], { error: "must be a date (YYYY-MM-DD, ISO 8601 with offset, epoch ms) or null" }));
const Amount = Type.Integer({ minimum: 0, maximum: 1e13, error: "must be a whole amount in the currency's minor unit (cents), 0 or more" });

export const SubscriptionItemInput = t.Object(
  {
    priceId: t.Optional(Identifier),
    productId: t.Optional(Identifier),
    productName: t.Optional(Chars(0, 255, { error: "must be a string of at most 255 characters" })),
    quantity: t.Optional(Type.Integer({ minimum: 0, maximum: 1e9, error: "must be a whole number, 0 or more" })),
    unitAmount: Amount,
    interval: t.Union([t.Literal("day"), t.Literal("week"), t.Literal("month"), t.Literal("year")], {
      error: "must be day, week, month or year",
    }),
    intervalCount: t.Optional(Type.Integer({ minimum: 1, maximum: 365, error: "must be a whole number from 1 to 365" })),
  },
  { additionalProperties: false },
);

export const DiscountInput = t.Object(
  {
    percentOff: t.Optional(t.Number({ exclusiveMinimum: 0, maximum: 100, error: "must be a number above 0, at most 100" })),
    amountOff: t.Optional(Amount),
    end: NullableDate,
  },
  { additionalProperties: false },
);

/** POST /v1/api/subscriptions: for Chargebee, Paddle, Braintree or in-house billing. */
export const SubscriptionInput = t.Object(
  {
    provider: t.Optional(t.String({ pattern: PROVIDER.source, error: "must be 1 to 40 of a-z, 0-9, _ and -" })),
    subscriptionId: Identifier,
    customerId: Identifier,
    status: t.Union(SUBSCRIPTION_STATUSES.map((status) => t.Literal(status)), {
      error: `must be one of ${SUBSCRIPTION_STATUSES.join(", ")}`,
    }),
    currency: t.String({ pattern: "^[A-Za-z]{3}$", error: "must be a three-letter ISO 4217 code such as usd" }),
    items: t.Array(SubscriptionItemInput, { minItems: 1, maxItems: 100, error: "must be an array of 1 to 100 items" }),
    discounts: t.Optional(t.Array(DiscountInput, { maxItems: 20, error: "must be an array of at most 20 discounts" })),
    trialStart: NullableDate,
    trialEnd: NullableDate,
    currentPeriodEnd: NullableDate,
    cancelAtPeriodEnd: t.Optional(t.Boolean({ error: "must be true or false" })),
    canceledAt: NullableDate,
    endedAt: NullableDate,
    startedAt: NullableDate,
    /** When this state was true at the provider; an update older than the stored one is ignored. */
    updatedAt: t.Optional(EventDate),
  },
  { additionalProperties: false },
);
export type SubscriptionInput = typeof SubscriptionInput.static;
