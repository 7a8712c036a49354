import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS } from "../../src/accounts/sessions";
import { setup, type Harness } from "../helpers";
import { createUser, login, PASSWORD, SAME_ORIGIN, signIn } from "./support";

// Each sign-in verifies an argon2id hash (memory-hard on purpose): seconds on a loaded machine.
setDefaultTimeout(30_000);

const get = (h: Harness, path: string, headers: Record<string, string>) => h.app.handle(new Request(`http://localhost${path}`, { headers }));

describe("sign-in page and sessions", () => {
  test("GET /login is a form with Email, Password and Sign in", async () => {
    const h = await setup();
    const response = await get(h, "/login?next=/apps/a", {});
    const page = await response.text();
    expect(response.status).toBe(200);
    expect(page).toContain('<label for="email">Email</label>');
    expect(page).toContain('<label for="password">Password</label>');
    expect(page).toContain(">Sign in</button>");
    expect(page).toContain('value="/apps/a"');
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
  });

  test("a right password sets an HttpOnly, SameSite=Lax session cookie and goes back to next", async () => {
    const h = await setup();
    await createUser(h, "Ada@Example.com", "admin");
    const response = await login(h, "ada@example.com");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/apps/x/customers?q=a");
    const cookie = response.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^trackd_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=604800$/);
    // Only the token's hash is stored.
    const token = cookie.split(";")[0]!.split("=")[1]!;
    expect(await h.sql.all("select token_hash from dashboard_sessions")).not.toContainEqual({ token_hash: token });
    expect(await h.count("events")).toBe(0);
  });

  test.each([
    ["a trusted proxy says https", { trustProxy: true }, { "x-forwarded-proto": "https" }, true],
    ["an untrusted client says https", { trustProxy: false }, { "x-forwarded-proto": "https" }, false],
    ["the public URL is https", { publicUrl: "https://trackd.example.com" }, {}, true],
  ])("the cookie is Secure when %s: %p", async (_, dashboard, headers, secure) => {
    const h = await setup({ dashboard });
    await createUser(h, "a@example.com", "admin");
    const response = await login(h, "a@example.com", PASSWORD, { ...SAME_ORIGIN, ...headers });
    expect(response.headers.get("set-cookie")!.endsWith("; Secure")).toBe(secure);
  });

  test("a wrong password and an unknown email get the same 401 page", async () => {
    const h = await setup();
    await createUser(h, "a@example.com", "admin");
    const wrong = await login(h, "a@example.com", "not the password");
    const unknown = await login(h, "nobody@example.com", "not the password");
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const message = (r: string) => /role="alert">([^<]*)</.exec(r)?.[1];
    expect(message(await wrong.text())).toBe("wrong email or password");
    expect(message(await unknown.text())).toBe("wrong email or password");
  });

  test.each(["a@example.com", "nobody@example.com"])("after 5 failures on %s every attempt is 429 with Retry-After, the right password too", async (email) => {
    const h = await setup();
    await createUser(h, "a@example.com", "admin");
    for (let i = 0; i < 4; i++) expect((await login(h, email, "wrong password")).status).toBe(401);
    expect((await login(h, email, "wrong password")).status).toBe(401);
    const limited = await login(h, email, "wrong password");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await login(h, "a@example.com", PASSWORD)).status).toBe(email === "a@example.com" ? 429 : 303);
    h.clock.now += 61_000; // the account's bucket refills one attempt a minute
    expect((await login(h, "a@example.com", PASSWORD)).status).toBe(303);
  });

  test("failures from one IP across many emails are limited per IP", async () => {
    const h = await setup({ dashboard: { loginPerIp: { rate: 0.01, burst: 3 } } });
    for (let i = 0; i < 3; i++) expect((await login(h, `u${i}@example.com`, "wrong password")).status).toBe(401);
    expect((await login(h, "u9@example.com", "wrong password")).status).toBe(429);
  });

  test.each([
    ["//evil.example/x", "/"],
    ["/\\evil.example", "/"],
    ["https://evil.example", "/"],
    ["/apps/a?x=1", "/apps/a?x=1"],
  ])("next=%s sends the browser to %s", async (next, location) => {
    const h = await setup();
    await createUser(h, "a@example.com", "admin");
    const response = await h.app.handle(
      new Request("http://localhost/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...SAME_ORIGIN }, body: new URLSearchParams({ email: "a@example.com", password: PASSWORD, next }) }),
    );
    expect(response.headers.get("location")).toBe(location);
  });

  test("a session reads the API with x-ck-app and no key", async () => {
    const h = await setup();
    const tenant = await h.tenant();
    await h.post("/v1/api/events/new", tenant, { event: "Post Created", customerId: "cus_1" });
    const { cookie } = await signIn(h, "v@example.com", "viewer");
    const list = await get(h, "/v1/api/customers", { cookie, "x-ck-app": tenant.appId });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { customers: { customerId: string }[] }).customers.map((c) => c.customerId)).toEqual(["cus_1"]);
    expect((await get(h, "/v1/api/customers", { cookie })).status).toBe(401);
    expect((await get(h, "/v1/api/customers", { cookie, "x-ck-app": "app_nope" })).status).toBe(401);
  });

  test("a session cannot ingest: events need an API key", async () => {
    const h = await setup();
    const tenant = await h.tenant();
    const { cookie, csrf } = await signIn(h, "a@example.com", "admin");
    const response = await h.app.handle(
      new Request("http://localhost/v1/api/events/new", {
        method: "POST",
        headers: { cookie, "x-ck-app": tenant.appId, "x-csrf-token": csrf, "content-type": "application/json", ...SAME_ORIGIN },
        body: JSON.stringify({ event: "A", customerId: "c" }),
      }),
    );
    expect(response.status).toBe(403);
    expect(await h.count("events")).toBe(0);
  });

  test("sign out ends the session on the server, not just in the browser", async () => {
    const h = await setup();
    const tenant = await h.tenant();
    const { cookie, csrf } = await signIn(h, "a@example.com", "admin");
    const out = await h.app.handle(new Request("http://localhost/logout", { method: "POST", headers: { cookie, "x-csrf-token": csrf, ...SAME_ORIGIN } }));
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await get(h, "/v1/api/customers", { cookie, "x-ck-app": tenant.appId })).status).toBe(401);
    expect(await h.sql.get("select count(*) as n from dashboard_sessions")).toEqual({ n: 0 });
  });

  test("a session unused for longer than the idle limit has ended", async () => {
    const h = await setup();
    const tenant = await h.tenant();
    const { cookie } = await signIn(h, "a@example.com", "viewer");
    h.clock.now += SESSION_IDLE_MS - 1000;
    expect((await get(h, "/v1/api/customers", { cookie, "x-ck-app": tenant.appId })).status).toBe(200);
    h.clock.now += SESSION_IDLE_MS + 1000;
    expect((await get(h, "/v1/api/customers", { cookie, "x-ck-app": tenant.appId })).status).toBe(401);
  });

  test("a session in constant use still ends at the absolute limit", async () => {
    const h = await setup();
    const tenant = await h.tenant();
    const { cookie } = await signIn(h, "a@example.com", "viewer");
    const start = h.clock.now;
    while (h.clock.now - start < SESSION_ABSOLUTE_MS - SESSION_IDLE_MS) {
      h.clock.now += SESSION_IDLE_MS / 2;
      expect((await get(h, "/v1/api/customers", { cookie, "x-ck-app": tenant.appId })).status).toBe(200);
    }
    h.clock.now = start + SESSION_ABSOLUTE_MS + 1;
    expect((await get(h, "/v1/api/customers", { cookie, "x-ck-app": tenant.appId })).status).toBe(401);
  });

  test("expired sessions are deleted when someone signs in, live ones kept", async () => {
    const h = await setup();
    await signIn(h, "old@example.com", "viewer");
    h.clock.now += SESSION_IDLE_MS + 1;
    await signIn(h, "live@example.com", "viewer");
    await login(h, "live@example.com");
    const rows = await h.sql.all("select u.email from dashboard_sessions s join dashboard_users u on u.id = s.user_id");
    expect(rows).toEqual([{ email: "live@example.com" }, { email: "live@example.com" }]);
  });

  test("a new password ends the account's sessions", async () => {
    const h = await setup();
    const tenant = await h.tenant();
    const { cookie } = await signIn(h, "a@example.com", "viewer");
    const { createAccountsService } = await import("../../src/accounts/service");
    await createAccountsService(h.store, () => h.clock.now).setPassword("a@example.com", "another long password");
    expect((await get(h, "/v1/api/customers", { cookie, "x-ck-app": tenant.appId })).status).toBe(401);
  });
});

describe("the one-time setup link", () => {
  test("creates the first admin, signs them in, and then stops working", async () => {
    const h = await setup({ dashboard: { setupToken: "s3cret-setup-token" } });
    expect((await get(h, "/setup?token=wrong", {})).status).toBe(403);
    const form = await get(h, "/setup?token=s3cret-setup-token", {});
    expect(form.status).toBe(200);
    const post = (email: string) =>
      h.app.handle(
        new Request("http://localhost/setup", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", ...SAME_ORIGIN },
          body: new URLSearchParams({ token: "s3cret-setup-token", email, password: PASSWORD }),
        }),
      );
    const created = await post("first@example.com");
    expect(created.status).toBe(303);
    expect(created.headers.get("set-cookie")).toContain("HttpOnly");
    expect(await h.sql.all("select email, role from dashboard_users")).toEqual([{ email: "first@example.com", role: "admin" }]);
    expect((await get(h, "/setup?token=s3cret-setup-token", {})).status).toBe(403);
    expect((await post("second@example.com")).status).toBe(403);
    expect(await h.sql.get("select count(*) as n from dashboard_users")).toEqual({ n: 1 });
  });

  test("a short password is refused on the form, naming the rule", async () => {
    const h = await setup({ dashboard: { setupToken: "tok" } });
    const response = await h.app.handle(
      new Request("http://localhost/setup", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...SAME_ORIGIN }, body: new URLSearchParams({ token: "tok", email: "a@example.com", password: "short" }) }),
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("password must be 10 to 1024 characters");
  });
});
