// U+0000 is refused as client input on both backends (PostgreSQL's text and jsonb cannot hold it,
// and SQLite must not accept what PostgreSQL refuses): a 400 naming the field, nothing stored.
// Bodies are checked where lone surrogates are (src/http/body.ts), URLs in app.ts's hook, and a
// Segment batch rejects the message on its own. Runs on either backend (TRACKD_TEST_BACKEND).
import { describe, expect, test } from "bun:test";
import type { Harness } from "../helpers";
import { createUser, login } from "../accounts/support";
import { sendClient } from "../client/support";
import { segment } from "../segment/support";
import { fingerprint, refusedAndUnchanged, world } from "./support";

const NUL_REASON = "contains a NUL character (U+0000)";

/** A 400 whose one detail names `path` and the NUL, and no row of any table changed. */
async function refused(h: Harness, send: () => Promise<{ status: number; body: any }>, path: string) {
  const res = await refusedAndUnchanged(h, send, path);
  expect(res.body.error.code).toBe("VALIDATION_FAILED");
  expect(res.body.error.message).toContain(NUL_REASON);
  expect(res.body.error.details[0].path).toBe(path);
  expect(res.body.error.details[0].message).toContain(NUL_REASON);
  return res;
}

describe("a NUL in a body is a 400 naming the field", () => {
  const base = { customerId: "c", event: "A" };
  test.each([
    ["customerId", { ...base, customerId: "x\u0000y" }, "/customerId", "customerId"],
    ["event", { ...base, event: "a\u0000" }, "/event", "event"],
    ["messageId", { ...base, messageId: "\u0000" }, "/messageId", "messageId"],
    ["a customerData value", { ...base, customerData: { k: "\u0000" } }, "/customerData/k", "customerData.k"],
    ["a customerData key", { ...base, customerData: { "k\u0000": 1 } }, "/customerData/k\u0000", "customerData.k\u0000"],
    ["a nested user.data value", { ...base, user: { uid: "u", data: { a: { b: ["ok", "\u0000"] } } } }, "/user/data/a/b/1", "user.data.a.b.1"],
    ["an eventData value", { ...base, eventData: { k: "v\u0000" } }, "/eventData/k", "eventData.k"],
    ["an eventData key", { ...base, eventData: { "\u0000": "v" } }, "/eventData/\u0000", "eventData.\u0000"],
  ])("/events/new: %s", async (_name, body, path, field) => {
    const { h, acme } = await world();
    const res = await refused(h, () => h.post("/v1/api/events/new", acme, body), path);
    expect(res.body.error.message.startsWith(`${field} `)).toBe(true);
    expect(await h.count("events")).toBe(0);
    expect(await h.count("customers")).toBe(0);
  });

  test("/events/bulk: the detail names the item, and none of the batch is stored", async () => {
    const { h, acme } = await world();
    const events = [0, 1, 2, 3].map((i) => ({ customerId: `c${i}`, event: i === 3 ? "A\u0000" : "A" }));
    const res = await refused(h, () => h.post("/v1/api/events/bulk", acme, events), "/3/event");
    expect(res.body.error.details).toEqual([expect.objectContaining({ index: 3, field: "event", path: "/3/event" })]);
    expect(await h.count("events")).toBe(0);
  });

  test("/events/customer-update: customerData, user.data and the customerId", async () => {
    const { h, acme } = await world();
    const route = "/v1/api/events/customer-update";
    await refused(h, () => h.post(route, acme, { customerId: "c", customerData: { plan: { tier: "\u0000" } } }), "/customerData/plan/tier");
    await refused(h, () => h.post(route, acme, { customerId: "c", user: { uid: "u", data: { "\u0000k": 1 } } }), "/user/data/\u0000k");
    await refused(h, () => h.post(route, acme, { customerId: "c\u0000" }), "/customerId");
    expect(await h.count("customers")).toBe(0);
    expect(await h.count("users")).toBe(0);
  });

  test("the browser route and the subscriptions route", async () => {
    const { h, acme } = await world();
    await refused(h, () => sendClient(h, { appId: acme.appId, customerId: "c", event: "A", eventData: { k: "\u0000" } }), "/eventData/k");
    await refused(h, () => sendClient(h, [{ appId: acme.appId, customerId: "c", event: "A" }, { appId: acme.appId, customerId: "c\u0000", event: "A" }]), "/1/customerId");
    const sub = { subscriptionId: "sub_\u0000", customerId: "c", status: "active", currency: "usd", items: [{ unitAmount: 1, interval: "month" }] };
    await refused(h, () => h.post("/v1/api/subscriptions", acme, sub), "/subscriptionId");
  });

  test("a NUL written as JSON text (not a NUL escape) is ordinary text", async () => {
    const { h, acme } = await world();
    // "\\u0000" in JSON is a backslash and "u0000": six characters, stored as sent.
    const res = await h.call("POST", "/v1/api/events/new", { as: acme, body: '{"customerId":"c\\\\u0000","event":"A"}' });
    expect(res.status).toBe(201);
    expect(await h.sql.all("select customer_id from customers")).toEqual([{ customer_id: "c\\u0000" }]);
  });
});

describe("Segment: a message holding a NUL is rejected on its own", () => {
  const VALID = { type: "track", userId: "u1", event: "Kept", messageId: "m_ok" };

  test.each([
    ["event", { type: "track", userId: "u2", event: "E\u0000", messageId: "m_bad" }, "/batch/1/event", "event"],
    ["a properties key", { type: "track", userId: "u2", event: "E", messageId: "m_bad", properties: { "k\u0000": 1 } }, "/batch/1/properties/k\u0000", "properties.k\u0000"],
    ["a trait", { type: "identify", userId: "u2", messageId: "m_bad", traits: { name: "\u0000" } }, "/batch/1/traits/name", "traits.name"],
    ["context", { type: "track", userId: "u2", event: "E", messageId: "m_bad", context: { page: { url: "\u0000" } } }, "/batch/1/context/page/url", "context.page.url"],
  ])("in a batch, %s: the others are stored (200) and the rejection names the field", async (_name, message, path, field) => {
    const { h, acme } = await world();
    const res = await segment(h).batch(acme, [VALID, message]);
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected).toEqual([
      { index: 1, code: "invalid", field, path, message: expect.stringContaining(NUL_REASON), type: message.type, messageId: "m_bad" },
    ]);
    expect(await h.count("events", "event = 'Kept'")).toBe(1);
    expect(await h.count("events")).toBe(1);
    expect(await h.count("customers")).toBe(1);
  });

  test("alone in a batch, or on /v1/track, it is a 400 and nothing is stored", async () => {
    const { h, acme } = await world();
    const before = await fingerprint(h);
    const bad = { type: "track", userId: "u\u0000", event: "E" };
    const batch = await segment(h).batch(acme, [bad]);
    expect(batch.status).toBe(400);
    expect(batch.body.error.details).toEqual([expect.objectContaining({ index: 0, field: "userId", path: "/batch/0/userId" })]);
    const single = await segment(h).send(acme, "track", { userId: "u1", event: "E", messageId: "\u0000" });
    expect(single.status).toBe(400);
    expect(single.body.error.details).toEqual([expect.objectContaining({ field: "messageId", path: "/messageId" })]);
    expect(single.body.error.message).toContain(NUL_REASON);
    expect(await fingerprint(h)).toBe(before);
  });

  test("a lone surrogate is rejected on its own the same way", async () => {
    const { h, acme } = await world();
    const res = await segment(h).batch(acme, [VALID, { type: "track", userId: "u\ud800", event: "E" }]);
    expect(res.status).toBe(200);
    expect(res.body.rejected).toEqual([expect.objectContaining({ index: 1, code: "invalid", field: "userId", path: "/batch/1/userId", message: expect.stringContaining("lone UTF-16 surrogate") })]);
    expect(await h.count("events")).toBe(1);
  });

  test("the batch's own context applies to every message: a NUL there refuses the request", async () => {
    const { h, acme } = await world();
    await refused(h, () => segment(h).batch(acme, [VALID], { context: { app: { name: "\u0000" } } }), "/context/app/name");
  });
});

describe("the dashboard's sign-in form (parsed by Elysia, not parseJson)", () => {
  test("a NUL in the email is a 400 on the page, and no session is made", async () => {
    const { h } = await world();
    await createUser(h, "a@x.io", "admin");
    const before = await fingerprint(h);
    const res = await login(h, "a\u0000@x.io");
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(NUL_REASON);
    expect(await fingerprint(h)).toBe(before);
  });
});

describe("a NUL in a path or query parameter is a 400 naming it", () => {
  const reads: [string, string, string][] = [
    ["GET", "/v1/api/export?customerId=%00", "/customerId"],
    ["GET", "/v1/api/customers/cus_1/activity?event=%00", "/event"],
    ["GET", "/v1/api/customers?q=a%00", "/q"],
    ["GET", "/v1/api/events?customerId=x%00", "/customerId"],
    ["GET", "/v1/api/customers/x%00y", "/customerId"],
    ["GET", "/v1/api/customers/x%00y/events", "/customerId"],
    ["GET", "/v1/api/customers/x%00y/timeline", "/customerId"],
    ["DELETE", "/v1/api/customers/x%00y", "/customerId"],
    ["GET", "/v1/api/metrics/events?event=%00", "/event"],
    ["GET", "/v1/api/customers?x%00=1", "/x\u0000"],
  ];
  test.each(reads)("%s %s", async (method, url, path) => {
    const { h, acme } = await world();
    await h.post("/v1/api/events/new", acme, { customerId: "cus_1", event: "A" });
    const res = await refused(h, () => h.call(method, url, { as: acme }), path);
    expect(res.body.error.message).toContain(path.slice(1));
  });

  test("a write route's query too, before its body is read", async () => {
    const { h, acme } = await world();
    await refused(h, () => h.call("POST", "/v1/api/events/new?x=%00", { as: acme, body: { customerId: "c", event: "A" } }), "/x");
  });
});

