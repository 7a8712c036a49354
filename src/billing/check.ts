// What a billing change must look like once read from a provider's payload, checked before it is
// written. A Stripe webhook is signed, but its objects are read loosely (older API versions send
// older shapes): a value of the wrong type or a date no ISO string can hold is refused with a
// 400 naming it, instead of a 500 from SQLite, or a row that breaks every later read.
import { Type, type TSchema } from "@sinclair/typebox";
import { LATEST_DATE } from "../dates";
import { AppError } from "../errors";
import { compile, type Validator } from "../http/validate";

const Id = Type.String({ minLength: 1, maxLength: 255 });
const Text = Type.Union([Type.String({ maxLength: 1000 }), Type.Null()]);
const When = Type.Union([Type.Integer({ minimum: 0, maximum: LATEST_DATE }), Type.Null()], {
  error: "must be a time between 1970-01-01 and 9999-12-31 (Stripe: seconds since the epoch), or null",
});
const Amount = Type.Number({ minimum: -1e13, maximum: 1e13 });

const subscriptionState = compile(
  Type.Object({
    subscriptionId: Id,
    customerId: Id,
    status: Type.String({ minLength: 1, maxLength: 40 }),
    currency: Type.String({ pattern: "^[A-Za-z]{3}$" }),
    items: Type.Array(
      Type.Object({
        priceId: Type.Union([Id, Type.Null()]),
        productId: Type.Union([Id, Type.Null()]),
        productName: Text,
        quantity: Type.Integer({ minimum: 0, maximum: 1e9 }),
        unitAmount: Amount,
        interval: Type.Union(["day", "week", "month", "year"].map((interval) => Type.Literal(interval))),
        intervalCount: Type.Integer({ minimum: 1, maximum: 1000 }),
        mrr: Amount,
      }),
      { maxItems: 1000 },
    ),
    discounts: Type.Array(Type.Object({ percentOff: Type.Union([Type.Number({ minimum: 0, maximum: 100 }), Type.Null()]), amountOff: Type.Union([Amount, Type.Null()]), end: When })),
    cancelAtPeriodEnd: Type.Boolean(),
    trialStart: When,
    trialEnd: When,
    currentPeriodEnd: When,
    canceledAt: When,
    endedAt: When,
    startedAt: When,
  }),
);

const billingCustomer = compile(
  Type.Object({ customerId: Id, email: Text, name: Text, metadata: Type.Record(Type.String(), Type.String({ maxLength: 10_000 })) }),
);

const paymentOutcome = compile(
  Type.Object({
    customerId: Id,
    subscriptionId: Type.Union([Id, Type.Null()]),
    invoiceId: Id,
    paid: Type.Boolean(),
    amount: Amount,
    currency: Type.String({ pattern: "^[A-Za-z]{3}$" }),
    attempt: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  }),
);

export const checkSubscriptionState = <T>(state: T, where: string): T => checked(subscriptionState, state, where);
export const checkBillingCustomer = <T>(customer: T, where: string): T => checked(billingCustomer, customer, where);
export const checkPaymentOutcome = <T>(payment: T, where: string): T => checked(paymentOutcome, payment, where);

/** `value`, or a VALIDATION_FAILED whose details sit under `where` (e.g. "/data/object"). */
function checked<S extends TSchema, T>(validator: Validator<S>, value: T, where: string): T {
  if (validator.check(value)) return value;
  // The paths are of the shape as read (trialEnd), not of the payload (trial_end): the message
  // names the one, the path points at the object.
  const field = where.slice(1).replaceAll("/", ".");
  const details = validator.errors(value).map((detail) => ({ path: where, message: `${field}: ${detail.message}` }));
  throw new AppError("VALIDATION_FAILED", `the provider's object can't be applied: ${details[0].message}`, { details });
}
