// Generated requests against every write route (fast-check): valid bodies bent in many ways,
// and raw bytes. Bounded to a few seconds: the seed is printed on failure so a run can be
// replayed with fc.assert(..., { seed, path }).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { setup, type Harness, type Tenant } from "../helpers";
import { customerObject, enableWebhook, invoiceObject, signature, stripeEvent, subscriptionObject } from "../support/stripe";
import { attributes, date, identifier, mutated, rawBody } from "./arbitraries";
import { checkAnswer } from "./invariants";

const RUNS = Number(process.env.PROP_RUNS ?? 120);
const unlimited = { rate: 1e9, burst: 1e9 };

const event = { customerId: "cus_1", event: "Report Created", eventDate: "2026-01-15T10:00:00Z", eventData: { a: 1 }, messageId: "m1" };
const withAttributes = { ...event, uid: "u1", customerData: { plan: "pro" }, user: { uid: "user_1", data: { role: "admin" } } };
const update = { customerId: "cus_1", uid: "u1", customerEmail: "a@b.test", customerData: { seats: 3 }, user: { uid: "user_1", data: { x: 1 } } };
const subscription = {
  subscriptionId: "sub_1",
  customerId: "cus_1",
  status: "active",
  currency: "usd",
  items: [{ unitAmount: 1000, interval: "month" }],
  startedAt: "2026-01-01",
  trialEnd: 1_768_000_000_000,
  currentPeriodEnd: "2026-02-01T00:00:00Z",
  updatedAt: "2026-01-15T11:00:00+01:00",
  discounts: [{ percentOff: 10, end: "2026-06-01" }],
};
const eventFields = { eventDate: date, event: identifier, customerId: identifier, uid: identifier, messageId: identifier, eventData: attributes, customerData: attributes };
const updateFields = { customerId: identifier, uid: identifier, customerData: attributes, customerEmail: identifier };
const billingDates = Object.fromEntries(["trialStart", "trialEnd", "currentPeriodEnd", "canceledAt", "endedAt", "startedAt", "updatedAt"].map((key) => [key, date]));

async function world() {
  const h = await setup({ client: { perIp: unlimited, perApp: unlimited } });
  const acme = await h.tenant();
  const post = (path: string, body: Uint8Array | string, headers: Record<string, string> = {}) => () =>
    h.app.handle(new Request(`http://localhost${path}`, { method: "POST", headers: { ...acme.headers, "content-type": "application/json", ...headers }, body }));
  return { h, acme, post };
}

const json = (value: unknown) => JSON.stringify(value);

/** An accepted event is stored exactly as sent: no U+FFFD, no key dropped, nothing rewritten. */
async function expectStoredAsSent(h: Harness, id: string, sent: Record<string, unknown>) {
  const row = await h.sql.get('select event, message_id as "messageId", event_data as "eventData" from events where id = ?', id);
  expect(row).toEqual({ event: sent.event, messageId: sent.messageId ?? null, eventData: sent.eventData === undefined ? null : JSON.stringify(sent.eventData) });
}

/** A valid body now and then, so that both sides (accepted, refused) are reached. */
const bent = (template: Record<string, unknown>, targeted: Record<string, fc.Arbitrary<unknown>>) =>
  fc.oneof({ arbitrary: mutated(template, [], targeted), weight: 4 }, { arbitrary: fc.constant(template), weight: 1 });

// Every row has all four entries: with fewer, bun:test takes the callback's last parameter for a `done`.
const routes: [name: string, path: string, body: (acme: Tenant) => fc.Arbitrary<unknown>, headers: Record<string, string>][] = [
  ["POST /v1/api/events/new", "/v1/api/events/new", () => bent(withAttributes, eventFields), {}],
  ["POST /v1/api/events/bulk", "/v1/api/events/bulk", () => fc.array(bent(event, eventFields), { minLength: 1, maxLength: 4 }), {}],
  ["POST /v1/api/events/customer-update", "/v1/api/events/customer-update", () => bent(update, updateFields), {}],
  [
    "POST /v1/api/events/client",
    "/v1/api/events/client",
    (acme) => fc.oneof(bent({ ...event, appId: acme.appId }, eventFields), fc.array(bent({ ...event, appId: acme.appId }, eventFields), { minLength: 1, maxLength: 3 })),
    { "content-type": "text/plain", origin: "https://page.test" },
  ],
  ["POST /v1/api/subscriptions", "/v1/api/subscriptions", () => bent(subscription, { ...billingDates, subscriptionId: identifier, customerId: identifier }), {}],
];

describe("generated write requests: never a 5xx, every 4xx in the error shape, a refused one changes no row", () => {
  test.each(routes)("%s, bent bodies", async (_name, path, body, headers) => {
    const { h, acme, post } = await world();
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(body(acme), async (value) => {
        const { status, body } = await checkAnswer(h, post(path, json(value), headers));
        statuses.add(status);
        if (status === 201 && path === "/v1/api/events/new") await expectStoredAsSent(h, body.id, value as Record<string, unknown>);
      }),
      { numRuns: RUNS },
    );
    // The generators reach both sides: some bodies are accepted, some refused.
    expect([...statuses].some((status) => status < 300)).toBe(true);
    expect([...statuses].some((status) => status >= 400)).toBe(true);
  });

  test.each(routes)("%s, raw bytes", async (_name, path, _body, headers) => {
    const { h, post } = await world();
    await fc.assert(
      fc.asyncProperty(rawBody, async (bytes) => {
        await checkAnswer(h, post(path, bytes, headers));
      }),
      { numRuns: RUNS / 3 },
    );
  });
});

describe("generated Stripe webhooks, signed: never a 5xx, and the profile still reads", () => {
  test("subscription, customer and invoice events with bent fields", async () => {
    const { h, acme } = await world();
    await enableWebhook(h, acme.appId);
    const template = subscriptionObject({ id: "sub_1", customer: "cus_1", items: [{ id: "price_1", unitAmount: 1000, interval: "month" }] });
    const bentSubscription = fc.tuple(
      mutated(template, ["trial_end", "trial_start", "canceled_at", "ended_at", "current_period_end"]),
      fc.constantFrom("customer.subscription.created", "customer.subscription.updated", "customer.subscription.trial_will_end"),
    );
    const bentCustomer = fc.tuple(mutated(customerObject({ id: "cus_1", email: "a@b.test", metadata: { plan: "pro" } })), fc.constantFrom("customer.created", "customer.updated"));
    const bentInvoice = fc.tuple(mutated(invoiceObject({ customer: "cus_1", subscription: "sub_1", paid: false, amount: 1000 })), fc.constant("invoice.payment_failed"));
    await fc.assert(
      fc.asyncProperty(fc.oneof(bentSubscription, bentCustomer, bentInvoice), async ([object, type]) => {
        const payload = JSON.stringify(stripeEvent(type, object, { created: h.clock.now }));
        const header = await signature(payload, { at: h.clock.now });
        const path = `/v1/webhooks/stripe/${acme.appId}`;
        await checkAnswer(h, () =>
          h.app.handle(new Request(`http://localhost${path}`, { method: "POST", headers: { "stripe-signature": header, "content-type": "application/json" }, body: payload })),
        );
        for (const read of ["/v1/api/customers/cus_1", "/v1/api/customers/cus_1/timeline", "/v1/api/customers", "/v1/api/metrics/billing"]) {
          const res = await h.get(read, acme);
          expect(res.status === 200 || res.status === 404, `${read}: ${res.status} ${JSON.stringify(res.body)}`).toBe(true);
        }
      }),
      { numRuns: RUNS / 3 },
    );
  });
});
