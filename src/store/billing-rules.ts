// Billing's rules, shared by both backends' appliers (sqlite/billing.ts, pg/billing.ts): which
// change is stale, what a subscription row holds for a provider state, which fields are worth
// a line in the billing history, how an MRR change is named. Pure: the appliers read and write.
//
// Order: providers deliver at least once and in any order. Each change carries `at`, when it
// was true at the provider; a subscription or customer record only moves forward in `at`.
import type { MrrMovement, SubscriptionRow } from "../db/schema";
import { subscriptionMrr } from "../mrr";
import { earnsRevenue, isTerminal } from "../subscriptions";
import type { ChangeSource, SubscriptionState } from "./commands";

/** The fields whose change is worth a line in the billing history (renewals are not). */
const TRACKED = ["status", "plan", "quantity", "mrr", "cancelAtPeriodEnd", "trialEnd"] as const;

/** The subscription row as it compares with a stored one (the TRACKED fields). */
type Tracked = Pick<SubscriptionRow, (typeof TRACKED)[number]>;

export function isStale(existing: Pick<SubscriptionRow, "sourceUpdatedAt" | "status">, state: SubscriptionState, source: ChangeSource): boolean {
  if (source.at < existing.sourceUpdatedAt) return true;
  // Stripe's `created` has one-second resolution: at a tie, a terminal state stands, and a
  // creation is never newer than a subscription already known.
  if (source.at === existing.sourceUpdatedAt && isTerminal(existing.status) && !isTerminal(state.status)) return true;
  return source.kind === "subscription_created";
}

/** What the subscriptions row keeps for the provider's state (all but its keys and creation time). */
export function subscriptionFields(state: SubscriptionState, source: ChangeSource, customerPk: number, now: number) {
  const [first] = state.items;
  return {
    customerPk,
    status: state.status,
    plan: first?.priceId ?? null,
    planName: first?.productName ?? null,
    items: state.items,
    discounts: state.discounts,
    quantity: state.items.reduce((sum, item) => sum + item.quantity, 0),
    currency: state.currency.toLowerCase(),
    mrr: earnsRevenue(state.status) ? subscriptionMrr(state.items, state.discounts, source.at) : 0,
    trialStart: state.trialStart,
    trialEnd: state.trialEnd,
    currentPeriodEnd: state.currentPeriodEnd,
    cancelAtPeriodEnd: state.cancelAtPeriodEnd,
    canceledAt: state.canceledAt,
    endedAt: state.endedAt,
    startedAt: state.startedAt,
    sourceUpdatedAt: source.at,
    updatedAt: now,
  };
}

/** The tracked fields that differ, as [before, after]; empty for a new subscription. */
export function trackedChanges(existing: Tracked | undefined, fields: Tracked): Record<string, [unknown, unknown]> {
  if (!existing) return {};
  return Object.fromEntries(TRACKED.filter((field) => existing[field] !== fields[field]).map((field) => [field, [existing[field], fields[field]]]));
}

/** How MRR moved, as MRR reports count it; `hasEarned` is asked only when it decides. */
export function movementOf(before: number, after: number): MrrMovement | "newOrReactivation" | null {
  if (before === after) return null;
  if (after === 0) return "churn";
  if (before > 0) return after > before ? "expansion" : "contraction";
  return "newOrReactivation";
}

/**
 * When a subscription first seen now really began: it started (or, after a trial, began to earn)
 * before a sync or a late webhook told trackd. Its "new" movement is dated then, so the first
 * `trackd stripe sync` doesn't report all existing revenue as new on the day it ran.
 */
export function firstKnownAt(state: SubscriptionState, at: number): number {
  const began = earnsRevenue(state.status) ? Math.max(state.startedAt ?? at, state.trialEnd ?? 0) : state.startedAt;
  return Math.min(at, began ?? at);
}

export function kindOf(existing: Pick<SubscriptionRow, "status"> | undefined, state: SubscriptionState): string {
  if (!existing) return "subscription_created";
  if (isTerminal(state.status) && !isTerminal(existing.status)) return "subscription_canceled";
  return "subscription_updated";
}

/** The billing history row a subscription change records, the same on every backend. */
export function subscriptionChangeRow(change: {
  appId: string;
  customerPk: number;
  subscriptionPk: number;
  state: SubscriptionState;
  source: ChangeSource;
  existing: Pick<SubscriptionRow, "status"> | undefined;
  fields: ReturnType<typeof subscriptionFields>;
  changes: Record<string, [unknown, unknown]>;
  summary: { movement: MrrMovement | null; before: number; after: number; currency: string | null };
}) {
  const { appId, customerPk, subscriptionPk, state, source, existing, fields, changes, summary } = change;
  return {
    appId,
    customerPk,
    subscriptionPk,
    provider: state.provider,
    kind: source.kind ?? kindOf(existing, state),
    movement: summary.movement,
    occurredAt: existing ? source.at : firstKnownAt(state, source.at),
    currency: summary.currency ?? fields.currency,
    mrrBefore: summary.before,
    mrrAfter: summary.after,
    detail: { subscriptionId: state.subscriptionId, status: state.status, plan: fields.plan, mrr: fields.mrr, ...(existing ? { changes } : {}) },
    sourceEventId: source.eventId ?? null,
  };
}
