// Tenant isolation for billing: an app's webhook secret opens only that app's endpoint, and an
// app's subscriptions and billing are never visible to another app.
import { describe, expect, test } from "bun:test";
import { setup } from "../helpers";
import { deliver, enableWebhook, stripeEvent, subscriptionObject } from "../support/stripe";

const subscription = subscriptionObject({ id: "sub_1", customer: "cus_1", items: [{ id: "price_pro", unitAmount: 4900 }] });

describe("billing: tenant isolation", () => {
  test("an event signed with app A's secret is refused at app B's endpoint", async () => {
    const h = await setup();
    const a = await h.tenant("a");
    const b = await h.tenant("b");
    await enableWebhook(h, a.appId, "whsec_secretOfAppA0123456789");
    await enableWebhook(h, b.appId, "whsec_secretOfAppB0123456789");
    const event = stripeEvent("customer.subscription.created", subscription, { created: h.clock.now });
    const res = await deliver(h, b.appId, event, { secret: "whsec_secretOfAppA0123456789" });
    expect(res.status).toBe(400);
    expect(await h.sql.get("select count(*) as n from subscriptions")).toEqual({ n: 0 });
    expect((await deliver(h, a.appId, event, { secret: "whsec_secretOfAppA0123456789" })).status).toBe(200);
  });

  test("the same Stripe ids in two apps are two customers and two subscriptions; neither app sees the other's", async () => {
    const h = await setup();
    const a = await h.tenant("a");
    const b = await h.tenant("b");
    await enableWebhook(h, a.appId);
    await enableWebhook(h, b.appId);
    const event = stripeEvent("customer.subscription.created", subscription, { created: h.clock.now });
    // One event id delivered to both endpoints (one Stripe account feeding two apps): each applies it.
    expect((await deliver(h, a.appId, event)).body.result).toBe("applied");
    expect((await deliver(h, b.appId, event)).body.result).toBe("applied");
    await h.post("/v1/api/subscriptions", b, {
      subscriptionId: "sub_1",
      provider: "stripe",
      customerId: "cus_1",
      status: "active",
      currency: "usd",
      items: [{ unitAmount: 100, interval: "month" }],
      updatedAt: h.clock.now + 1000,
    });
    expect((await h.get("/v1/api/customers/cus_1", a)).body.subscription.mrr).toBe(4900);
    expect((await h.get("/v1/api/customers/cus_1", b)).body.subscription.mrr).toBe(100);
  });

  test("the webhook secret never appears in any answer", async () => {
    const h = await setup();
    const a = await h.tenant("a");
    await enableWebhook(h, a.appId, "whsec_neverShownBack0123456789");
    const res = await deliver(h, a.appId, stripeEvent("customer.subscription.created", subscription, { created: h.clock.now }));
    expect(JSON.stringify(res.body)).not.toContain("whsec_");
    expect(JSON.stringify((await h.get("/v1/api/customers/cus_1", a)).body)).not.toContain("whsec_");
  });
});
