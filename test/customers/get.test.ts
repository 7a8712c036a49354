import { describe, expect, test } from "bun:test";
import { T0, setup } from "../helpers";

const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe("GET /v1/api/customers/:customerId", () => {
  test("returns the customer's full record, users sorted by uid", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/customer-update", acme, {
      customerId: "cus_1",
      uid: "u_1",
      customerEmail: "ada@example.com",
      customerData: { plan: "pro", seats: 3 },
      user: { uid: "m_2", data: { role: "admin" } },
    });
    h.clock.now = T0 + HOUR;
    await h.post("/v1/api/events/new", acme, {
      event: "Post Created",
      customerId: "cus_1",
      eventDate: "2025-06-01",
      user: { uid: "m_1" },
    });
    h.clock.now = T0 + 2 * HOUR;
    await h.post("/v1/api/events/new", acme, { event: "App Opened", uid: "u_1", user: { uid: "m_2" } });
    h.clock.now = T0 + 3 * HOUR;
    await h.post("/v1/api/events/customer-update", acme, { customerId: "cus_1", customerData: { seats: 4 } });

    const res = await h.get("/v1/api/customers/cus_1", acme);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      customerId: "cus_1",
      uid: "u_1",
      email: "ada@example.com",
      data: { plan: "pro", seats: 4 },
      users: [
        {
          uid: "m_1",
          data: {},
          firstSeen: "2025-06-01T00:00:00.000Z",
          lastSeen: "2025-06-01T00:00:00.000Z",
          eventCount: 1,
        },
        {
          uid: "m_2",
          data: { role: "admin" },
          firstSeen: iso(T0 + 2 * HOUR),
          lastSeen: iso(T0 + 2 * HOUR),
          eventCount: 1,
        },
      ],
      firstSeen: "2025-06-01T00:00:00.000Z",
      lastSeen: iso(T0 + 2 * HOUR),
      eventCount: 2,
      createdAt: iso(T0),
      updatedAt: iso(T0 + 3 * HOUR),
      eventsLast7d: 1,
      eventsLast30d: 1,
      eventCounts: [
        { event: "App Opened", count: 1, last7d: 1, last30d: 1, firstSeen: iso(T0 + 2 * HOUR), lastSeen: iso(T0 + 2 * HOUR) },
        { event: "Post Created", count: 1, last7d: 0, last30d: 0, firstSeen: "2025-06-01T00:00:00.000Z", lastSeen: "2025-06-01T00:00:00.000Z" },
      ],
      health: expect.objectContaining({ score: 100, grade: "healthy" }), // test/scoring has the details
      recentEvents: [
        expect.objectContaining({ event: "App Opened", user: { uid: "m_2" } }),
        expect.objectContaining({ event: "Post Created", user: { uid: "m_1" } }),
      ],
      subscription: null,
      subscriptions: [],
      billingHistory: [],
      retainedSince: null,
    });
  });

  test("a customer known only from attribute updates has no activity yet", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/customer-update", acme, {
      customerId: "cus_1",
      customerData: { plan: "free" },
      user: { uid: "m_1", data: { name: "Ada" } },
    });
    expect((await h.get("/v1/api/customers/cus_1", acme)).body).toEqual({
      customerId: "cus_1",
      uid: null,
      email: null,
      data: { plan: "free" },
      users: [{ uid: "m_1", data: { name: "Ada" }, firstSeen: null, lastSeen: null, eventCount: 0 }],
      firstSeen: null,
      lastSeen: null,
      eventCount: 0,
      createdAt: iso(T0),
      updatedAt: iso(T0),
      eventsLast7d: 0,
      eventsLast30d: 0,
      eventCounts: [],
      health: expect.objectContaining({ score: 0, grade: "at_risk" }),
      recentEvents: [],
      subscription: null,
      subscriptions: [],
      billingHistory: [],
      retainedSince: null,
    });
  });

  test("firstSeen and lastSeen follow eventDate, not arrival", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const seen = async () => {
      const { firstSeen, lastSeen, eventCount, users } = (await h.get("/v1/api/customers/cus_1", acme)).body;
      return { firstSeen, lastSeen, eventCount, user: { firstSeen: users[0].firstSeen, lastSeen: users[0].lastSeen } };
    };
    const send = (eventDate?: string) =>
      h.post("/v1/api/events/new", acme, { event: "App Opened", customerId: "cus_1", user: { uid: "m_1" }, eventDate });

    await send("2025-06-01");
    const june = "2025-06-01T00:00:00.000Z";
    expect(await seen()).toEqual({ firstSeen: june, lastSeen: june, eventCount: 1, user: { firstSeen: june, lastSeen: june } });

    h.clock.now += HOUR;
    await send("2024-01-01"); // backfilled: moves firstSeen back, leaves lastSeen
    const jan = "2024-01-01T00:00:00.000Z";
    expect(await seen()).toEqual({ firstSeen: jan, lastSeen: june, eventCount: 2, user: { firstSeen: jan, lastSeen: june } });

    h.clock.now += HOUR;
    await send(); // now: moves lastSeen forward
    const now = iso(h.clock.now);
    expect(await seen()).toEqual({ firstSeen: jan, lastSeen: now, eventCount: 3, user: { firstSeen: jan, lastSeen: now } });

    h.clock.now += HOUR;
    await send("2025-01-01"); // in between: moves neither
    expect(await seen()).toEqual({ firstSeen: jan, lastSeen: now, eventCount: 4, user: { firstSeen: jan, lastSeen: now } });
  });

  test("events sent by uid or by customerId count towards the same linked customer", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, { event: "Signed Up", customerId: "cus_1", uid: "u_1" });
    await h.post("/v1/api/events/new", acme, { event: "App Opened", uid: "u_1" });
    await h.post("/v1/api/events/bulk", acme, [{ event: "App Opened", customerId: "cus_1" }]);
    expect((await h.get("/v1/api/customers/cus_1", acme)).body.eventCount).toBe(3);
  });

  test("?by=uid finds the customer by its uid", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, { event: "Signed Up", customerId: "cus_1", uid: "u_1" });
    const byId = await h.get("/v1/api/customers/cus_1", acme);
    const byUid = await h.get("/v1/api/customers/u_1?by=uid", acme);
    expect(byUid.status).toBe(200);
    expect(byUid.body).toEqual(byId.body);
    expect((await h.get("/v1/api/customers/cus_1?by=customerId", acme)).body).toEqual(byId.body);
  });

  test("?by=email finds the customer by its email; of two with one email, the older", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const other = await h.tenant("other");
    await h.post("/v1/api/events/customer-update", acme, { customerId: "cus_1", customerEmail: "ada@example.com" });
    await h.post("/v1/api/events/customer-update", acme, { customerId: "cus_2", customerEmail: "ada@example.com" });
    await h.post("/v1/api/events/customer-update", other, { customerId: "cus_9", customerEmail: "bob@example.com" });
    const byEmail = await h.get("/v1/api/customers/ada%40example.com?by=email", acme);
    expect(byEmail.status).toBe(200);
    expect(byEmail.body).toMatchObject({ customerId: "cus_1", email: "ada@example.com" });
    expect((await h.get("/v1/api/customers/bob%40example.com?by=email", acme)).status).toBe(404);
  });

  test("a customer known only by uid is found with ?by=uid and not by customerId", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, { event: "Signed Up", uid: "u_1" });
    const byUid = await h.get("/v1/api/customers/u_1?by=uid", acme);
    expect(byUid.status).toBe(200);
    expect(byUid.body).toMatchObject({ customerId: null, uid: "u_1", eventCount: 1 });
    expect((await h.get("/v1/api/customers/u_1", acme)).status).toBe(404);
  });

  test("an unknown customer is 404 NOT_FOUND with the error shape", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, { event: "Signed Up", customerId: "cus_1", uid: "u_1" });
    for (const path of ["/v1/api/customers/cus_nobody", "/v1/api/customers/u_nobody?by=uid", "/v1/api/customers/u_1"]) {
      const res = await h.get(path, acme);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: "NOT_FOUND", message: expect.any(String) } });
    }
  });

  test.each([
    ["by=foo", "/by"],
    ["by=", "/by"],
    ["by=UID", "/by"],
    ["bogus=1", "/bogus"],
  ])("?%s is refused with 400 VALIDATION_FAILED", async (query, path) => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, { event: "Signed Up", customerId: "cus_1" });
    const res = await h.get(`/v1/api/customers/cus_1?${query}`, acme);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: { code: "VALIDATION_FAILED", message: expect.any(String), details: [{ path, message: expect.any(String) }] },
    });
  });

  test.each(["cus/a b", "cus?x=1#y&z", "ünïcødé ✓", "%41", "a+b", "50%", "cus;1,2:3@4"])(
    "an id with URL-special characters (%p) round-trips when percent-encoded",
    async (id) => {
      const h = await setup();
      const acme = await h.tenant();
      await h.post("/v1/api/events/new", acme, { event: "Signed Up", customerId: id, uid: `uid:${id}` });
      await h.post("/v1/api/events/new", acme, { event: "Signed Up", customerId: "cus_other", uid: "uid_other" });

      const byId = await h.get(`/v1/api/customers/${encodeURIComponent(id)}`, acme);
      expect(byId.status).toBe(200);
      expect(byId.body).toMatchObject({ customerId: id, uid: `uid:${id}`, eventCount: 1 });

      const byUid = await h.get(`/v1/api/customers/${encodeURIComponent(`uid:${id}`)}?by=uid`, acme);
      expect(byUid.status).toBe(200);
      expect(byUid.body).toEqual(byId.body);
    },
  );
});
