// MRR normalisation, from Stripe-shaped subscriptions through the same mapping the webhook uses.
import { describe, expect, test } from "bun:test";
import { monthly, subscriptionMrr } from "../../src/mrr";
import { stripeSubscription } from "../../src/billing/stripe";
import { subscriptionObject, type PriceFields } from "../support/stripe";

const NOW = Date.UTC(2026, 0, 15);
const mrrOf = (items: PriceFields[], extra: { discounts?: unknown[]; discount?: unknown } = {}) => {
  const state = stripeSubscription(subscriptionObject({ id: "sub_1", customer: "cus_1", items, ...extra }) as never);
  return subscriptionMrr(state.items, state.discounts, NOW);
};

describe("MRR normalisation", () => {
  test.each([
    ["monthly", { interval: "month" }, 4900],
    ["yearly: a twelfth", { interval: "year", unitAmount: 58_800 }, 4900],
    ["every 3 months", { interval: "month", intervalCount: 3, unitAmount: 14_700 }, 4900],
    ["weekly: 52 weeks over 12 months", { interval: "week", unitAmount: 1200 }, 5200],
    ["every 2 weeks", { interval: "week", intervalCount: 2, unitAmount: 1200 }, 2600],
    ["daily: 365 days over 12 months", { interval: "day", unitAmount: 120 }, 3650],
    ["quantity multiplies", { interval: "month", quantity: 3 }, 14_700],
    ["metered lines bill usage, unknown ahead: nothing", { interval: "month", usageType: "metered" }, 0],
  ] as const)("%s", (_name, fields, expected) => {
    expect(mrrOf([{ id: "price_1", unitAmount: 4900, ...fields }])).toBe(expected);
  });

  test("several items add up, each normalised on its own interval", () => {
    expect(
      mrrOf([
        { id: "price_base", unitAmount: 120_000, interval: "year" },
        { id: "price_seats", unitAmount: 800, quantity: 5 },
      ]),
    ).toBe(10_000 + 4000);
  });

  const coupon = (fields: Record<string, unknown>) => ({ id: "co_1", object: "coupon", percent_off: null, amount_off: null, duration: "forever", ...fields });
  const discount = (couponFields: Record<string, unknown>, end: number | null = null) => ({
    id: "di_1",
    object: "discount",
    end: end === null ? null : end / 1000,
    source: { type: "coupon", coupon: coupon(couponFields) },
  });

  test("a percentage off applies to the whole", () => {
    expect(mrrOf([{ id: "p", unitAmount: 10_000 }], { discounts: [discount({ percent_off: 25 })] })).toBe(7500);
  });

  test("an amount off comes off each invoice, so per billing interval", () => {
    expect(mrrOf([{ id: "p", unitAmount: 120_000, interval: "year" }], { discounts: [discount({ amount_off: 24_000 })] })).toBe(8000);
  });

  test("a discount that has ended, or a one-off coupon, does not reduce MRR", () => {
    const ended = discount({ percent_off: 50, duration: "repeating" }, NOW - 1000);
    expect(mrrOf([{ id: "p", unitAmount: 10_000 }], { discounts: [ended, discount({ percent_off: 50, duration: "once" })] })).toBe(10_000);
  });

  test("an unexpanded discount id (how webhooks send them) cannot be read and is skipped", () => {
    expect(mrrOf([{ id: "p", unitAmount: 10_000 }], { discounts: ["di_unexpanded"] })).toBe(10_000);
  });

  test("older API versions: one `discount` with its coupon directly on it", () => {
    const legacy = { id: "di_1", object: "discount", end: null, coupon: coupon({ percent_off: 10 }) };
    expect(mrrOf([{ id: "p", unitAmount: 10_000 }], { discount: legacy })).toBe(9000);
  });

  test("never below zero", () => {
    expect(mrrOf([{ id: "p", unitAmount: 1000 }], { discounts: [discount({ amount_off: 5000 })] })).toBe(0);
  });

  test("older API versions: a `plan` instead of a price", () => {
    const subscription = subscriptionObject({ id: "sub_1", customer: "cus_1", items: [{ id: "x", unitAmount: 0 }] }) as Record<string, any>;
    const [line] = subscription.items.data;
    delete line.price;
    line.plan = { id: "plan_gold", amount: 30_000, interval: "year", interval_count: 1, product: "prod_gold", nickname: "Gold" };
    const state = stripeSubscription(subscription as never);
    expect(state.items).toEqual([
      { priceId: "plan_gold", productId: "prod_gold", productName: "Gold", quantity: 1, unitAmount: 30_000, interval: "year", intervalCount: 1, mrr: 2500 },
    ]);
  });

  test("monthly() keeps fractions; rounding happens once per subscription", () => {
    expect(monthly(100, "week", 2)).toBeCloseTo(216.667, 3);
    expect(mrrOf([{ id: "a", unitAmount: 100, interval: "week", intervalCount: 2 }, { id: "b", unitAmount: 100, interval: "week", intervalCount: 2 }])).toBe(433);
  });
});
