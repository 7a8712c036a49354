// Billing rows written straight to the database, for scoring and list tests that need a
// subscription, a payment or the customer's billing columns without going through Stripe.
import type { Harness } from "../helpers";

export async function pkOf(h: Harness, appId: string, customerId: string): Promise<number> {
  const row = await h.sql.get<{ pk: number }>("select pk from customers where app_id = ? and customer_id = ?", appId, customerId);
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

export async function addSubscription(h: Harness, appId: string, customerId: string, spec: SubscriptionSpec = {}): Promise<void> {
  const { status = "active", quantity = 1, trialEnd = null, cancelAtPeriodEnd = false, startedAt = h.clock.now, plan = "price_pro", mrr = 4900 } = spec;
  await h.sql.run(
      `insert into subscriptions (app_id, provider, subscription_id, customer_pk, status, plan, items, discounts, quantity, currency, mrr,
         trial_end, cancel_at_period_end, started_at, source_updated_at, created_at, updated_at)
       values (?, 'stripe', ?, ?, ?, ?, '[]', '[]', ?, 'usd', ?, ?, ?, ?, ?, ?, ?)`,
    appId, `sub_${++subscriptions}`, await pkOf(h, appId, customerId), status, plan, quantity, mrr, trialEnd, cancelAtPeriodEnd ? 1 : 0, startedAt, h.clock.now, h.clock.now, h.clock.now);
}

export async function addPayment(h: Harness, appId: string, customerId: string, kind: "payment_failed" | "payment_succeeded", occurredAt: number): Promise<void> {
  await h.sql.run("insert into billing_events (app_id, customer_pk, provider, kind, occurred_at, detail) values (?, ?, 'stripe', ?, ?, '{}')", appId, await pkOf(h, appId, customerId), kind, occurredAt);
}

/** What billing keeps on the customer row. */
export async function setBilling(h: Harness, appId: string, customerId: string, billing: { mrr: number; status: string; plan: string; currency?: string }): Promise<void> {
  await h.sql.run("update customers set mrr = ?, currency = ?, billing_status = ?, plan = ? where pk = ?", billing.mrr, billing.currency ?? "usd", billing.status, billing.plan, await pkOf(h, appId, customerId));
}

export async function setHealthScore(h: Harness, appId: string, customerId: string, score: number | null): Promise<void> {
  await h.sql.run("update customers set health_score = ? where pk = ?", score, await pkOf(h, appId, customerId));
}
