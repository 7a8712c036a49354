// Free-form values nest at most 32 levels; bodies must be UTF-8 without lone surrogates (so two
// ids never collapse into one U+FFFD); "__proto__", "constructor" and "prototype" are keys like
// any other; lengths count characters (code points), not UTF-16 units.
import { describe, expect, test } from "bun:test";
import { MAX_NESTING } from "../../src/ingest/attributes";
import { CLIENT, sendClient } from "../client/support";
import { fingerprint, refusedAndUnchanged, world } from "./support";

/** JSON text of `levels` nested objects and arrays around 1 (built as text: JSON.stringify recurses). */
const nested = (levels: number): string => {
  const opens: string[] = [];
  for (let i = 0; i < levels; i++) opens.push(i % 2 === 0 ? '{"a":' : "[");
  return opens.join("") + "1" + opens.reverse().map((open) => (open === "[" ? "]" : "}")).join("");
};

describe(`free-form values nest at most ${MAX_NESTING} levels`, () => {
  // Each builds the JSON text of a request whose free-form field is `value` (JSON text too).
  const routes: [string, (value: string) => [string, string], string][] = [
    ["/events/new customerData", (v) => ["/v1/api/events/new", `{"customerId":"c","event":"A","customerData":${v}}`], "/customerData"],
    ["/events/new user.data", (v) => ["/v1/api/events/new", `{"customerId":"c","event":"A","user":{"uid":"u","data":${v}}}`], "/user/data"],
    ["/events/new eventData", (v) => ["/v1/api/events/new", `{"customerId":"c","event":"A","eventData":${v}}`], "/eventData"],
    ["/events/bulk eventData", (v) => ["/v1/api/events/bulk", `[{"customerId":"c","event":"A"},{"customerId":"c","event":"A","eventData":${v}}]`], "/1/eventData"],
    ["/customer-update customerData", (v) => ["/v1/api/events/customer-update", `{"customerId":"c","customerData":${v}}`], "/customerData"],
    ["/customer-update user.data", (v) => ["/v1/api/events/customer-update", `{"customerId":"c","user":{"uid":"u","data":${v}}}`], "/user/data"],
  ];

  test.each(routes)("%s: 1,000 and 10,000 levels (bulk: 100,000) → 400 naming the field, nothing stored", async (name, request, path) => {
    const { h, acme } = await world();
    // As deep as the route's body limit allows: 64 KB, bulk 1 MB.
    for (const levels of [1000, name.includes("bulk") ? 100_000 : 10_000]) {
      // The top value is an object, as attributes must be: {"deep": …}.
      const [route, body] = request(`{"deep":${nested(levels)}}`);
      const res = await refusedAndUnchanged(h, () => h.call("POST", route, { as: acme, body }), path);
      expect(res.body.error.details[0].message).toContain(`more than ${MAX_NESTING} levels`);
    }
  });

  test.each(routes)("%s: exactly 32 levels is accepted, 33 is not", async (_name, request, path) => {
    const { h, acme } = await world();
    const [route, ok] = request(`{"deep":${nested(MAX_NESTING - 1)}}`);
    expect((await h.call("POST", route, { as: acme, body: ok })).status).toBeLessThan(300);
    const [, deep] = request(`{"deep":${nested(MAX_NESTING)}}`);
    await refusedAndUnchanged(h, () => h.call("POST", route, { as: acme, body: deep }), path);
  });

  test("the browser route: eventData nested 10,000 levels → 400 naming it", async () => {
    const { h, acme } = await world();
    const res = await sendClient(h, `[{"appId":"${acme.appId}","customerId":"c","event":"A","eventData":{"deep":${nested(10_000)}}}]`);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ index: 0, path: "/0/eventData" })]);
    expect(await h.count("events")).toBe(0);
  });
});

describe("Unicode: never a U+FFFD the client did not send", () => {
  test("a body that is not UTF-8 → 400 INVALID_JSON, nothing stored", async () => {
    const { h, acme } = await world();
    const bytes = new Uint8Array([...new TextEncoder().encode('{"customerId":"cus_'), 0xff, 0xfe, ...new TextEncoder().encode('","event":"A"}')]);
    const before = await fingerprint(h);
    const res = await h.app.handle(
      new Request("http://localhost/v1/api/events/new", { method: "POST", headers: { ...acme.headers, "content-type": "application/json" }, body: bytes }),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: "INVALID_JSON", message: "request body is not valid UTF-8" });
    expect(await fingerprint(h)).toBe(before);
  });

  test.each([
    ["messageId", { customerId: "c", event: "A", messageId: "m_\ud800" }, "/messageId"],
    ["customerId", { customerId: "cus_\udbff", event: "A" }, "/customerId"],
    ["event", { customerId: "c", event: "A\udc00" }, "/event"],
    ["user.uid", { customerId: "c", event: "A", user: { uid: "u\ud800" } }, "/user/uid"],
    ["a key in eventData", { customerId: "c", event: "A", eventData: { "k\ud800": 1 } }, "/eventData/k\ud800"],
    ["a value in eventData", { customerId: "c", event: "A", eventData: { k: ["ok", "v\udfff"] } }, "/eventData/k/1"],
  ])("a lone surrogate in %s → 400 naming it", async (_name, body, path) => {
    const { h, acme } = await world();
    const res = await refusedAndUnchanged(h, () => h.post("/v1/api/events/new", acme, body), path);
    expect(res.body.error.message).toContain("lone UTF-16 surrogate");
  });

  test('"m_\\ud800" then "m_\\udbff": neither is stored as a duplicate of the other', async () => {
    const { h, acme } = await world();
    expect((await h.post("/v1/api/events/new", acme, { customerId: "c", event: "A", messageId: "m_\ud800" })).status).toBe(400);
    expect((await h.post("/v1/api/events/new", acme, { customerId: "c", event: "A", messageId: "m_\udbff" })).status).toBe(400);
    expect(await h.count("events")).toBe(0);
  });

  test("in a bulk body the detail names the item; paired surrogates (emoji) are fine", async () => {
    const { h, acme } = await world();
    const res = await h.post("/v1/api/events/bulk", acme, [{ customerId: "c", event: "A 😀" }, { customerId: "cus_\ud800", event: "A" }]);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ index: 1, field: "customerId", path: "/1/customerId" })]);
    const ok = await h.post("/v1/api/events/new", acme, { customerId: "cus_😀", event: "A 😀", eventData: { "k😀": "v😀" } });
    expect(ok.status).toBe(201);
    expect((await h.get(`/v1/api/customers/${encodeURIComponent("cus_😀")}/events`, acme)).body.events[0].eventData).toEqual({ "k😀": "v😀" });
  });

  test("the subscriptions route and the browser route refuse lone surrogates too", async () => {
    const { h, acme } = await world();
    const sub = { subscriptionId: "sub_\ud800", customerId: "c", status: "active", currency: "usd", items: [{ unitAmount: 1, interval: "month" }] };
    await refusedAndUnchanged(h, () => h.post("/v1/api/subscriptions", acme, sub), "/subscriptionId");
    const res = await sendClient(h, { appId: acme.appId, customerId: "c\ud800", event: "A" });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe("/customerId");
  });
});

describe("__proto__, constructor and prototype are stored as keys", () => {
  const tricky = JSON.parse('{"__proto__":{"polluted":true},"constructor":"c","prototype":{"p":1},"plain":1}');

  test("customerData and user.data round-trip through the profile, and nothing is polluted", async () => {
    const { h, acme } = await world();
    const body = `{"customerId":"c","customerData":${JSON.stringify(tricky)},"user":{"uid":"u","data":${JSON.stringify(tricky)}}}`;
    const res = await h.call("POST", "/v1/api/events/customer-update", { as: acme, body });
    expect(res.status).toBe(200);
    const raw = await h.app.handle(new Request("http://localhost/v1/api/customers/c", { headers: acme.headers }));
    const text = await raw.text();
    for (const key of ['"__proto__":{"polluted":true}', '"constructor":"c"', '"prototype":{"p":1}']) expect(text.split(key)).toHaveLength(3);
    // A merge into stored data keeps them, and null removes one.
    await h.call("POST", "/v1/api/events/customer-update", { as: acme, body: '{"customerId":"c","customerData":{"__proto__":null,"extra":2}}' });
    const after = await (await h.app.handle(new Request("http://localhost/v1/api/customers/c", { headers: acme.headers }))).text();
    expect(after).not.toContain('"__proto__":{"polluted":true},"constructor":"c","prototype":{"p":1},"plain":1,"extra":2');
    expect(JSON.parse(after).data).toEqual(JSON.parse('{"constructor":"c","prototype":{"p":1},"plain":1,"extra":2}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('events named "__proto__" and "constructor" are counted in the metrics like any other', async () => {
    const { h, acme } = await world();
    for (const event of ["__proto__", "constructor", "constructor"]) await h.post("/v1/api/events/new", acme, { customerId: "c", event });
    const res = await h.app.handle(new Request("http://localhost/v1/api/metrics/events", { headers: acme.headers }));
    const text = await res.text();
    expect(text).toContain('"totals":{"__proto__":1,"constructor":2}');
  });
});

describe("lengths count characters (code points)", () => {
  test.each([
    ["200 emoji", "😀".repeat(200), 201],
    ["255 emoji", "😀".repeat(255), 201],
    ["256 emoji", "😀".repeat(256), 400],
    ["255 letters", "a".repeat(255), 201],
    ["256 letters", "a".repeat(256), 400],
  ])("an event name of %s → %d", async (_name, event, status) => {
    const { h, acme } = await world();
    expect((await h.post("/v1/api/events/new", acme, { customerId: "😀".repeat(255), event })).status).toBe(status);
  });

  test("the browser route counts the same way", async () => {
    const { h, acme } = await world();
    expect((await sendClient(h, { appId: acme.appId, customerId: "c", event: "😀".repeat(255) })).status).toBe(201);
    expect((await h.call("POST", CLIENT, { body: { appId: acme.appId, customerId: "c", event: "😀".repeat(256) } })).status).toBe(400);
  });
});
