// Stripe delivers at least once and in no particular order: replays change nothing, and an
// older event never overwrites newer state.
import { describe, expect, test } from "bun:test";
import { T0, setup, type Harness } from "../helpers";
import { customerObject, deliver, enableWebhook, signature, stripeEvent, subscriptionObject } from "../support/stripe";

const MINUTE = 60_000;
const price = { id: "price_pro", unitAmount: 1000 };
const sub = (quantity: number, status = "active") => subscriptionObject({ id: "sub_1", customer: "cus_1", status, items: [{ ...price, quantity }] });

async function webhookApp() {
  const h = await setup();
  const acme = await h.tenant();
  await enableWebhook(h, acme.appId);
  return { h, acme };
}

async function send(h: Harness, appId: string, event: ReturnType<typeof stripeEvent>) {
  const res = await deliver(h, appId, event);
  expect(res.status).toBe(200);
  return res.body.result as string;
}

async function stored(h: Harness) {
  return await h.sql.get('select status, quantity, mrr, (select count(*) from billing_events) as history, (select mrr from customers) as "customerMrr" from subscriptions');
}

describe("Stripe webhook: replays and out-of-order delivery", () => {
  test("the same event delivered twice is applied once", async () => {
    const { h, acme } = await webhookApp();
    const event = stripeEvent("customer.subscription.created", sub(2), { created: T0 });
    expect(await send(h, acme.appId, event)).toBe("applied");
    h.clock.now += MINUTE; // Stripe's retry comes later, freshly signed
    expect(await send(h, acme.appId, event)).toBe("duplicate");
    expect(await stored(h)).toEqual({ status: "active", quantity: 2, mrr: 2000, history: 1, customerMrr: 2000 });
  });

  test("replays arriving together, while the first is still being written, still apply once", async () => {
    const { h, acme } = await webhookApp();
    const event = stripeEvent("customer.subscription.created", sub(2), { created: T0 });
    const results = await Promise.all([1, 2, 3, 4].map(() => send(h, acme.appId, event)));
    expect(results.sort()).toEqual(["applied", "duplicate", "duplicate", "duplicate"]);
    expect(await stored(h)).toMatchObject({ history: 1 });
  });

  test("an older update delivered after a newer one is ignored", async () => {
    const { h, acme } = await webhookApp();
    await send(h, acme.appId, stripeEvent("customer.subscription.created", sub(1), { created: T0 - 3 * MINUTE }));
    await send(h, acme.appId, stripeEvent("customer.subscription.updated", sub(5), { created: T0 - MINUTE }));
    expect(await send(h, acme.appId, stripeEvent("customer.subscription.updated", sub(3), { created: T0 - 2 * MINUTE }))).toBe("stale");
    expect(await stored(h)).toEqual({ status: "active", quantity: 5, mrr: 5000, history: 2, customerMrr: 5000 });
  });

  test("created delivered after updated does not roll the subscription back", async () => {
    const { h, acme } = await webhookApp();
    await send(h, acme.appId, stripeEvent("customer.subscription.updated", sub(4), { created: T0 - MINUTE }));
    expect(await send(h, acme.appId, stripeEvent("customer.subscription.created", sub(1), { created: T0 - MINUTE }))).toBe("stale");
    expect(await stored(h)).toMatchObject({ quantity: 4, mrr: 4000 });
  });

  test("a cancellation is not undone by an update from the same second", async () => {
    const { h, acme } = await webhookApp();
    await send(h, acme.appId, stripeEvent("customer.subscription.created", sub(1), { created: T0 - MINUTE }));
    await send(h, acme.appId, stripeEvent("customer.subscription.deleted", sub(1, "canceled"), { created: T0 }));
    expect(await send(h, acme.appId, stripeEvent("customer.subscription.updated", sub(2), { created: T0 }))).toBe("stale");
    expect(await stored(h)).toMatchObject({ status: "canceled", mrr: 0, customerMrr: 0 });
  });

  test("an older customer.updated does not overwrite a newer email", async () => {
    const { h, acme } = await webhookApp();
    const customer = (email: string) => customerObject({ id: "cus_1", email });
    await send(h, acme.appId, stripeEvent("customer.updated", customer("new@acme.test"), { created: T0 }));
    expect(await send(h, acme.appId, stripeEvent("customer.updated", customer("old@acme.test"), { created: T0 - MINUTE }))).toBe("stale");
    expect((await h.get("/v1/api/customers/cus_1", acme)).body.email).toBe("new@acme.test");
  });

  test("any delivery order of a subscription's events ends in the same state", async () => {
    const events = [
      stripeEvent("customer.subscription.created", sub(1, "trialing"), { created: T0 - 4 * MINUTE }),
      stripeEvent("customer.subscription.updated", sub(1), { created: T0 - 3 * MINUTE }),
      stripeEvent("customer.subscription.updated", sub(6), { created: T0 - 2 * MINUTE }),
      stripeEvent("customer.subscription.updated", sub(4), { created: T0 - MINUTE }),
    ];
    const orders = [
      [0, 1, 2, 3],
      [3, 2, 1, 0],
      [2, 0, 3, 1],
      [1, 3, 0, 2],
    ];
    for (const order of orders) {
      const { h, acme } = await webhookApp();
      for (const index of order) await send(h, acme.appId, events[index]!);
      expect(await stored(h)).toMatchObject({ status: "active", quantity: 4, mrr: 4000, customerMrr: 4000 });
    }
  });

  test("a signed event replayed after the 5-minute tolerance is refused, even though its id is new to trackd", async () => {
    const { h, acme } = await webhookApp();
    const payload = JSON.stringify(stripeEvent("customer.subscription.created", sub(1), { created: T0 }));
    const header = await signature(payload, { at: T0 });
    h.clock.now = T0 + 6 * MINUTE;
    const res = await h.call("POST", `/v1/webhooks/stripe/${acme.appId}`, { body: payload, headers: { "stripe-signature": header } });
    expect(res.status).toBe(400);
    expect(await h.sql.get("select count(*) as n from subscriptions")).toEqual({ n: 0 });
  });
});
