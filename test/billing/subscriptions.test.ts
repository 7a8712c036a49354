// POST /v1/api/subscriptions: the provider-neutral upsert for Chargebee, Paddle, Braintree or
// in-house billing.
import { describe, expect, test } from "bun:test";
import { T0, setup } from "../helpers";

const DAY = 86_400_000;
const body = (fields: Record<string, unknown> = {}) => ({
  provider: "chargebee",
  subscriptionId: "cb_sub_1",
  customerId: "cus_1",
  status: "active",
  currency: "EUR",
  items: [{ priceId: "team-eur-yearly", productName: "Team", quantity: 4, unitAmount: 36_000, interval: "year" }],
  startedAt: "2026-01-01",
  currentPeriodEnd: "2027-01-01",
  ...fields,
});

describe("POST /v1/api/subscriptions", () => {
  test("creates (201), then updates (200) with an MRR movement each time", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const created = await h.post("/v1/api/subscriptions", acme, body());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      ok: true,
      result: "applied",
      subscription: {
        provider: "chargebee",
        subscriptionId: "cb_sub_1",
        status: "active",
        plan: "team-eur-yearly",
        planName: "Team",
        quantity: 4,
        currency: "eur",
        mrr: 12_000,
        startedAt: "2026-01-01T00:00:00.000Z",
        currentPeriodEnd: "2027-01-01T00:00:00.000Z",
        cancelAtPeriodEnd: false,
      },
    });

    h.clock.now += DAY;
    const updated = await h.post("/v1/api/subscriptions", acme, body({ discounts: [{ percentOff: 50 }], cancelAtPeriodEnd: true }));
    expect(updated.status).toBe(200);
    expect(updated.body.subscription).toMatchObject({ mrr: 6000, cancelAtPeriodEnd: true, discounts: [{ percentOff: 50, amountOff: null, end: null }] });

    const profile = (await h.get("/v1/api/customers/cus_1", acme)).body;
    expect(profile.billingHistory.map((e: { movement: string | null; mrrAfter: number }) => [e.movement, e.mrrAfter])).toEqual([
      ["contraction", 6000],
      ["new", 12_000],
    ]);
  });

  test("the same state again is unchanged and adds no history", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/subscriptions", acme, body());
    h.clock.now += 1000;
    const again = await h.post("/v1/api/subscriptions", acme, body());
    expect(again.body.result).toBe("unchanged");
    expect(await h.sql.get("select count(*) as n from billing_events")).toEqual({ n: 1 });
  });

  test("updatedAt older than the stored state is stale: nothing changes", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/subscriptions", acme, body({ updatedAt: T0 }));
    const stale = await h.post("/v1/api/subscriptions", acme, body({ status: "canceled", updatedAt: T0 - DAY }));
    expect(stale.status).toBe(200);
    expect(stale.body).toMatchObject({ result: "stale", subscription: { status: "active", mrr: 12_000 } });
  });

  test("provider defaults to custom; the customer is created if new", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.post("/v1/api/subscriptions", acme, { subscriptionId: "s1", customerId: "cus_new", status: "trialing", currency: "usd", items: [{ unitAmount: 900, interval: "month" }] });
    expect(res.body.subscription).toMatchObject({ provider: "custom", mrr: 0, quantity: 1 });
    expect((await h.get("/v1/api/customers/cus_new", acme)).body.subscription.status).toBe("trialing");
  });
});

describe("POST /v1/api/subscriptions: errors", () => {
  test("every problem is reported at once, each at its path; nothing is stored", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.post("/v1/api/subscriptions", acme, {
      subscriptionId: "",
      status: "alive",
      currency: "dollars",
      items: [{ unitAmount: -5, interval: "fortnight" }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual([
      "/customerId",
      "/subscriptionId",
      "/status",
      "/currency",
      "/items/0/unitAmount",
      "/items/0/interval",
    ]);
    expect(res.body.error.details[2].message).toContain("status must be one of active, past_due, trialing");
    expect(await h.sql.get("select (select count(*) from subscriptions) + (select count(*) from customers) as n")).toEqual({ n: 0 });
  });

  test("dates are checked like everywhere else, and a discount needs an amount", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.post("/v1/api/subscriptions", acme, body({ trialEnd: "2026-02-30", canceledAt: "2026-01-01T10:00", discounts: [{ end: null }] }));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { path: "/trialEnd", message: "trialEnd 2026-02-30 is not a calendar date" },
      { path: "/canceledAt", message: "canceledAt has no time zone offset; add Z or an offset such as +02:00" },
      { path: "/discounts/0", message: "discounts.0 needs percentOff or amountOff" },
    ]);
    expect(await h.sql.get("select count(*) as n from subscriptions")).toEqual({ n: 0 });
  });

  test("unknown fields and an empty item list are refused", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.post("/v1/api/subscriptions", acme, body({ items: [], mrr: 5 }));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { path: "/mrr", message: "mrr is not a known field" },
      { path: "/items", message: "items must be an array of 1 to 100 items" },
    ]);
  });
});
