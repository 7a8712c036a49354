import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { setup, type Harness, type Tenant } from "../helpers";
import { SAME_ORIGIN, signIn } from "../accounts/support";

// Each sign-in verifies an argon2id hash (memory-hard on purpose): seconds on a loaded machine.
setDefaultTimeout(30_000);

const patch = (h: Harness, as: Tenant, body: unknown) => h.call("PATCH", "/v1/api/settings", { as, body });

describe("settings over HTTP (admin scope)", () => {
  test("PATCH changes what apps update changes, and GET shows it", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const changed = await patch(h, acme, { requireVerified: true, allowedOrigins: "https://app.example.com", stripeWebhookSecret: "whsec_abcdefgh12", healthWeights: "activity=40" });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ requireVerified: true, allowedOrigins: ["https://app.example.com"], stripeWebhook: true, healthWeights: { activity: 40, recency: 20 } });
    expect((await h.get("/v1/api/settings", acme)).body).toEqual(changed.body);
    expect((await patch(h, acme, { stripeWebhookSecret: null, healthWeights: "default" })).body).toMatchObject({ stripeWebhook: false, healthWeights: { activity: 25 } });
  });

  test("PATCH sets the retention period as apps update --retention-days does, and null keeps events forever", async () => {
    const h = await setup();
    const acme = await h.tenant();
    expect((await h.get("/v1/api/settings", acme)).body.retentionDays).toBeNull();
    expect((await patch(h, acme, { retentionDays: 90 })).body.retentionDays).toBe(90);
    expect((await h.apps.findApp(acme.appId))!.retentionDays).toBe(90);
    expect((await patch(h, acme, { retentionDays: null })).body.retentionDays).toBeNull();
  });

  test.each([
    [{ allowedOrigins: "https://app.example.com/path" }, "/allowedOrigins"],
    [{ healthWeights: "activity=0,recency=0" }, "/healthWeights"],
    [{ stripeWebhookSecret: "sk_live_123" }, "/stripeWebhookSecret"],
    [{ requireVerified: "yes" }, "/requireVerified"],
    [{ retentionDays: 0 }, "/retentionDays"],
    [{ retentionDays: 1.5 }, "/retentionDays"],
    [{}, ""],
  ])("PATCH %p is refused naming %s, and changes nothing", async (body, path) => {
    const h = await setup();
    const acme = await h.tenant();
    const before = (await h.get("/v1/api/settings", acme)).body;
    const refused = await patch(h, acme, body);
    expect(refused.status).toBe(400);
    expect(refused.body.error.details[0].path).toBe(path);
    expect((await h.get("/v1/api/settings", acme)).body).toEqual(before);
  });

  test("keys: list without secrets, create with the secret once, revoke only this app's", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const other = await h.tenant("other");
    const created = await h.call("POST", "/v1/api/keys", { as: acme, body: { scopes: ["ingest"] } });
    expect(created.status).toBe(201);
    expect(created.body.apiKey).toStartWith("tk_");
    const list = (await h.get("/v1/api/keys", acme)).body.keys;
    expect(list.map((k: { keyId: string }) => k.keyId).sort()).toEqual([acme.keyId, created.body.keyId].sort());
    expect(JSON.stringify(list)).not.toContain(created.body.apiKey.slice(-64));
    expect((await h.call("DELETE", `/v1/api/keys/${other.keyId}`, { as: acme })).status).toBe(404);
    expect((await h.get("/v1/api/customers", other)).status).toBe(200);
    expect((await h.call("DELETE", `/v1/api/keys/${created.body.keyId}`, { as: acme })).status).toBe(200);
    const revokedKey = { ...acme, headers: { "x-ck-api-key": created.body.apiKey, "x-ck-app": acme.appId } };
    expect((await h.post("/v1/api/events/new", revokedKey, { event: "A", customerId: "c" })).status).toBe(401);
  });

  test("the signing secret can be revealed and rotated", async () => {
    const h = await setup();
    const acme = await h.tenant();
    expect((await h.get("/v1/api/signing-secret", acme)).body).toEqual({ signingSecret: acme.signingSecret });
    const rotated = await h.call("POST", "/v1/api/signing-secret/rotate", { as: acme });
    expect(rotated.body.signingSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.body.signingSecret).not.toBe(acme.signingSecret);
    expect((await h.get("/v1/api/signing-secret", acme)).body).toEqual(rotated.body);
  });

  test.each([
    ["GET", "/v1/api/settings"],
    ["PATCH", "/v1/api/settings"],
    ["GET", "/v1/api/keys"],
    ["POST", "/v1/api/keys"],
    ["GET", "/v1/api/signing-secret"],
    ["POST", "/v1/api/signing-secret/rotate"],
    ["GET", "/dashboard/api/users"],
    ["POST", "/dashboard/api/users"],
    ["POST", "/dashboard/api/apps"],
  ])("a viewer's session gets 403 on %s %s", async (method, path) => {
    const h = await setup();
    const acme = await h.tenant();
    const { cookie, csrf } = await signIn(h, "v@example.com", "viewer");
    const body = method === "GET" ? undefined : JSON.stringify({ requireVerified: true, scopes: ["read"], email: "x@example.com", role: "admin", password: "long enough pw", name: "X" });
    const response = await h.app.handle(new Request(`http://localhost${path}`, { method, headers: { cookie, "x-csrf-token": csrf, "x-ck-app": acme.appId, "content-type": "application/json", ...SAME_ORIGIN }, body }));
    expect(response.status).toBe(403);
    expect((await h.apps.listApps())).toHaveLength(1);
    expect(await h.sql.get("select count(*) as n from dashboard_users")).toEqual({ n: 1 });
  });

  test("a read-only key gets 403 on settings", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const key = (await h.apps.createKey(acme.appId, ["read"]))!;
    expect((await h.call("GET", "/v1/api/settings", { headers: { "x-ck-api-key": key.apiKey, "x-ck-app": acme.appId } })).status).toBe(403);
  });
});

describe("dashboard users and apps (admin session)", () => {
  const send = (h: Harness, method: string, path: string, auth: { cookie: string; csrf: string }, body?: unknown, headers: Record<string, string> = SAME_ORIGIN) =>
    h.app.handle(new Request(`http://localhost${path}`, { method, headers: { cookie: auth.cookie, "x-csrf-token": auth.csrf, "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) }));

  test("an admin adds a viewer, changes the role, removes them; the last admin stays", async () => {
    const h = await setup();
    const auth = await signIn(h, "a@example.com", "admin");
    const created = await send(h, "POST", "/dashboard/api/users", auth, { email: "v@example.com", role: "viewer", password: "long enough pw" });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await send(h, "PATCH", `/dashboard/api/users/${id}`, auth, { role: "admin" })).status).toBe(200);
    expect((await send(h, "DELETE", `/dashboard/api/users/${id}`, auth)).status).toBe(200);
    const me = await h.sql.get("select id from dashboard_users") as { id: string };
    const last = await send(h, "PATCH", `/dashboard/api/users/${me.id}`, auth, { role: "viewer" });
    expect(last.status).toBe(400);
    expect(((await last.json()) as { error: { message: string } }).error.message).toContain("last admin");
  });

  test("a cross-site request to add a user is refused", async () => {
    const h = await setup();
    const auth = await signIn(h, "a@example.com", "admin");
    const response = await send(h, "POST", "/dashboard/api/users", auth, { email: "evil@example.com", role: "admin", password: "long enough pw" }, { "sec-fetch-site": "cross-site" });
    expect(response.status).toBe(403);
    expect(await h.sql.get("select count(*) as n from dashboard_users")).toEqual({ n: 1 });
  });

  test("an admin creates an app and gets its key once", async () => {
    const h = await setup();
    const auth = await signIn(h, "a@example.com", "admin");
    const response = await send(h, "POST", "/dashboard/api/apps", auth, { name: "Second" });
    expect(response.status).toBe(201);
    const app = (await response.json()) as { appId: string; apiKey: string };
    expect((await h.call("GET", "/v1/api/customers", { headers: { "x-ck-api-key": app.apiKey, "x-ck-app": app.appId } })).status).toBe(200);
  });
});
