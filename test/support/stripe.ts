// Stripe objects and events in the shapes Stripe sends (API version 2025-03-31 and later:
// periods on the items, `discounts`, invoices pointing at their subscription through `parent`),
// signed with the official package's own test helper.
import Stripe from "stripe";
import type { Harness } from "../helpers";

// Under Bun the package loads its worker build, whose crypto (WebCrypto) is async-only: the
// helpers used here are the *Async twins of generateTestHeaderString and constructEvent.
export const stripe = new Stripe("sk_test_trackd_tests_only");
export const WEBHOOK_SECRET = "whsec_trackdTestSecret0123456789abcdef";

const seconds = (ms: number) => Math.floor(ms / 1000);
let sequence = 0;
const nextId = (prefix: string) => `${prefix}_test${(++sequence).toString().padStart(8, "0")}`;

export function customerObject(fields: { id: string; email?: string | null; name?: string | null; metadata?: Record<string, string>; created?: number }) {
  return {
    id: fields.id,
    object: "customer",
    address: null,
    balance: 0,
    created: seconds(fields.created ?? Date.UTC(2026, 0, 1)),
    currency: "usd",
    default_source: null,
    delinquent: false,
    description: null,
    email: fields.email ?? null,
    invoice_prefix: "ABC123",
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: fields.metadata ?? {},
    name: fields.name ?? null,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: "none",
    test_clock: null,
  };
}

export interface PriceFields {
  id: string;
  unitAmount: number;
  interval?: "day" | "week" | "month" | "year";
  intervalCount?: number;
  product?: string | { id: string; name: string };
  nickname?: string | null;
  usageType?: "licensed" | "metered";
  quantity?: number;
  currency?: string;
}

function itemObject(subscriptionId: string, price: PriceFields, periodEnd: number) {
  return {
    id: nextId("si"),
    object: "subscription_item",
    created: seconds(Date.UTC(2026, 0, 1)),
    current_period_start: seconds(periodEnd) - 30 * 86400,
    current_period_end: seconds(periodEnd),
    discounts: [],
    metadata: {},
    price: {
      id: price.id,
      object: "price",
      active: true,
      billing_scheme: "per_unit",
      currency: price.currency ?? "usd",
      livemode: false,
      lookup_key: null,
      metadata: {},
      nickname: price.nickname ?? null,
      product: price.product ?? `prod_${price.id}`,
      recurring: {
        interval: price.interval ?? "month",
        interval_count: price.intervalCount ?? 1,
        meter: null,
        usage_type: price.usageType ?? "licensed",
      },
      tax_behavior: "unspecified",
      type: "recurring",
      unit_amount: price.unitAmount,
      unit_amount_decimal: String(price.unitAmount),
    },
    quantity: price.usageType === "metered" ? undefined : (price.quantity ?? 1),
    subscription: subscriptionId,
    tax_rates: [],
  };
}

export interface SubscriptionFields {
  id: string;
  customer: string;
  status?: string;
  items: PriceFields[];
  currency?: string;
  trialStart?: number | null;
  trialEnd?: number | null;
  periodEnd?: number;
  cancelAtPeriodEnd?: boolean;
  canceledAt?: number | null;
  endedAt?: number | null;
  startDate?: number;
  /** Expanded discount objects (as `stripe subscriptions retrieve --expand discounts` gives). */
  discounts?: unknown[];
  /** Accounts on older API versions: one `discount` object. */
  discount?: unknown;
}

export function subscriptionObject(fields: SubscriptionFields) {
  const periodEnd = fields.periodEnd ?? Date.UTC(2026, 1, 1);
  const started = fields.startDate ?? Date.UTC(2026, 0, 1);
  return {
    id: fields.id,
    object: "subscription",
    application: null,
    billing_cycle_anchor: seconds(started),
    cancel_at: fields.cancelAtPeriodEnd ? seconds(periodEnd) : null,
    cancel_at_period_end: fields.cancelAtPeriodEnd ?? false,
    canceled_at: fields.canceledAt ? seconds(fields.canceledAt) : null,
    collection_method: "charge_automatically",
    created: seconds(started),
    currency: fields.currency ?? "usd",
    customer: fields.customer,
    default_payment_method: null,
    description: null,
    discounts: fields.discounts ?? [],
    ...(fields.discount === undefined ? {} : { discount: fields.discount }),
    ended_at: fields.endedAt ? seconds(fields.endedAt) : null,
    items: {
      object: "list",
      data: fields.items.map((price) => itemObject(fields.id, price, periodEnd)),
      has_more: false,
      total_count: fields.items.length,
      url: `/v1/subscription_items?subscription=${fields.id}`,
    },
    latest_invoice: null,
    livemode: false,
    metadata: {},
    pause_collection: null,
    schedule: null,
    start_date: seconds(started),
    status: fields.status ?? "active",
    test_clock: null,
    trial_end: fields.trialEnd ? seconds(fields.trialEnd) : null,
    trial_start: fields.trialStart ? seconds(fields.trialStart) : null,
  };
}

export function invoiceObject(fields: { customer: string; subscription: string | null; paid: boolean; amount: number; legacy?: boolean; attempt?: number }) {
  return {
    id: nextId("in"),
    object: "invoice",
    amount_due: fields.amount,
    amount_paid: fields.paid ? fields.amount : 0,
    amount_remaining: fields.paid ? 0 : fields.amount,
    attempt_count: fields.attempt ?? 1,
    attempted: true,
    billing_reason: "subscription_cycle",
    currency: "usd",
    customer: fields.customer,
    livemode: false,
    status: fields.paid ? "paid" : "open",
    ...(fields.legacy
      ? { subscription: fields.subscription }
      : { parent: fields.subscription === null ? null : { type: "subscription_details", subscription_details: { subscription: fields.subscription, metadata: {} } } }),
  };
}

export function stripeEvent(type: string, object: unknown, options: { created: number; id?: string; previous?: unknown }) {
  return {
    id: options.id ?? nextId("evt"),
    object: "event",
    api_version: "2025-10-29.clover",
    created: seconds(options.created),
    data: { object, ...(options.previous === undefined ? {} : { previous_attributes: options.previous }) },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

/** The Stripe-Signature header for `payload`, from the stripe package's own helper. */
export function signature(payload: string, options: { secret?: string; at: number }): Promise<string> {
  return stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: options.secret ?? WEBHOOK_SECRET, timestamp: seconds(options.at) });
}

/** POSTs an event to the app's webhook endpoint, signed as Stripe would sign it at `h.clock.now`. */
export async function deliver(h: Harness, appId: string, event: unknown, options: { secret?: string; header?: string } = {}) {
  const payload = JSON.stringify(event, null, 2); // Stripe's bodies are pretty-printed
  const header = options.header ?? (await signature(payload, { secret: options.secret, at: h.clock.now }));
  return h.call("POST", `/v1/webhooks/stripe/${appId}`, { body: payload, headers: { "stripe-signature": header } });
}

export async function enableWebhook(h: Harness, appId: string, secret = WEBHOOK_SECRET): Promise<void> {
  await h.store.apply({ type: "UpdateAppSettings", appId, fields: { stripeWebhookSecret: secret } });
}
