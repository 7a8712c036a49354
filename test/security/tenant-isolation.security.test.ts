import { describe, expect, test } from "bun:test";
import { T0, setup, type Harness, type Tenant } from "../helpers";

const MINUTE = 60_000;

const keyedRoutes: [string, string, unknown][] = [
  ["POST", "/v1/api/events/new", { event: "Post Created", customerId: "cus_1", customerData: { x: 1 }, user: { uid: "m_1" } }],
  ["POST", "/v1/api/events/bulk", [{ event: "Post Created", customerId: "cus_1", user: { uid: "m_1" } }]],
  ["POST", "/v1/api/events/customer-update", { customerId: "cus_1", customerData: { x: 1 }, user: { uid: "m_1" } }],
  ["GET", "/v1/api/events", undefined],
  ["GET", "/v1/api/customers/cus_b", undefined],
];

async function twoApps(h: Harness): Promise<[Tenant, Tenant]> {
  return [await h.tenant("a"), await h.tenant("b")];
}

async function stored(h: Harness) {
  return { events: await h.count("events"), customers: await h.count("customers"), users: await h.count("users") };
}

async function listIds(h: Harness, as: Tenant, query = ""): Promise<string[]> {
  const res = await h.get(`/v1/api/events${query}`, as);
  expect(res.status).toBe(200);
  return res.body.events.map((e: { id: string }) => e.id);
}

describe("tenant isolation", () => {
  test.each(keyedRoutes)("app A's key with app B's id is 401 on %s %s and stores nothing", async (method, path, body) => {
    const h = await setup();
    const [a, b] = await twoApps(h);
    await h.post("/v1/api/events/new", b, { event: "Signed Up", customerId: "cus_b", user: { uid: "m_b" } });
    const before = await stored(h);
    const res = await h.call(method, path, { headers: { "x-ck-api-key": a.apiKey, "x-ck-app": b.appId }, body });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: "UNAUTHORIZED", message: expect.any(String) } });
    expect(await stored(h)).toEqual(before);
  });

  test("app A cannot read a customer that exists only in app B", async () => {
    const h = await setup();
    const [a, b] = await twoApps(h);
    await h.post("/v1/api/events/new", b, { event: "Signed Up", customerId: "cus_b", uid: "u_b" });
    expect((await h.get("/v1/api/customers/cus_b", b)).status).toBe(200);
    expect((await h.get("/v1/api/customers/cus_b", a)).status).toBe(404);
    expect((await h.get("/v1/api/customers/u_b?by=uid", a)).status).toBe(404);
  });

  test("app A cannot list app B's events, by any filter", async () => {
    const h = await setup();
    const [a, b] = await twoApps(h);
    await h.post("/v1/api/events/new", b, { event: "Signed Up", customerId: "cus_b", uid: "u_b" });
    expect(await listIds(h, a)).toEqual([]);
    expect(await listIds(h, a, "?customerId=cus_b")).toEqual([]);
    expect(await listIds(h, a, "?uid=u_b")).toEqual([]);
    expect(await listIds(h, a, "?event=Signed%20Up")).toEqual([]);
    expect(await listIds(h, b)).toHaveLength(1);
  });

  test("with the same customerId in both apps, each app reads only its own customer and events", async () => {
    const h = await setup();
    const [a, b] = await twoApps(h);
    const ea = await h.post("/v1/api/events/new", a, {
      event: "Post Created",
      customerId: "cus_1",
      customerData: { plan: "a" },
      user: { uid: "m_a" },
    });
    const eb1 = await h.post("/v1/api/events/new", b, {
      event: "Post Created",
      customerId: "cus_1",
      customerData: { plan: "b" },
      user: { uid: "m_b" },
    });
    const eb2 = await h.post("/v1/api/events/new", b, { event: "App Opened", customerId: "cus_1", eventDate: "2025-01-01" });

    const customerA = (await h.get("/v1/api/customers/cus_1", a)).body;
    expect(customerA).toMatchObject({ customerId: "cus_1", data: { plan: "a" }, eventCount: 1 });
    expect(customerA.users.map((u: { uid: string }) => u.uid)).toEqual(["m_a"]);

    const customerB = (await h.get("/v1/api/customers/cus_1", b)).body;
    expect(customerB).toMatchObject({ customerId: "cus_1", data: { plan: "b" }, eventCount: 2 });
    expect(customerB.users.map((u: { uid: string }) => u.uid)).toEqual(["m_b"]);

    expect(await listIds(h, a, "?customerId=cus_1")).toEqual([ea.body.id]);
    expect(await listIds(h, b, "?customerId=cus_1")).toEqual([eb1.body.id, eb2.body.id]);
  });

  test("B's writes with the same customerId, uid and messageId as A's are separate records", async () => {
    const h = await setup();
    const [a, b] = await twoApps(h);
    const body = (plan: string) => ({
      event: "Invoice Paid",
      customerId: "cus_1",
      uid: "u_1",
      messageId: "msg-1",
      customerData: { plan },
      user: { uid: "m_1", data: { owner: plan } },
    });
    const fromA = await h.post("/v1/api/events/new", a, body("a"));
    const fromB = await h.post("/v1/api/events/new", b, body("b"));
    expect(fromA.status).toBe(201);
    expect(fromB.status).toBe(201);
    expect(fromB.body.duplicate).toBeUndefined();
    expect(fromB.body.id).not.toBe(fromA.body.id);

    // A's replay is still a duplicate of A's own event, not of B's.
    const replayA = await h.post("/v1/api/events/new", a, body("a"));
    expect(replayA.body).toEqual({ ok: true, id: fromA.body.id, duplicate: true });

    await h.post("/v1/api/events/customer-update", b, { uid: "u_1", customerData: { seats: 9 } });
    await h.post("/v1/api/events/bulk", b, [{ event: "App Opened", uid: "u_1", messageId: "msg-2" }]);

    expect(await h.count("customers")).toBe(2);
    expect(await h.count("users")).toBe(2);
    expect(await h.count("events", `app_pk = (select pk from apps where id = '${a.appId}')`)).toBe(1);
    expect(await h.count("events", `app_pk = (select pk from apps where id = '${b.appId}')`)).toBe(2);

    const viewA = (await h.get("/v1/api/customers/u_1?by=uid", a)).body;
    expect(viewA).toMatchObject({ customerId: "cus_1", uid: "u_1", data: { plan: "a" }, eventCount: 1 });
    expect(viewA.users).toEqual([expect.objectContaining({ uid: "m_1", data: { owner: "a" }, eventCount: 1 })]);
    const viewB = (await h.get("/v1/api/customers/u_1?by=uid", b)).body;
    expect(viewB).toMatchObject({ customerId: "cus_1", uid: "u_1", data: { plan: "b", seats: 9 }, eventCount: 2 });
    expect(viewB.users).toEqual([expect.objectContaining({ uid: "m_1", data: { owner: "b" }, eventCount: 1 })]);

    expect(await listIds(h, a)).toEqual([fromA.body.id]);
    expect(await listIds(h, b)).not.toContain(fromA.body.id);
  });

  test("a bulk replay in B of A's messageIds stores B's events", async () => {
    const h = await setup();
    const [a, b] = await twoApps(h);
    const batch = [
      { event: "Post Created", customerId: "cus_1", messageId: "m-1" },
      { event: "Post Created", customerId: "cus_1", messageId: "m-2" },
    ];
    const fromA = await h.post("/v1/api/events/bulk", a, batch);
    const fromB = await h.post("/v1/api/events/bulk", b, batch);
    expect(fromB.status).toBe(201);
    expect(fromB.body).toMatchObject({ count: 2, duplicates: [] });
    expect(fromB.body.ids).not.toContain(fromA.body.ids[0]);
    expect(fromB.body.ids).not.toContain(fromA.body.ids[1]);
  });

  test("a cursor obtained by app A, used by app B, returns only B's events", async () => {
    const h = await setup();
    const [a, b] = await twoApps(h);
    const aEvents = await h.post(
      "/v1/api/events/bulk",
      a,
      [0, 1, 2].map((i) => ({ event: "A Event", customerId: "cus_1", eventDate: T0 - i * 10 * MINUTE })),
    );
    const bEvents = await h.post("/v1/api/events/bulk", b, [
      { event: "B Event", customerId: "cus_1", eventDate: T0 - 5 * MINUTE },
      { event: "B Event", customerId: "cus_1", eventDate: T0 - 30 * MINUTE },
    ]);

    const firstPageA = await h.get("/v1/api/events?limit=1", a);
    expect(firstPageA.body.events.map((e: { id: string }) => e.id)).toEqual([aEvents.body.ids[0]]);
    const cursor = encodeURIComponent(firstPageA.body.nextCursor);

    expect(await listIds(h, b, `?cursor=${cursor}`)).toEqual(bEvents.body.ids);
    expect(await listIds(h, b, `?cursor=${cursor}&customerId=cus_1`)).toEqual(bEvents.body.ids);
    // The same cursor still pages A's own events for A.
    expect(await listIds(h, a, `?cursor=${cursor}`)).toEqual(aEvents.body.ids.slice(1));
  });

  test("a key created for app B does not open app A", async () => {
    const h = await setup();
    const [a, b] = await twoApps(h);
    const bKey = (await h.apps.createKey(b.appId))!;
    await h.post("/v1/api/events/new", a, { event: "Signed Up", customerId: "cus_a" });
    const res = await h.call("GET", "/v1/api/customers/cus_a", { headers: { "x-ck-api-key": bKey.apiKey, "x-ck-app": a.appId } });
    expect(res.status).toBe(401);
  });
});
