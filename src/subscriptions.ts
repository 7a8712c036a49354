// A customer's billing at a glance, over all its subscriptions: what the customer row keeps
// (mrr, currency, billing_status, plan) so the list can filter and sort by it.
import type { SubscriptionRow } from "./db/schema";

export const SUBSCRIPTION_STATUSES = [
  "active",
  "past_due",
  "trialing",
  "unpaid",
  "paused",
  "incomplete",
  "canceled",
  "incomplete_expired",
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** Statuses whose subscription is revenue now (as Stripe's own MRR counts it): trials are not. */
const EARNING: ReadonlySet<string> = new Set(["active", "past_due"]);
/** States a subscription never leaves: an event as old as one of these cannot revive it. */
const TERMINAL: ReadonlySet<string> = new Set(["canceled", "incomplete_expired"]);

export const earnsRevenue = (status: string): boolean => EARNING.has(status);
export const isTerminal = (status: string): boolean => TERMINAL.has(status);

export interface BillingSummary {
  mrr: number;
  currency: string;
  billingStatus: string;
  plan: string | null;
}

/**
 * The subscription that speaks for the customer: the most alive one (the order of
 * SUBSCRIPTION_STATUSES), then the most recently started.
 */
export function currentSubscription<T extends Pick<SubscriptionRow, "status" | "startedAt" | "pk">>(subscriptions: T[]): T | undefined {
  const rank = (status: string) => {
    const index = SUBSCRIPTION_STATUSES.indexOf(status as SubscriptionStatus);
    return index === -1 ? SUBSCRIPTION_STATUSES.length : index;
  };
  return subscriptions.toSorted(
    (a, b) => rank(a.status) - rank(b.status) || (b.startedAt ?? 0) - (a.startedAt ?? 0) || b.pk - a.pk,
  )[0];
}

/** MRR is added up in the current subscription's currency (a Stripe customer bills in one). */
export function summarize(subscriptions: SubscriptionRow[]): BillingSummary | null {
  const current = currentSubscription(subscriptions);
  if (!current) return null;
  const mrr = subscriptions.filter((s) => s.currency === current.currency).reduce((sum, s) => sum + s.mrr, 0);
  return { mrr, currency: current.currency, billingStatus: current.status, plan: current.plan };
}
