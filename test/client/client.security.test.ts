import { describe, expect, test } from "bun:test";
import { setup } from "../helpers";
import { CLIENT, PAGE_ORIGIN, sendClient, sign, storedEvents } from "./support";

describe("browser events: signatures", () => {
  test("a forged authHash is 401, says the signature did not match, and stores nothing", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await sendClient(h, { appId: acme.appId, customerId: "cus_1", authHash: "0".repeat(64), event: "Plan Upgraded" });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("UNAUTHORIZED");
    expect(res.body.error.message).toContain("signature did not match");
    expect(res.body.error.details).toEqual([{ path: "/authHash", message: 'the signature did not match customerId "cus_1"' }]);
    expect(await h.count("events")).toBe(0);
    expect(await h.count("customers")).toBe(0);
  });

  test("one forged event refuses its whole batch: never downgraded to unverified", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await sendClient(h, [
      { appId: acme.appId, customerId: "cus_1", authHash: sign(acme, "cus_1"), event: "A Done" },
      { appId: acme.appId, customerId: "cus_2", authHash: sign(acme, "cus_1"), event: "B Done" },
      { appId: acme.appId, customerId: "cus_3", event: "C Done" },
    ]);
    expect(res.status).toBe(401);
    expect(res.body.error.details).toEqual([expect.objectContaining({ index: 1, field: "authHash", path: "/1/authHash" })]);
    expect(await h.count("events")).toBe(0);
  });

  test("another app's signing secret does not sign for this app", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const globex = await h.tenant("globex");
    const res = await sendClient(h, { appId: acme.appId, customerId: "cus_1", authHash: sign(globex, "cus_1"), event: "A Done" });
    expect(res.status).toBe(401);
  });

  test("when there is a customerId the signature must be of it, not of the email", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await sendClient(h, {
      appId: acme.appId, customerId: "cus_1", customerEmail: "jane@example.com", authHash: sign(acme, "jane@example.com"), event: "A Done",
    });
    expect(res.status).toBe(401);
    expect(res.body.error.details[0].message).toBe('the signature did not match customerId "cus_1"');
  });

  test("the hash is of the exact string: another case is another customer", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await sendClient(h, { appId: acme.appId, customerId: "CUS_1", authHash: sign(acme, "cus_1"), event: "A Done" });
    expect(res.status).toBe(401);
  });

  test("an uppercase hex authHash is the same signature", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await sendClient(h, { appId: acme.appId, customerId: "cus_1", authHash: sign(acme, "cus_1").toUpperCase(), event: "A Done" });
    expect(res.body.verified).toBe(true);
  });

  test("an unsigned event cannot link a uid, or set an email, on an existing customer", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, { event: "Signed Up", customerId: "cus_1" });
    await sendClient(h, { appId: acme.appId, customerId: "cus_1", uid: "attacker", customerEmail: "evil@example.com", event: "A Done" });
    const customer = (await h.get("/v1/api/customers/cus_1", acme)).body;
    expect(customer).toMatchObject({ uid: null, email: null, eventCount: 2 });
  });
});

describe("browser events: require verified", () => {
  test("when on, an unsigned event is 401 and nothing of its batch is stored; a signed one passes", async () => {
    const h = await setup();
    const acme = await h.tenant();
    (await h.apps.updateSettings(acme.appId, { requireVerified: true }));
    const signed = { appId: acme.appId, customerId: "cus_1", authHash: sign(acme, "cus_1"), event: "A Done" };
    const res = await sendClient(h, [signed, { appId: acme.appId, customerId: "cus_1", event: "B Done" }]);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain("accepts only signed browser events");
    expect(res.body.error.details).toEqual([expect.objectContaining({ index: 1, path: "/1/authHash" })]);
    expect(await h.count("events")).toBe(0);
    expect((await sendClient(h, signed)).status).toBe(201);
  });

  test("turned off again, unsigned events are accepted as unverified", async () => {
    const h = await setup();
    const acme = await h.tenant();
    (await h.apps.updateSettings(acme.appId, { requireVerified: true }));
    (await h.apps.updateSettings(acme.appId, { requireVerified: false }));
    const res = await sendClient(h, { appId: acme.appId, customerId: "cus_1", event: "A Done" });
    expect(res.status).toBe(201);
    expect(await storedEvents(h)).toEqual([expect.objectContaining({ verified: 0 })]);
  });
});

describe("browser events: origins", () => {
  test("an origin not on the app's list gets a 403 the page can read (no credentials); nothing is stored", async () => {
    const h = await setup();
    const acme = await h.tenant();
    (await h.apps.updateSettings(acme.appId, { allowedOrigins: ["https://app.acme.test"] }));
    const res = await sendClient(h, { appId: acme.appId, customerId: "cus_1", event: "A Done" }, { origin: "https://evil.test" });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("FORBIDDEN");
    expect(res.body.error.message).toContain("origin https://evil.test may not send events for this app");
    // Without the grant the browser hides the 403 and the snippet would retry for ever.
    expect(res.headers.get("access-control-allow-origin")).toBe("https://evil.test");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(await h.count("events")).toBe(0);
  });

  test("a preflight from an origin no app allows gets 403 and no grant", async () => {
    const h = await setup();
    const acme = await h.tenant();
    (await h.apps.updateSettings(acme.appId, { allowedOrigins: [PAGE_ORIGIN] }));
    const denied = await h.call("OPTIONS", CLIENT, { headers: { origin: "https://evil.test", "access-control-request-method": "POST" } });
    expect(denied.status).toBe(403);
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();
    const granted = await h.call("OPTIONS", CLIENT, { headers: { origin: PAGE_ORIGIN, "access-control-request-method": "POST" } });
    expect(granted.headers.get("access-control-allow-origin")).toBe(PAGE_ORIGIN);
  });

  test("an origin one app allows is refused for an app that does not", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const globex = await h.tenant("globex");
    (await h.apps.updateSettings(acme.appId, { allowedOrigins: [PAGE_ORIGIN] }));
    (await h.apps.updateSettings(globex.appId, { allowedOrigins: ["https://globex.test"] }));
    const res = await sendClient(h, { appId: globex.appId, customerId: "cus_1", event: "A Done" });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain(`origin ${PAGE_ORIGIN} may not send events for this app`);
    expect(await h.count("events")).toBe(0);
  });
});

describe("browser events: rate limits", () => {
  const event = (appId: string) => ({ appId, customerId: "cus_1", event: "A Done" });

  test("past the per-IP burst: 429 with Retry-After, other IPs unaffected, refilled with time", async () => {
    const h = await setup({ client: { perIp: { rate: 1, burst: 3 }, trustProxy: true } });
    const acme = await h.tenant();
    const from = (ip: string) => ({ "x-forwarded-for": `10.0.0.1, ${ip}` });
    for (let i = 0; i < 3; i++) expect((await sendClient(h, event(acme.appId), from("192.0.2.1"))).status).toBe(201);
    const limited = await sendClient(h, event(acme.appId), from("192.0.2.1"));
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("RATE_LIMITED");
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.headers.get("access-control-allow-origin")).toBe(PAGE_ORIGIN);
    expect(limited.headers.get("access-control-expose-headers")).toBe("Retry-After");
    expect((await sendClient(h, event(acme.appId), from("192.0.2.2"))).status).toBe(201);
    h.clock.now += 1000;
    expect((await sendClient(h, event(acme.appId), from("192.0.2.1"))).status).toBe(201);
    expect(await h.count("events")).toBe(5);
  });

  test("X-Forwarded-For is ignored unless the proxy is trusted: a client can't pick its bucket", async () => {
    const h = await setup({ client: { perIp: { rate: 1, burst: 2 } } });
    const acme = await h.tenant();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await sendClient(h, event(acme.appId), { "x-forwarded-for": `198.51.100.${i}` })).status);
    expect(statuses).toEqual([201, 201, 429]);
  });

  test("past the per-app burst: 429 whichever IP sends", async () => {
    const h = await setup({ client: { perApp: { rate: 1, burst: 2 }, trustProxy: true } });
    const acme = await h.tenant();
    const globex = await h.tenant("globex");
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await sendClient(h, event(acme.appId), { "x-forwarded-for": `198.51.100.${i}` })).status);
    expect(statuses).toEqual([201, 201, 429]);
    expect((await sendClient(h, event(globex.appId))).status).toBe(201);
  });
});

describe("browser events: tenant isolation", () => {
  test("the same customerId under two apps is two customers; each app reads only its own", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const globex = await h.tenant("globex");
    await sendClient(h, { appId: acme.appId, customerId: "cus_1", authHash: sign(acme, "cus_1"), event: "A Done" });
    await sendClient(h, { appId: globex.appId, customerId: "cus_1", event: "B Done" });
    const acmeEvents = (await h.get("/v1/api/events", acme)).body.events;
    expect(acmeEvents.map((e: { event: string }) => e.event)).toEqual(["A Done"]);
    expect((await h.get("/v1/api/customers/cus_1", globex)).body).toMatchObject({ eventCount: 1 });
    expect(await h.count("customers")).toBe(2);
  });

  test("the browser route grants nothing on the keyed routes", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.call("GET", "/v1/api/events", { headers: { "x-ck-app": acme.appId, origin: PAGE_ORIGIN } });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});
