import { describe, expect, test } from "bun:test";
import { T0, setup } from "../helpers";
import { CLIENT, PAGE_ORIGIN, sendClient, sign, storedEvents } from "./support";

describe("POST /v1/api/events/client: accepted events", () => {
  test("a signed event is stored as source client, verified, and the read API says so", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await sendClient(h, {
      appId: acme.appId,
      customerId: "cus_a23",
      customerEmail: "jane@example.com",
      authHash: sign(acme, "cus_a23"),
      event: "Post Created",
      eventData: { postType: "image" },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ ok: true, id: expect.stringMatching(/^evt_/), verified: true });
    const listed = (await h.get("/v1/api/events?customerId=cus_a23", acme)).body.events;
    expect(listed).toEqual([
      expect.objectContaining({ id: res.body.id, event: "Post Created", source: "client", verified: true, eventData: { postType: "image" } }),
    ]);
    expect((await h.get("/v1/api/customers/cus_a23", acme)).body).toMatchObject({ email: "jane@example.com", eventCount: 1 });
  });

  test("an unsigned event is stored unverified", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await sendClient(h, { appId: acme.appId, customerId: "cus_1", event: "Page Viewed" });
    expect(res.status).toBe(201);
    expect(res.body.verified).toBe(false);
    expect((await h.get("/v1/api/events", acme)).body.events[0]).toMatchObject({ source: "client", verified: false });
  });

  test("without customerId the email is signed, stored on a new customer, and finds it", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await sendClient(h, {
      appId: acme.appId,
      customerEmail: "jane@example.com",
      authHash: sign(acme, "jane@example.com"),
      event: "Post Created",
    });
    expect(res.body.verified).toBe(true);
    const customer = await h.get("/v1/api/customers/jane%40example.com?by=email", acme);
    expect(customer.body).toMatchObject({ customerId: null, email: "jane@example.com", eventCount: 1 });
  });

  test("an email-only event joins the customer that already has that email", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/customer-update", acme, { customerId: "cus_1", customerEmail: "jane@example.com" });
    await sendClient(h, { appId: acme.appId, customerEmail: "jane@example.com", event: "Page Viewed" });
    expect((await h.get("/v1/api/customers/cus_1", acme)).body.eventCount).toBe(1);
    expect(await h.count("customers")).toBe(1);
  });

  test("a signed event fills a missing email but never replaces one", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const signed = (customerId: string, customerEmail: string) => ({
      appId: acme.appId, customerId, customerEmail, authHash: sign(acme, customerId), event: "Page Viewed",
    });
    await h.post("/v1/api/events/new", acme, { event: "Signed Up", customerId: "cus_1" });
    await sendClient(h, signed("cus_1", "first@example.com"));
    await sendClient(h, signed("cus_1", "second@example.com"));
    expect((await h.get("/v1/api/customers/cus_1", acme)).body.email).toBe("first@example.com");
  });

  test("a batch of 25 is stored complete, in order, in one request", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const batch = Array.from({ length: 25 }, (_, i) => ({
      appId: acme.appId, customerId: `cus_${i % 3}`, authHash: sign(acme, `cus_${i % 3}`), event: `Step ${i} Done`, messageId: `m${i}`,
    }));
    const res = await sendClient(h, batch);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ok: true, count: 25, duplicates: [] });
    expect((await storedEvents(h)).map((e) => e.event)).toEqual(batch.map((e) => e.event));
    expect((await storedEvents(h)).every((e) => e.verified === 1 && e.source === "client")).toBe(true);
  });

  test("a retried batch stores nothing twice: its messageIds are duplicates", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const batch = [1, 2, 3].map((i) => ({ appId: acme.appId, customerId: "cus_1", event: "Page Viewed", messageId: `m${i}` }));
    const first = await sendClient(h, batch);
    const again = await sendClient(h, batch);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ count: 0, duplicates: [0, 1, 2], ids: first.body.ids });
    expect(await h.count("events")).toBe(3);
  });

  test("the app may be named by x-ck-app instead of the body", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await sendClient(h, { customerId: "cus_1", event: "Page Viewed" }, { "x-ck-app": acme.appId });
    expect(res.status).toBe(201);
  });

  test("JSON is read whatever the content type (sendBeacon sends text/plain)", async () => {
    const h = await setup();
    const acme = await h.tenant();
    for (const type of ["text/plain", "application/json", "application/x-www-form-urlencoded"]) {
      const res = await sendClient(h, { appId: acme.appId, customerId: "cus_1", event: "Page Viewed" }, { "content-type": type });
      expect(res.status).toBe(201);
    }
    expect(await h.count("events")).toBe(3);
  });

  test("a browser clock ahead of the server's is taken as now; an older date is kept", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await sendClient(h, { appId: acme.appId, customerId: "cus_1", event: "A Done", eventDate: new Date(T0 + 86_400_000).toISOString() });
    await sendClient(h, { appId: acme.appId, customerId: "cus_1", event: "B Done", eventDate: new Date(T0 - 60_000).toISOString() });
    const dates = await h.sql.all("select event_date as d from events order by seq") as { d: number }[];
    expect(dates.map((row) => row.d)).toEqual([T0, T0 - 60_000]);
  });

  test("the reply lets the page read it: the origin is granted, without credentials", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await sendClient(h, { appId: acme.appId, customerId: "cus_1", event: "Page Viewed" });
    expect(res.headers.get("access-control-allow-origin")).toBe(PAGE_ORIGIN);
    expect(res.headers.get("vary")).toContain("Origin");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
  });

  test("a preflight is answered 204 with the methods, headers and max-age", async () => {
    const h = await setup();
    await h.tenant();
    const res = await h.call("OPTIONS", CLIENT, {
      headers: { origin: PAGE_ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "content-type,x-ck-app" },
    });
    expect(res.status).toBe(204);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      "access-control-allow-origin": PAGE_ORIGIN,
      "access-control-allow-methods": "POST",
      "access-control-allow-headers": "content-type, x-ck-app",
      "access-control-max-age": "86400",
    });
  });

  test("an origin on the app's list is granted", async () => {
    const h = await setup();
    const acme = await h.tenant();
    (await h.apps.updateSettings(acme.appId, { allowedOrigins: ["https://other.test", PAGE_ORIGIN] }));
    const res = await sendClient(h, { appId: acme.appId, customerId: "cus_1", event: "Page Viewed" });
    expect(res.status).toBe(201);
    expect(res.headers.get("access-control-allow-origin")).toBe(PAGE_ORIGIN);
  });

  test("a request without an Origin (not a browser) is not subject to CORS", async () => {
    const h = await setup();
    const acme = await h.tenant();
    (await h.apps.updateSettings(acme.appId, { allowedOrigins: ["https://other.test"] }));
    const res = await h.call("POST", CLIENT, { body: { appId: acme.appId, customerId: "cus_1", event: "Page Viewed" } });
    expect(res.status).toBe(201);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});
