// Every refused delivery: 400 (404 for an unknown app) naming the reason, and nothing stored.
// Where the refusal is about the signature, the stripe package's own verifier refuses it too.
import { describe, expect, test } from "bun:test";
import { setup, type Harness } from "../helpers";
import { customerObject, deliver, enableWebhook, signature, stripe, stripeEvent, WEBHOOK_SECRET } from "../support/stripe";

async function webhookApp() {
  const h = await setup();
  const acme = await h.tenant();
  await enableWebhook(h, acme.appId);
  const event = stripeEvent("customer.created", customerObject({ id: "cus_1", email: "ada@acme.test" }), { created: h.clock.now });
  return { h, acme, event, payload: JSON.stringify(event) };
}

function post(h: Harness, appId: string, payload: string, header?: string) {
  return h.call("POST", `/v1/webhooks/stripe/${appId}`, { body: payload, headers: header === undefined ? {} : { "stripe-signature": header } });
}

async function expectNothingStored(h: Harness) {
  const stored = await h.sql.get("select (select count(*) from customers) + (select count(*) from provider_events) + (select count(*) from billing_events) as n");
  expect(stored).toEqual({ n: 0 });
}

/** The stripe package's verdict on the same delivery, at the same clock. */
async function stripeAccepts(payload: string, header: string, at: number): Promise<boolean> {
  try {
    await stripe.webhooks.constructEventAsync(payload, header, WEBHOOK_SECRET, 300, undefined, at);
    return true;
  } catch {
    return false;
  }
}

describe("Stripe webhook: refused deliveries", () => {
  const cases: [string, (payload: string, at: number) => Promise<{ payload: string; header?: string }>, string][] = [
    ["no Stripe-Signature header", async (payload) => ({ payload }), "missing Stripe-Signature header"],
    ["a header without a timestamp", async (payload) => ({ payload, header: "v1=" + "a".repeat(64) }), "no timestamp"],
    [
      "a header without v1 (only the v0 test scheme)",
      async (payload, at) => ({ payload, header: (await signature(payload, { at })).replace("v1=", "v0=") }),
      "no v1 signature",
    ],
    [
      "signed with another secret",
      async (payload, at) => ({ payload, header: await signature(payload, { at, secret: "whsec_someoneElse0123456789" }) }),
      "no v1 signature matches",
    ],
    [
      "a body changed after signing",
      async (payload, at) => ({ payload: payload.replace("ada@acme.test", "eve@acme.test"), header: await signature(payload, { at }) }),
      "no v1 signature matches",
    ],
    [
      "the same JSON re-serialised (signatures cover the raw bytes)",
      async (payload, at) => ({ payload: JSON.stringify(JSON.parse(payload), null, 2), header: await signature(payload, { at }) }),
      "no v1 signature matches",
    ],
    ["a timestamp over 5 minutes old", async (payload, at) => ({ payload, header: await signature(payload, { at: at - 301_000 }) }), "s old (tolerance 300 s)"],
  ];

  for (const [name, build, reason] of cases) {
    test(`${name}: 400 INVALID_SIGNATURE, and Stripe's own verifier agrees`, async () => {
      const { h, acme, payload } = await webhookApp();
      const delivery = await build(payload, h.clock.now);
      const res = await post(h, acme.appId, delivery.payload, delivery.header);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("INVALID_SIGNATURE");
      expect(res.body.error.message).toContain(reason);
      expect(res.body.error.details).toEqual([{ path: "/headers/stripe-signature", message: res.body.error.message }]);
      await expectNothingStored(h);
      expect(await stripeAccepts(delivery.payload, delivery.header ?? "", h.clock.now)).toBe(false);
    });
  }

  test("a timestamp more than 5 minutes ahead is refused too", async () => {
    const { h, acme, payload } = await webhookApp();
    const res = await post(h, acme.appId, payload, await signature(payload, { at: h.clock.now + 301_000 }));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe("signature timestamp is in the future");
    await expectNothingStored(h);
  });

  test("4 minutes old is within the tolerance", async () => {
    const { h, acme, payload } = await webhookApp();
    const header = await signature(payload, { at: h.clock.now - 240_000 });
    expect((await post(h, acme.appId, payload, header)).status).toBe(200);
    expect(await stripeAccepts(payload, header, h.clock.now)).toBe(true);
  });

  test("an app without a webhook secret refuses, saying how to set one", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await deliver(h, acme.appId, stripeEvent("customer.created", customerObject({ id: "cus_1" }), { created: h.clock.now }));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(`trackd apps update ${acme.appId} --stripe-webhook-secret`);
    await expectNothingStored(h);
  });

  test("an unknown app id is 404", async () => {
    const { h, payload } = await webhookApp();
    const res = await post(h, "app_unknown", payload, await signature(payload, { at: h.clock.now }));
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe("no app with id app_unknown");
  });

  test("a correctly signed body that is not JSON is 400 INVALID_JSON", async () => {
    const { h, acme } = await webhookApp();
    const res = await post(h, acme.appId, "not json", await signature("not json", { at: h.clock.now }));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("INVALID_JSON");
    await expectNothingStored(h);
  });

  test("a correctly signed event missing its fields is 400 naming them", async () => {
    const { h, acme } = await webhookApp();
    const payload = JSON.stringify({ id: "evt_1", type: "customer.created", data: {} });
    const res = await post(h, acme.appId, payload, await signature(payload, { at: h.clock.now }));
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(["/created", "/data/object"]);
    await expectNothingStored(h);
  });

  test("a body over 1 MB is 413, before any signature work", async () => {
    const { h, acme } = await webhookApp();
    const res = await post(h, acme.appId, "x".repeat(1024 * 1024 + 1), "t=1,v1=" + "a".repeat(64));
    expect(res.status).toBe(413);
    await expectNothingStored(h);
  });
});
