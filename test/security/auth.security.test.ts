import { describe, expect, test } from "bun:test";
import { setup, type Harness, type Tenant } from "../helpers";

interface Route {
  method: "GET" | "POST";
  path: string;
  body?: unknown;
  /** Status of a successful call with a valid key. */
  ok: number;
}

const routes: [string, Route][] = [
  [
    "POST /v1/api/events/new",
    {
      method: "POST",
      path: "/v1/api/events/new",
      body: { event: "Post Created", customerId: "cus_new", user: { uid: "m_new", data: { a: 1 } }, customerData: { a: 1 } },
      ok: 201,
    },
  ],
  [
    "POST /v1/api/events/bulk",
    {
      method: "POST",
      path: "/v1/api/events/bulk",
      body: [
        { event: "Post Created", customerId: "cus_new", user: { uid: "m_new" } },
        { event: "Post Created", uid: "u_new" },
      ],
      ok: 201,
    },
  ],
  [
    "POST /v1/api/events/customer-update",
    {
      method: "POST",
      path: "/v1/api/events/customer-update",
      body: { customerId: "cus_new", customerData: { seats: 2 }, user: { uid: "m_new", data: { a: 1 } } },
      ok: 200,
    },
  ],
  ["GET /v1/api/events", { method: "GET", path: "/v1/api/events", ok: 200 }],
  ["GET /v1/api/customers/:customerId", { method: "GET", path: "/v1/api/customers/cus_seed", ok: 200 }],
];

const HEX64 = "0123456789abcdef".repeat(4);

/** Replaces the secret part of a `tk_<keyId>_<secret>` key. */
function withSecret(apiKey: string, secret: string): string {
  return apiKey.replace(/_[0-9a-f]{64}$/, `_${secret}`);
}

type BadCredentials = (h: Harness, acme: Tenant) => Record<string, string> | Promise<Record<string, string>>;

const badCredentials: [string, BadCredentials][] = [
  ["no headers at all", () => ({})],
  ["a missing x-ck-api-key", (_, acme) => ({ "x-ck-app": acme.appId })],
  ["a missing x-ck-app", (_, acme) => ({ "x-ck-api-key": acme.apiKey })],
  ["an empty x-ck-api-key", (_, acme) => ({ "x-ck-api-key": "", "x-ck-app": acme.appId })],
  ["an empty x-ck-app", (_, acme) => ({ "x-ck-api-key": acme.apiKey, "x-ck-app": "" })],
  ["a malformed key", (_, acme) => ({ "x-ck-api-key": "not-a-key", "x-ck-app": acme.appId })],
  ["a key with a truncated secret", (_, acme) => ({ "x-ck-api-key": acme.apiKey.slice(0, -1), "x-ck-app": acme.appId })],
  ["a key with an extra character", (_, acme) => ({ "x-ck-api-key": `${acme.apiKey}0`, "x-ck-app": acme.appId })],
  ["an upper-cased key", (_, acme) => ({ "x-ck-api-key": acme.apiKey.toUpperCase(), "x-ck-app": acme.appId })],
  ["a Bearer-prefixed key", (_, acme) => ({ "x-ck-api-key": `Bearer ${acme.apiKey}`, "x-ck-app": acme.appId })],
  ["a well-formed key with a wrong secret", (_, acme) => ({ "x-ck-api-key": withSecret(acme.apiKey, HEX64), "x-ck-app": acme.appId })],
  ["a well-formed key with an unknown key id", (_, acme) => ({ "x-ck-api-key": `tk_000000000000_${HEX64}`, "x-ck-app": acme.appId })],
  ["an unknown app id", (_, acme) => ({ "x-ck-api-key": acme.apiKey, "x-ck-app": "app_0000000000000000" })],
  ["the app id and key swapped", (_, acme) => ({ "x-ck-api-key": acme.appId, "x-ck-app": acme.apiKey })],
  [
    "a revoked key",
    async (h, acme) => {
      expect(await h.store.apply({ type: "RevokeKey", keyId: acme.keyId, at: h.clock.now })).toBe(true);
      return acme.headers;
    },
  ],
];

/** An app with one customer (cus_seed) and one event, so read routes have something to leak. */
async function seeded(h: Harness): Promise<Tenant> {
  const acme = await h.tenant("acme");
  const res = await h.post("/v1/api/events/new", acme, { event: "Signed Up", customerId: "cus_seed", user: { uid: "m_seed" } });
  expect(res.status).toBe(201);
  return acme;
}

async function stored(h: Harness) {
  return { events: await h.count("events"), customers: await h.count("customers"), users: await h.count("users") };
}

describe("API key authentication", () => {
  describe.each(routes)("%s", (_, route) => {
    test.each(badCredentials)("refuses %s with 401 and stores nothing", async (_, credentials) => {
      const h = await setup();
      const acme = await seeded(h);
      const before = await stored(h);
      const res = await h.call(route.method, route.path, { headers: await credentials(h, acme), body: route.body });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: "UNAUTHORIZED", message: expect.any(String) } });
      expect(await stored(h)).toEqual(before);
    });

    test("accepts the app's key", async () => {
      const h = await setup();
      const acme = await seeded(h);
      const res = await h.call(route.method, route.path, { as: acme, body: route.body });
      expect(res.status).toBe(route.ok);
    });

    test("accepts a second key, before and after the first is revoked", async () => {
      const h = await setup();
      const acme = await seeded(h);
      const second = (await h.apps.createKey(acme.appId));
      expect(second).not.toBeNull();
      const secondHeaders = { "x-ck-api-key": second!.apiKey, "x-ck-app": acme.appId };

      expect((await h.call(route.method, route.path, { headers: secondHeaders, body: route.body })).status).toBe(route.ok);
      expect((await h.apps.revokeKey(acme.keyId))).toBe(true);
      expect((await h.call(route.method, route.path, { as: acme, body: route.body })).status).toBe(401);
      expect((await h.call(route.method, route.path, { headers: secondHeaders, body: route.body })).status).toBe(route.ok);
    });
  });

  test("a revoked key stays revoked after a new key is created", async () => {
    const h = await setup();
    const acme = await seeded(h);
    (await h.apps.revokeKey(acme.keyId));
    (await h.apps.createKey(acme.appId));
    expect((await h.get("/v1/api/events", acme)).status).toBe(401);
  });

  test("revoking an unknown or already revoked key reports false", async () => {
    const h = await setup();
    const acme = await h.tenant();
    expect((await h.apps.revokeKey("key_000000000000"))).toBe(false);
    expect((await h.apps.revokeKey(acme.keyId))).toBe(true);
    expect((await h.apps.revokeKey(acme.keyId))).toBe(false);
  });

  test("a key cannot be created for an unknown app", async () => {
    const h = await setup();
    expect((await h.apps.createKey("app_0000000000000000"))).toBeNull();
  });

  test("malformed, wrong, unknown-app and other apps' keys all get the same message; so does a revoked key with a wrong secret", async () => {
    const h = await setup();
    const acme = await seeded(h);
    const other = await h.tenant("other");
    const attempts: Record<string, string>[] = [
      { "x-ck-api-key": "not-a-key", "x-ck-app": acme.appId },
      { "x-ck-api-key": withSecret(acme.apiKey, HEX64), "x-ck-app": acme.appId },
      { "x-ck-api-key": acme.apiKey, "x-ck-app": "app_0000000000000000" },
      { "x-ck-api-key": other.apiKey, "x-ck-app": acme.appId },
    ];
    const messages: string[] = [];
    for (const headers of attempts) messages.push((await h.call("GET", "/v1/api/events", { headers })).body.error.message);
    (await h.apps.revokeKey(acme.keyId));
    messages.push((await h.call("GET", "/v1/api/events", { headers: { "x-ck-api-key": withSecret(acme.apiKey, HEX64), "x-ck-app": acme.appId } })).body.error.message);
    expect(new Set(messages).size).toBe(1);
  });

  test("a revoked key, sent whole, gets a 401 that says it was revoked", async () => {
    const h = await setup();
    const acme = await seeded(h);
    (await h.apps.revokeKey(acme.keyId));
    const res = await h.get("/v1/api/events", acme);
    expect(res.status).toBe(401);
    expect(res.body.error).toEqual({ code: "UNAUTHORIZED", message: expect.stringContaining("this API key was revoked") });
    // Sent to another app, it is just a wrong key: its owner's state is not revealed there.
    const other = await h.tenant("other");
    const elsewhere = await h.call("GET", "/v1/api/events", { headers: { "x-ck-api-key": acme.apiKey, "x-ck-app": other.appId } });
    expect(elsewhere.body.error.message).toBe("invalid API key for this app id");
  });

  test("a 401 carries no stack trace, internal detail or the key sent", async () => {
    const h = await setup();
    const acme = await seeded(h);
    const wrongKey = withSecret(acme.apiKey, HEX64);
    const attempts: Record<string, string>[] = [{}, { "x-ck-api-key": wrongKey, "x-ck-app": acme.appId }];
    for (const headers of attempts) {
      const res = await h.call("POST", "/v1/api/events/new", { headers, body: { event: "X", uid: "u" } });
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(Object.keys(res.body)).toEqual(["error"]);
      expect(Object.keys(res.body.error).sort()).toEqual(["code", "message"]);
      const text = JSON.stringify(res.body);
      expect(text).not.toMatch(/stack|\bat \S+ \(|\.ts\b|node_modules|sqlite|select |secret_hash|key_[0-9a-f]{12}/i);
      expect(text).not.toContain(wrongKey);
      expect(text).not.toContain(HEX64);
    }
  });

  test("authentication is checked before the body is read: a bad key with a broken body is 401", async () => {
    const h = await setup();
    const res = await h.call("POST", "/v1/api/events/new", {
      headers: { "x-ck-api-key": "nope", "x-ck-app": "app_0000000000000000" },
      body: "{not json",
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("UNAUTHORIZED");
  });
});

describe("unkeyed routes", () => {
  // GET / is the dashboard now: it sends a browser to /login (test/dashboard/pages.test.ts).
  test.each([
    ["GET", "/dashboard/nope"],
    ["GET", "/v1/api/nope"],
    ["POST", "/v1/api/events/old"],
    ["GET", "/v1/api/customer"],
  ])("%s %s is 404 NOT_FOUND, with or without a key", async (method, path) => {
    const h = await setup();
    const acme = await h.tenant();
    for (const as of [undefined, acme]) {
      const res = await h.call(method, path, { as, body: method === "POST" ? { event: "X", uid: "u" } : undefined });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: "NOT_FOUND", message: expect.any(String) } });
    }
    expect(await h.count("events")).toBe(0);
  });

  test("/healthz answers without a key", async () => {
    const h = await setup();
    const res = await h.call("GET", "/healthz");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
  });
});
