// The JSON a client sees of billing rows: dates as ISO strings, no internal keys.
import type { BillingEventRow, SubscriptionRow } from "../store/types";
import { toIso } from "../dates";

export function subscriptionView(row: SubscriptionRow) {
  return {
    provider: row.provider,
    subscriptionId: row.subscriptionId,
    status: row.status,
    plan: row.plan,
    planName: row.planName,
    quantity: row.quantity,
    currency: row.currency,
    mrr: row.mrr,
    items: row.items,
    discounts: row.discounts.map((discount) => ({ ...discount, end: toIso(discount.end) })),
    startedAt: toIso(row.startedAt),
    trialStart: toIso(row.trialStart),
    trialEnd: toIso(row.trialEnd),
    /** The renewal date. */
    currentPeriodEnd: toIso(row.currentPeriodEnd),
    cancelAtPeriodEnd: row.cancelAtPeriodEnd,
    canceledAt: toIso(row.canceledAt),
    endedAt: toIso(row.endedAt),
    updatedAt: toIso(row.sourceUpdatedAt),
  };
}

export function billingEventView(row: BillingEventRow) {
  return {
    kind: row.kind,
    movement: row.movement,
    occurredAt: toIso(row.occurredAt),
    provider: row.provider,
    currency: row.currency,
    mrrBefore: row.mrrBefore,
    mrrAfter: row.mrrAfter,
    detail: row.detail,
  };
}

export type SubscriptionView = ReturnType<typeof subscriptionView>;
export type BillingEventView = ReturnType<typeof billingEventView>;
