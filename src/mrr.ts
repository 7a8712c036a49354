// Monthly recurring revenue, in the currency's minor unit (what Stripe's amounts already are:
// cents for USD, yen for JPY). A subscription's MRR is its recurring lines turned into a month,
// less the discounts still running, counted only while the subscription earns (subscriptions.ts).
import type { SubscriptionDiscount, SubscriptionItem } from "./db/schema";

export type BillingInterval = SubscriptionItem["interval"];

/** How many of a billing interval fit in a month: a year is 12 months, a week 52/12 of one. */
const PER_MONTH: Record<BillingInterval, number> = { day: 365 / 12, week: 52 / 12, month: 1, year: 1 / 12 };

/** One interval's amount as a month's, e.g. 12,000 a year → 1,000; 100 every 2 weeks → ~216.67. */
export function monthly(amount: number, interval: BillingInterval, intervalCount: number): number {
  return (amount * PER_MONTH[interval]) / intervalCount;
}

export function itemMrr(item: Omit<SubscriptionItem, "mrr">): number {
  return monthly(item.unitAmount * item.quantity, item.interval, item.intervalCount);
}

/**
 * The lines' MRR after the discounts running at `at`: a percentage off the whole, an amount off
 * each invoice (so per billing interval of the first line). Rounded once, at the end; never
 * below zero.
 */
export function subscriptionMrr(items: SubscriptionItem[], discounts: SubscriptionDiscount[], at: number): number {
  let mrr = items.reduce((sum, item) => sum + item.mrr, 0);
  const first = items[0];
  for (const discount of discounts) {
    if (discount.end !== null && discount.end <= at) continue;
    if (discount.percentOff !== null) mrr *= 1 - discount.percentOff / 100;
    if (discount.amountOff !== null && first) mrr -= monthly(discount.amountOff, first.interval, first.intervalCount);
  }
  return Math.max(0, Math.round(mrr));
}
