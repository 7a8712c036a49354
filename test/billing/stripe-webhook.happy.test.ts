import { describe, expect, test } from "bun:test";
import { T0, setup, type Harness } from "../helpers";
import { customerObject, deliver, enableWebhook, invoiceObject, stripe, stripeEvent, subscriptionObject, WEBHOOK_SECRET, signature } from "../support/stripe";

const DAY = 86_400_000;

async function tenantWithWebhook(h: Harness) {
  const acme = await h.tenant();
  await enableWebhook(h, acme.appId);
  return acme;
}

/** Delivers `event` one second after the last one, as Stripe would (its `created` is in seconds). */
async function send(h: Harness, appId: string, type: string, object: unknown, created = h.clock.now) {
  h.clock.now = Math.max(h.clock.now, created) + 1000;
  const res = await deliver(h, appId, stripeEvent(type, object, { created }));
  expect(res.status).toBe(200);
  return res.body as { received: true; result: string };
}

const pro = { id: "price_pro_monthly", unitAmount: 4900, product: "prod_pro", nickname: "Pro monthly" };

describe("POST /v1/webhooks/stripe/:appId", () => {
  test("customer.created and customer.updated set email, name and metadata as attributes", async () => {
    const h = await setup();
    const acme = await tenantWithWebhook(h);
    await h.post("/v1/api/events/new", acme, { event: "App Opened", customerId: "cus_1", customerData: { plan: "beta" } });

    expect(await send(h, acme.appId, "customer.created", customerObject({ id: "cus_1", email: "ada@acme.test", name: "Acme Ltd", metadata: { tier: "gold" } }))).toEqual({
      received: true,
      result: "applied",
    });
    await send(h, acme.appId, "customer.updated", customerObject({ id: "cus_1", email: "billing@acme.test", name: "Acme Ltd", metadata: { tier: "platinum" } }), h.clock.now + 1000);

    const profile = (await h.get("/v1/api/customers/cus_1", acme)).body;
    expect(profile.email).toBe("billing@acme.test");
    expect(profile.data).toEqual({ plan: "beta", name: "Acme Ltd", tier: "platinum" });
    expect(profile.eventCount).toBe(1);
  });

  test("a subscription's lifecycle: created, expanded, contracted, canceled, reactivated; each an MRR movement", async () => {
    const h = await setup();
    const acme = await tenantWithWebhook(h);
    const sub = (quantity: number, status = "active", extra = {}) =>
      subscriptionObject({ id: "sub_1", customer: "cus_1", status, items: [{ ...pro, quantity }], ...extra });

    await send(h, acme.appId, "customer.subscription.created", sub(2));
    await send(h, acme.appId, "customer.subscription.updated", sub(5));
    await send(h, acme.appId, "customer.subscription.updated", sub(3));
    await send(h, acme.appId, "customer.subscription.updated", sub(3, "active", { cancelAtPeriodEnd: true }));
    await send(h, acme.appId, "customer.subscription.deleted", sub(3, "canceled", { canceledAt: h.clock.now, endedAt: h.clock.now }));
    await send(h, acme.appId, "customer.subscription.created", subscriptionObject({ id: "sub_2", customer: "cus_1", items: [{ ...pro, quantity: 1 }], startDate: h.clock.now }));

    const profile = (await h.get("/v1/api/customers/cus_1", acme)).body;
    const history = [...profile.billingHistory].reverse();
    expect(history.map((entry: { kind: string; movement: string | null }) => [entry.kind, entry.movement])).toEqual([
      ["subscription_created", "new"],
      ["subscription_updated", "expansion"],
      ["subscription_updated", "contraction"],
      ["subscription_updated", null],
      ["subscription_canceled", "churn"],
      ["subscription_created", "reactivation"],
    ]);
    expect(history.map((entry: { mrrAfter: number | null }) => entry.mrrAfter)).toEqual([9800, 24500, 14700, 14700, 0, 4900]);
    expect(history[3].detail.changes).toEqual({ cancelAtPeriodEnd: [false, true] });
    expect(profile.subscription).toMatchObject({ subscriptionId: "sub_2", status: "active", mrr: 4900, plan: "price_pro_monthly", planName: "Pro monthly", quantity: 1 });
    expect(profile.subscriptions.map((s: { subscriptionId: string; status: string }) => [s.subscriptionId, s.status]).sort()).toEqual([
      ["sub_1", "canceled"],
      ["sub_2", "active"],
    ]);
  });

  test("the profile's subscription has plan, MRR, seats, renewal, trial end and cancel-at-period-end", async () => {
    const h = await setup();
    const acme = await tenantWithWebhook(h);
    const trialEnd = T0 + 10 * DAY;
    await send(
      h,
      acme.appId,
      "customer.subscription.created",
      subscriptionObject({
        id: "sub_1",
        customer: "cus_1",
        status: "trialing",
        items: [{ id: "price_team", unitAmount: 1500, quantity: 8, product: { id: "prod_team", name: "Team" } }],
        trialStart: T0,
        trialEnd,
        periodEnd: trialEnd,
      }),
    );
    const { subscription } = (await h.get("/v1/api/customers/cus_1", acme)).body;
    expect(subscription).toMatchObject({
      provider: "stripe",
      subscriptionId: "sub_1",
      status: "trialing",
      plan: "price_team",
      planName: "Team",
      quantity: 8,
      currency: "usd",
      mrr: 0, // a trial is not revenue yet
      trialStart: new Date(T0).toISOString(),
      trialEnd: new Date(trialEnd).toISOString(),
      currentPeriodEnd: new Date(trialEnd).toISOString(),
      cancelAtPeriodEnd: false,
      paymentFailed: false,
    });
    expect(subscription.items).toEqual([
      { priceId: "price_team", productId: "prod_team", productName: "Team", quantity: 8, unitAmount: 1500, interval: "month", intervalCount: 1, mrr: 12000 },
    ]);
  });

  test("a subscription first seen late is dated from when it began to earn, not from its arrival", async () => {
    const h = await setup();
    const acme = await tenantWithWebhook(h);
    const trialEnd = T0 - 10 * DAY;
    const started = subscriptionObject({ id: "sub_1", customer: "cus_1", items: [pro], startDate: T0 - 40 * DAY, trialEnd });
    await send(h, acme.appId, "customer.subscription.updated", started);
    const [entry] = (await h.get("/v1/api/customers/cus_1", acme)).body.billingHistory;
    expect(entry).toMatchObject({ movement: "new", occurredAt: new Date(trialEnd).toISOString() });
  });

  test("trial_will_end, paused and resumed are in the billing history", async () => {
    const h = await setup();
    const acme = await tenantWithWebhook(h);
    const trial = { id: "sub_1", customer: "cus_1", items: [pro], trialEnd: T0 + 3 * DAY };
    await send(h, acme.appId, "customer.subscription.created", subscriptionObject({ ...trial, status: "trialing" }));
    await send(h, acme.appId, "customer.subscription.trial_will_end", subscriptionObject({ ...trial, status: "trialing" }));
    await send(h, acme.appId, "customer.subscription.paused", subscriptionObject({ ...trial, status: "paused" }));
    await send(h, acme.appId, "customer.subscription.resumed", subscriptionObject({ ...trial, status: "active" }));

    const history = (await h.get("/v1/api/customers/cus_1", acme)).body.billingHistory.reverse();
    expect(history.map((entry: { kind: string }) => entry.kind)).toEqual([
      "subscription_created",
      "trial_will_end",
      "subscription_paused",
      "subscription_resumed",
    ]);
    expect(history[1].detail).toEqual({ subscriptionId: "sub_1", trialEnd: T0 + 3 * DAY });
    expect(history[3]).toMatchObject({ movement: "new", mrrBefore: 0, mrrAfter: 4900 });
  });

  test("invoice.payment_failed marks the subscription's payment failed until an invoice is paid", async () => {
    const h = await setup();
    const acme = await tenantWithWebhook(h);
    await send(h, acme.appId, "customer.subscription.created", subscriptionObject({ id: "sub_1", customer: "cus_1", items: [pro] }));
    await send(h, acme.appId, "invoice.payment_failed", invoiceObject({ customer: "cus_1", subscription: "sub_1", paid: false, amount: 4900, attempt: 2 }));
    let profile = (await h.get("/v1/api/customers/cus_1", acme)).body;
    expect(profile.subscription.paymentFailed).toBe(true);
    expect(profile.billingHistory[0]).toMatchObject({ kind: "payment_failed", currency: "usd", detail: { subscriptionId: "sub_1", amount: 4900, attempt: 2 } });

    // An older API version's invoice names its subscription directly.
    await send(h, acme.appId, "invoice.paid", invoiceObject({ customer: "cus_1", subscription: "sub_1", paid: true, amount: 4900, legacy: true }));
    profile = (await h.get("/v1/api/customers/cus_1", acme)).body;
    expect(profile.subscription.paymentFailed).toBe(false);
    expect(profile.billingHistory[0]).toMatchObject({ kind: "payment_succeeded", detail: { subscriptionId: "sub_1", amount: 4900 } });
  });

  test("customer.deleted is billing history; the customer and its product events stay", async () => {
    const h = await setup();
    const acme = await tenantWithWebhook(h);
    await h.post("/v1/api/events/new", acme, { event: "App Opened", customerId: "cus_1" });
    await send(h, acme.appId, "customer.deleted", { ...customerObject({ id: "cus_1" }), deleted: true });
    const profile = (await h.get("/v1/api/customers/cus_1", acme)).body;
    expect(profile.eventCount).toBe(1);
    expect(profile.billingHistory).toMatchObject([{ kind: "customer_deleted", detail: { customerId: "cus_1" } }]);
  });

  test("other event types are acknowledged with 200 and nothing is stored", async () => {
    const h = await setup();
    const acme = await tenantWithWebhook(h);
    for (const type of ["charge.succeeded", "payment_intent.created", "product.updated"]) {
      expect(await send(h, acme.appId, type, { id: "ch_1", object: "charge" })).toEqual({ received: true, result: "ignored" });
    }
    for (const table of ["provider_events", "billing_events", "subscriptions", "customers"]) {
      expect(await h.sql.get(`select count(*) as n from ${table}`)).toEqual({ n: 0 });
    }
  });

  test("what trackd accepts, the stripe package's own constructEvent accepts too", async () => {
    const h = await setup();
    const acme = await tenantWithWebhook(h);
    const payload = JSON.stringify(stripeEvent("customer.created", customerObject({ id: "cus_1" }), { created: h.clock.now }));
    const header = await signature(payload, { at: h.clock.now });
    const res = await h.call("POST", `/v1/webhooks/stripe/${acme.appId}`, { body: payload, headers: { "stripe-signature": header } });
    expect(res.status).toBe(200);
    const event = await stripe.webhooks.constructEventAsync(payload, header, WEBHOOK_SECRET, 300, undefined, h.clock.now);
    expect(event.type).toBe("customer.created");
  });
});
