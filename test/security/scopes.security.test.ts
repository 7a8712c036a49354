// Keys carry scopes: ingest (write routes), read (read routes), admin. A valid key without the
// scope a route needs gets 403 FORBIDDEN naming it, and nothing is stored.
import { describe, expect, test } from "bun:test";
import type { Scope } from "../../src/apps/keys";
import { setup, type Harness, type Tenant } from "../helpers";

const routes: { route: string; method: "GET" | "POST"; path: string; body?: unknown; scope: Scope }[] = [
  { route: "POST /v1/api/events/new", method: "POST", path: "/v1/api/events/new", body: { event: "A Done", customerId: "cus_1" }, scope: "ingest" },
  { route: "POST /v1/api/events/bulk", method: "POST", path: "/v1/api/events/bulk", body: [{ event: "A Done", customerId: "cus_1" }], scope: "ingest" },
  { route: "POST /v1/api/events/customer-update", method: "POST", path: "/v1/api/events/customer-update", body: { customerId: "cus_1", customerData: { a: 1 } }, scope: "ingest" },
  {
    route: "POST /v1/api/subscriptions",
    method: "POST",
    path: "/v1/api/subscriptions",
    body: { subscriptionId: "sub_1", customerId: "cus_1", status: "active", currency: "usd", items: [{ unitAmount: 1000, interval: "month" }] },
    scope: "ingest",
  },
  { route: "GET /v1/api/events", method: "GET", path: "/v1/api/events", scope: "read" },
  { route: "GET /v1/api/customers/:id", method: "GET", path: "/v1/api/customers/cus_seed", scope: "read" },
  { route: "GET /v1/api/customers", method: "GET", path: "/v1/api/customers", scope: "read" },
  { route: "GET /v1/api/customers/:id/events", method: "GET", path: "/v1/api/customers/cus_seed/events", scope: "read" },
  { route: "GET /v1/api/customers/:id/timeline", method: "GET", path: "/v1/api/customers/cus_seed/timeline", scope: "read" },
  { route: "GET /v1/api/customers/:id/activity", method: "GET", path: "/v1/api/customers/cus_seed/activity", scope: "read" },
  { route: "GET /v1/api/metrics/events", method: "GET", path: "/v1/api/metrics/events", scope: "read" },
  { route: "GET /v1/api/metrics/billing", method: "GET", path: "/v1/api/metrics/billing", scope: "read" },
  { route: "GET /v1/api/events/names", method: "GET", path: "/v1/api/events/names", scope: "read" },
  { route: "GET /v1/api/export", method: "GET", path: "/v1/api/export", scope: "read" },
  { route: "GET /v1/api/customers/:id/export", method: "GET", path: "/v1/api/customers/cus_seed/export", scope: "read" },
];

/** The app's first key (all scopes) plus a key narrowed to `scopes`, with one customer to read. */
async function narrowed(scopes: Scope[]): Promise<{ h: Harness; full: Tenant; narrow: Tenant }> {
  const h = await setup();
  const full = await h.tenant();
  await h.post("/v1/api/events/new", full, { event: "Seeded", customerId: "cus_seed" });
  const key = (await h.apps.createKey(full.appId, scopes))!;
  return { h, full, narrow: { ...full, apiKey: key.apiKey, keyId: key.keyId, headers: { "x-ck-api-key": key.apiKey, "x-ck-app": full.appId } } };
}

describe("key scopes", () => {
  test.each(routes)("$route needs the $scope scope: 403 FORBIDDEN naming it, nothing stored", async ({ method, path, body, scope }) => {
    const other: Scope[] = scope === "ingest" ? ["read", "admin"] : ["ingest", "admin"];
    const { h, narrow } = await narrowed(other);
    const before = [await h.count("events"), await h.count("customers")];
    const res = await h.call(method, path, { as: narrow, body });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("FORBIDDEN");
    expect(res.body.error.message).toContain(`"${scope}"`);
    expect([await h.count("events"), await h.count("customers")]).toEqual(before);
  });

  test.each(routes)("$route works for a key holding only the $scope scope", async ({ method, path, body, scope }) => {
    const { h, narrow } = await narrowed([scope]);
    const res = await h.call(method, path, { as: narrow, body });
    expect([200, 201]).toContain(res.status);
  });

  test("the first key of an app holds all three scopes", async () => {
    const h = await setup();
    const acme = await h.tenant();
    for (const { method, path, body } of routes) {
      const res = await h.call(method, path, { as: acme, body });
      expect(res.status).not.toBe(403);
    }
  });

  test("a wrong key is 401, not 403, whatever its scopes would be", async () => {
    const { h, narrow } = await narrowed(["read"]);
    const forged = narrow.apiKey.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
    const res = await h.call("POST", "/v1/api/events/new", {
      headers: { "x-ck-api-key": forged, "x-ck-app": narrow.appId },
      body: { event: "A Done", customerId: "cus_1" },
    });
    expect(res.status).toBe(401);
  });
});
