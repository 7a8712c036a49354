// Roles and CSRF, enforced by the server: what a viewer's and an admin's session may do, and
// that a request another site's page makes with the session cookie is refused.
import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { setup } from "../helpers";
import { SAME_ORIGIN, signIn } from "./support";

// Each sign-in verifies an argon2id hash (memory-hard on purpose): seconds on a loaded machine.
setDefaultTimeout(30_000);

async function seeded() {
  const h = await setup();
  const tenant = await h.tenant();
  await h.post("/v1/api/events/new", tenant, { event: "Post Created", customerId: "cus_1" });
  return { h, tenant };
}

describe("roles", () => {
  test.each([
    ["viewer", "GET", "/v1/api/customers/cus_1", 200],
    ["viewer", "GET", "/v1/api/metrics/events", 200],
    ["viewer", "GET", "/v1/api/customers/cus_1/export", 403],
    ["viewer", "GET", "/v1/api/export", 403],
    ["viewer", "DELETE", "/v1/api/customers/cus_1", 403],
    ["admin", "GET", "/v1/api/customers/cus_1/export", 200],
    ["admin", "DELETE", "/v1/api/customers/cus_1", 200],
  ] as const)("a %s's session: %s %s → %i", async (role, method, path, status) => {
    const { h, tenant } = await seeded();
    const { cookie, csrf } = await signIn(h, `${role}@example.com`, role);
    const response = await h.app.handle(new Request(`http://localhost${path}`, { method, headers: { cookie, "x-ck-app": tenant.appId, "x-csrf-token": csrf, ...SAME_ORIGIN } }));
    expect(response.status).toBe(status);
    expect(await h.count("customers")).toBe(method === "DELETE" && status === 200 ? 0 : 1);
    if (status === 403) expect(((await response.json()) as { error: { message: string } }).error.message).toContain("needs an admin");
  });
});

describe("CSRF", () => {
  test.each([
    ["a cross-site page (Sec-Fetch-Site: cross-site)", { "sec-fetch-site": "cross-site", origin: "https://evil.example" }, true],
    ["a same-site sibling (Sec-Fetch-Site: same-site)", { "sec-fetch-site": "same-site", origin: "http://other.localhost" }, true],
    ["an old browser with a foreign Origin", { origin: "https://evil.example" }, true],
    ["our page without the token", SAME_ORIGIN, false],
  ])("an erasure from %s is refused and erases nothing", async (_, headers, withToken) => {
    const { h, tenant } = await seeded();
    const { cookie, csrf } = await signIn(h, "admin@example.com", "admin");
    const response = await h.app.handle(
      new Request("http://localhost/v1/api/customers/cus_1", { method: "DELETE", headers: { cookie, "x-ck-app": tenant.appId, ...(withToken ? { "x-csrf-token": csrf } : {}), ...headers } }),
    );
    expect(response.status).toBe(403);
    expect(await h.count("customers")).toBe(1);
  });

  test("a cross-site sign-in form post is refused", async () => {
    const h = await setup();
    const response = await h.app.handle(
      new Request("http://localhost/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site", origin: "https://evil.example" },
        body: new URLSearchParams({ email: "a@example.com", password: "whatever-long" }),
      }),
    );
    expect(response.status).toBe(403);
  });

  test("a cross-site sign-out does not end the session", async () => {
    const { h, tenant } = await seeded();
    const { cookie } = await signIn(h, "admin@example.com", "admin");
    const out = await h.app.handle(new Request("http://localhost/logout", { method: "POST", headers: { cookie, "sec-fetch-site": "cross-site" } }));
    expect(out.status).toBe(403);
    const still = await h.app.handle(new Request("http://localhost/v1/api/customers", { headers: { cookie, "x-ck-app": tenant.appId } }));
    expect(still.status).toBe(200);
  });

  test("an API key needs no CSRF token: it is not ambient like a cookie", async () => {
    const { h, tenant } = await seeded();
    expect((await h.call("DELETE", "/v1/api/customers/cus_1", { as: tenant })).status).toBe(200);
  });
});
