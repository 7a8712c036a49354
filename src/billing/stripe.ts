// Stripe objects → the provider-neutral shapes (model.ts), and webhook events → billing changes.
// Payloads are read defensively: accounts pinned to older API versions send older shapes
// (a `plan` beside the price, one `discount`, `current_period_end` on the subscription rather
// than on its items, `invoice.subscription` rather than `invoice.parent`).
import type Stripe from "stripe";
import { AppError } from "../errors";
import type { SubscriptionDiscount, SubscriptionItem } from "../store/types";
import { checkBillingCustomer, checkPaymentOutcome, checkSubscriptionState } from "./check";
import type { BillingCustomer, ChangeSource, PaymentOutcome, SubscriptionState } from "./model";
import { itemMrr, type BillingInterval } from "../mrr";
import type { BillingChange } from "./service";

export const STRIPE = "stripe";

type Loose<T> = T & Record<string, any>;

const ms = (seconds: number | null | undefined): number | null => (typeof seconds === "number" ? seconds * 1000 : null);
const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value === null || value === undefined ? null : typeof value === "string" ? value : value.id;

/** Stripe event types trackd applies; any other is acknowledged and ignored, and not stored. */
const HANDLED_EVENTS: ReadonlySet<string> = new Set([
  "customer.created",
  "customer.updated",
  "customer.deleted",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "customer.subscription.paused",
  "customer.subscription.resumed",
  "customer.subscription.trial_will_end",
  "invoice.paid",
  "invoice.payment_failed",
]);

export const handlesStripeEvent = (type: string): boolean => HANDLED_EVENTS.has(type);

/** The billing history's label for each subscription event (updated: derived from the change). */
const SUBSCRIPTION_KIND: Record<string, string | undefined> = {
  "customer.subscription.created": "subscription_created",
  "customer.subscription.deleted": "subscription_canceled",
  "customer.subscription.paused": "subscription_paused",
  "customer.subscription.resumed": "subscription_resumed",
};

export function stripeCustomer(customer: Loose<Stripe.Customer>): BillingCustomer {
  const metadata = Object.fromEntries(Object.entries(customer.metadata ?? {}).filter(([, value]) => typeof value === "string"));
  return { provider: STRIPE, customerId: customer.id, email: customer.email ?? null, name: customer.name ?? null, metadata };
}

/** `productNames` fills in names the payload only has ids for (sync fetches the products). */
export function stripeSubscription(subscription: Loose<Stripe.Subscription>, productNames: ReadonlyMap<string, string> = new Map()): SubscriptionState {
  const lines: Loose<Stripe.SubscriptionItem>[] = subscription.items?.data ?? [];
  const periodEnds = lines.map((line) => line.current_period_end).filter((end): end is number => typeof end === "number");
  return {
    provider: STRIPE,
    subscriptionId: subscription.id,
    customerId: idOf(subscription.customer)!,
    status: subscription.status,
    items: lines.map((line) => stripeItem(line, productNames)),
    discounts: [subscription.discount, ...(subscription.discounts ?? [])].flatMap(stripeDiscount),
    currency: subscription.currency,
    trialStart: ms(subscription.trial_start),
    trialEnd: ms(subscription.trial_end),
    currentPeriodEnd: ms(subscription.current_period_end ?? (periodEnds.length > 0 ? Math.max(...periodEnds) : null)),
    cancelAtPeriodEnd: subscription.cancel_at_period_end === true,
    canceledAt: ms(subscription.canceled_at),
    endedAt: ms(subscription.ended_at),
    startedAt: ms(subscription.start_date),
  };
}

function stripeItem(line: Loose<Stripe.SubscriptionItem>, productNames: ReadonlyMap<string, string>): SubscriptionItem {
  const price: Record<string, any> = line.price ?? {};
  const plan: Record<string, any> = line.plan ?? {};
  const recurring = price.recurring ?? { interval: plan.interval, interval_count: plan.interval_count, usage_type: plan.usage_type };
  const product = price.product ?? plan.product;
  const productId = idOf(product);
  // Metered lines bill what was used, unknown in advance: they add nothing to MRR.
  const metered = recurring.usage_type === "metered";
  const unitAmount = metered ? 0 : (price.unit_amount ?? numberOr(price.unit_amount_decimal) ?? plan.amount ?? 0);
  const item = {
    priceId: idOf(line.price) ?? idOf(line.plan),
    productId,
    productName: (typeof product === "object" && product?.name) || (productId && productNames.get(productId)) || price.nickname || plan.nickname || null,
    quantity: line.quantity ?? (metered ? 0 : 1),
    unitAmount: Math.round(unitAmount),
    interval: (recurring.interval ?? "month") as BillingInterval,
    intervalCount: recurring.interval_count ?? 1,
  };
  return { ...item, mrr: itemMrr(item) };
}

/** Only expanded discounts can be read; a one-off coupon is not recurring revenue lost. */
function stripeDiscount(discount: unknown): SubscriptionDiscount[] {
  if (!discount || typeof discount !== "object") return [];
  const { coupon: legacy, source, end } = discount as Record<string, any>;
  const coupon = legacy ?? source?.coupon;
  if (!coupon || typeof coupon !== "object" || coupon.duration === "once") return [];
  return [{ percentOff: coupon.percent_off ?? null, amountOff: coupon.amount_off ?? null, end: ms(end) }];
}

function stripePayment(invoice: Loose<Stripe.Invoice>, paid: boolean): PaymentOutcome {
  const subscription = invoice.subscription ?? invoice.parent?.subscription_details?.subscription ?? null;
  return {
    provider: STRIPE,
    customerId: idOf(invoice.customer)!,
    subscriptionId: idOf(subscription),
    invoiceId: invoice.id,
    paid,
    amount: (paid ? invoice.amount_paid : invoice.amount_due) ?? 0,
    currency: invoice.currency,
    attempt: invoice.attempt_count ?? null,
  };
}

/**
 * The changes one verified webhook event of a handled type makes. What is read from the object
 * is checked first (./check.ts): a shape trackd can't store is a 400 naming it, and nothing is written.
 */
export function stripeChanges(event: Loose<Stripe.Event>): BillingChange[] {
  const object = event.data.object as Record<string, any>;
  const source: ChangeSource = { at: event.created * 1000, eventId: event.id };
  const subscription = () => checkSubscriptionState(readObject(() => stripeSubscription(object as Stripe.Subscription)), "/data/object");
  switch (event.type) {
    case "customer.created":
    case "customer.updated":
      return [{ kind: "customer", customer: checkBillingCustomer(readObject(() => stripeCustomer(object as Stripe.Customer)), "/data/object"), source }];
    case "customer.deleted":
      return [{ kind: "customerDeleted", provider: STRIPE, customerId: object.id, source }];
    case "customer.subscription.trial_will_end": {
      const state = subscription();
      const detail = { subscriptionId: state.subscriptionId, trialEnd: state.trialEnd };
      return [
        { kind: "subscription", state, source },
        { kind: "note", provider: STRIPE, customerId: state.customerId, note: "trial_will_end", source, detail },
      ];
    }
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted":
    case "customer.subscription.paused":
    case "customer.subscription.resumed":
      return [{ kind: "subscription", state: subscription(), source: { ...source, kind: SUBSCRIPTION_KIND[event.type] } }];
    case "invoice.paid":
    case "invoice.payment_failed": {
      const payment = checkPaymentOutcome(readObject(() => stripePayment(object as Stripe.Invoice, event.type === "invoice.paid")), "/data/object");
      return [{ kind: "payment", payment, source }];
    }
    default:
      throw new Error(`unhandled Stripe event type ${event.type}`);
  }
}

/** The object read by `read`; a shape it can't read at all (a list that is not an array) is a 400. */
function readObject<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    const message = `data.object is not shaped as a Stripe object of this type: ${(error as Error).message}`;
    throw new AppError("VALIDATION_FAILED", message, { details: [{ path: "/data/object", message }] });
  }
}

function numberOr(value: unknown): number | undefined {
  const parsed = typeof value === "string" ? Number(value) : NaN;
  return Number.isFinite(parsed) ? parsed : undefined;
}
