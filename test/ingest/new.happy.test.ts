import { describe, expect, test } from "bun:test";
import { T0, setup } from "../helpers";

describe("POST /v1/api/events/new", () => {
  test("stores the seed's example event and returns its id", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.post("/v1/api/events/new", acme, {
      event: "Post Created",
      customerId: "cus_abc",
      uid: "user_xyz",
      eventDate: "2022-05-01",
      eventData: { postType: "image" },
      user: { uid: "user_unique_id" },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ ok: true, id: expect.stringMatching(/^evt_/) });

    const list = await h.get("/v1/api/events", acme);
    expect(list.body.events).toEqual([
      {
        id: res.body.id,
        event: "Post Created",
        customerId: "cus_abc",
        uid: "user_xyz",
        user: { uid: "user_unique_id" },
        eventDate: "2022-05-01T00:00:00.000Z",
        receivedAt: new Date(T0).toISOString(),
        eventData: { postType: "image" },
        source: "server",
        verified: true,
        messageId: null,
      },
    ]);
  });

  test("eventDate defaults to now", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, { event: "App Opened", customerId: "cus_1" });
    const list = await h.get("/v1/api/events", acme);
    expect(list.body.events[0].eventDate).toBe(new Date(T0).toISOString());
  });

  test.each([
    ["YYYY-MM-DD", "2024-02-29", "2024-02-29T00:00:00.000Z"],
    ["date-time with Z", "2024-03-01T10:15:30Z", "2024-03-01T10:15:30.000Z"],
    ["date-time with offset", "2024-03-01T10:15:30.250+02:00", "2024-03-01T08:15:30.250Z"],
    ["epoch milliseconds", Date.UTC(2023, 6, 4, 1, 2, 3), "2023-07-04T01:02:03.000Z"],
    ["less than an hour ahead", new Date(T0 + 59 * 60_000).toISOString(), new Date(T0 + 59 * 60_000).toISOString()],
  ])("eventDate as %s is stored in UTC", async (_, eventDate, expected) => {
    const h = await setup();
    const acme = await h.tenant();
    expect((await h.post("/v1/api/events/new", acme, { event: "X Done", uid: "u", eventDate })).status).toBe(201);
    expect((await h.get("/v1/api/events", acme)).body.events[0].eventDate).toBe(expected);
  });

  test("event names are stored exactly as sent", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const name = "  post_created ünïcode ✓ ";
    await h.post("/v1/api/events/new", acme, { event: name, uid: "u1" });
    expect((await h.get("/v1/api/events", acme)).body.events[0].event).toBe(name);
  });

  test("a repeated messageId stores nothing and returns the original id, forever", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const body = { event: "Invoice Paid", customerId: "cus_1", messageId: "msg-1" };
    const first = await h.post("/v1/api/events/new", acme, body);
    h.clock.now += 400 * 24 * 3600_000; // more than a year later
    const again = await h.post("/v1/api/events/new", acme, { ...body, event: "Something Else", customerData: { a: 1 } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ok: true, id: first.body.id, duplicate: true });
    expect(await h.count("events")).toBe(1);
    expect((await h.get("/v1/api/customers/cus_1", acme)).body.data).toEqual({});
  });

  test("the same messageId in two apps is two events", async () => {
    const h = await setup();
    const [a, b] = [await h.tenant("a"), await h.tenant("b")];
    const body = { event: "Invoice Paid", customerId: "cus_1", messageId: "msg-1" };
    expect((await h.post("/v1/api/events/new", a, body)).status).toBe(201);
    expect((await h.post("/v1/api/events/new", b, body)).status).toBe(201);
    expect(await h.count("events")).toBe(2);
  });

  test("concurrent requests with one messageId store it once", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const body = { event: "Invoice Paid", customerId: "cus_1", messageId: "race" };
    const replies = await Promise.all(Array.from({ length: 20 }, () => h.post("/v1/api/events/new", acme, body)));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(await h.count("events")).toBe(1);
  });

  test("customerData on an event updates the customer like customer-update", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, { event: "Seat Added", customerId: "cus_1", customerData: { seats: 3, plan: "pro" } });
    await h.post("/v1/api/events/new", acme, { event: "Seat Added", customerId: "cus_1", customerData: { seats: 4, plan: null } });
    const customer = (await h.get("/v1/api/customers/cus_1", acme)).body;
    expect(customer.data).toEqual({ seats: 4 });
    expect(customer.eventCount).toBe(2);
  });

  test("user.data on an event updates the B2B user", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, {
      event: "Report Viewed",
      customerId: "cus_1",
      user: { uid: "u_9", data: { name: "Ada", role: "admin" } },
    });
    const [user] = (await h.get("/v1/api/customers/cus_1", acme)).body.users;
    expect(user).toEqual({
      uid: "u_9",
      data: { name: "Ada", role: "admin" },
      firstSeen: new Date(T0).toISOString(),
      lastSeen: new Date(T0).toISOString(),
      eventCount: 1,
    });
  });

  test("accepts a JSON body sent without a JSON content type (curl -d)", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.call("POST", "/v1/api/events/new", {
      as: acme,
      body: JSON.stringify({ event: "App Opened", uid: "u1" }),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(201);
  });

  test("eventData of exactly 32 KB is accepted", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const overhead = JSON.stringify({ blob: "" }).length;
    const eventData = { blob: "x".repeat(32 * 1024 - overhead) };
    expect((await h.post("/v1/api/events/new", acme, { event: "Big One", uid: "u", eventData })).status).toBe(201);
  });
});
