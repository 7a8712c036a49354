// Billing rows written straight to the database, for scoring and list tests that need a
// subscription, a payment or the customer's billing columns without going through Stripe.
import type { Harness } from "../helpers";

export function pkOf(h: Harness, appId: string, customerId: string): number {
  const row = h.db.$client.query("select pk from customers where app_id = ? and customer_id = ?").get(appId, customerId) as { pk: number } | null;
  if (!row) throw new Error(`no customer ${customerId}`);
  return row.pk;
}

export interface SubscriptionSpec {
  status?: string;
  quantity?: number;
  trialEnd?: number | null;
  cancelAtPeriodEnd?: boolean;
  startedAt?: number;
  plan?: string;
  mrr?: number;
}

let subscriptions = 0;

export function addSubscription(h: Harness, appId: string, customerId: string, spec: SubscriptionSpec = {}): void {
  const { status = "active", quantity = 1, trialEnd = null, cancelAtPeriodEnd = false, startedAt = h.clock.now, plan = "price_pro", mrr = 4900 } = spec;
  h.db.$client
    .query(
      `insert into subscriptions (app_id, provider, subscription_id, customer_pk, status, plan, items, discounts, quantity, currency, mrr,
         trial_end, cancel_at_period_end, started_at, source_updated_at, created_at, updated_at)
       values (?, 'stripe', ?, ?, ?, ?, '[]', '[]', ?, 'usd', ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(appId, `sub_${++subscriptions}`, pkOf(h, appId, customerId), status, plan, quantity, mrr, trialEnd, cancelAtPeriodEnd ? 1 : 0, startedAt, h.clock.now, h.clock.now, h.clock.now);
}

export function addPayment(h: Harness, appId: string, customerId: string, kind: "payment_failed" | "payment_succeeded", occurredAt: number): void {
  h.db.$client
    .query("insert into billing_events (app_id, customer_pk, provider, kind, occurred_at, detail) values (?, ?, 'stripe', ?, ?, '{}')")
    .run(appId, pkOf(h, appId, customerId), kind, occurredAt);
}

/** What billing keeps on the customer row. */
export function setBilling(h: Harness, appId: string, customerId: string, billing: { mrr: number; status: string; plan: string; currency?: string }): void {
  h.db.$client
    .query("update customers set mrr = ?, currency = ?, billing_status = ?, plan = ? where pk = ?")
    .run(billing.mrr, billing.currency ?? "usd", billing.status, billing.plan, pkOf(h, appId, customerId));
}

export function setHealthScore(h: Harness, appId: string, customerId: string, score: number | null): void {
  h.db.$client.query("update customers set health_score = ? where pk = ?").run(score, pkOf(h, appId, customerId));
}
