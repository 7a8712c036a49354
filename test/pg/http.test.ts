// The real app on the PostgreSQL store (setup() with a fresh migrated database per test): every
// ingest route, the reads, erasure and a revoked key, through HTTP, in a few tests. The same
// routes' detailed behaviour is the whole suite's, which the PostgreSQL run
// (TRACKD_TEST_BACKEND=postgres) runs on this store too; this is the quick tour of it.
import { expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { setup, T0, type SetupOptions } from "../helpers";
import { describePg } from "../support/postgres";

const DAY = 86_400_000;

const harness = (options: SetupOptions = {}) => setup({ ...options, backend: "postgres" });

const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString("base64")}` });

describePg("the HTTP API on the PostgreSQL store", () => {
  test("ingest: new (a re-sent messageId stores nothing), bulk, customer-update, client, Segment; counts agree with the rows", async () => {
    const h = await harness();
    const acme = await h.tenant();
    const first = await h.post("/v1/api/events/new", acme, { event: "Report Created", customerId: "cus_1", eventData: { n: 1 }, messageId: "m-1" });
    const firstId: string = first.body.id;
    expect(first.status).toBe(201);
    expect(firstId).toMatch(/^evt_/);
    const again = await h.post("/v1/api/events/new", acme, { event: "Report Created", customerId: "cus_1", messageId: "m-1" });
    expect(again).toMatchObject({ status: 200, body: { ok: true, id: firstId, duplicate: true } });

    const bulk = await h.post("/v1/api/events/bulk", acme, [
      { event: "Login", customerId: "cus_1", eventDate: T0 - DAY },
      { event: "Login", customerId: "cus_2", eventDate: T0 - 2 * DAY, messageId: "m-2" },
      { event: "Login", customerId: "cus_2", messageId: "m-1" },
    ]);
    expect(bulk).toMatchObject({ status: 201, body: { ok: true, count: 2, duplicates: [2] } });
    expect(bulk.body.ids[2]).toBe(firstId);

    const update = await h.post("/v1/api/events/customer-update", acme, {
      customerId: "cus_1",
      customerEmail: "jane@acme.test",
      customerData: { seats: 7, name: "Acme" },
      user: { uid: "u_1", data: { name: "Jane" } },
    });
    expect(update).toMatchObject({ status: 200, body: { ok: true, customer: { customerId: "cus_1", email: "jane@acme.test", data: { seats: 7, name: "Acme" } } } });

    const authHash = createHmac("sha256", acme.signingSecret).update("cus_1").digest("hex");
    const client = await h.call("POST", "/v1/api/events/client", {
      body: { appId: acme.appId, customerId: "cus_1", authHash, event: "Page Viewed" },
      headers: { "content-type": "text/plain;charset=UTF-8", origin: "https://app.acme.test" },
    });
    expect(client).toMatchObject({ status: 201, body: { ok: true, verified: true } });

    const batch = {
      batch: [
        { type: "group", userId: "u_9", groupId: "acme-co", traits: { name: "Acme Co" }, messageId: "s-1" },
        { type: "track", userId: "u_9", event: "Report Exported", properties: { format: "csv" }, messageId: "s-2" },
        { type: "track", userId: "u_9", event: "Report Exported", messageId: "s-2" },
      ],
    };
    const segment = await h.call("POST", "/v1/batch", { headers: basic(acme.apiKey), body: batch });
    expect(segment).toMatchObject({ status: 200, body: { success: true } });

    expect(await h.count("events")).toBe(5); // new 1, bulk 2 (its third a re-send), client 1, Segment 1 (the re-sent track and the group store none)
    const names = (await h.get("/v1/api/events/names", acme)).body.names.map((n: { event: string; count: number }) => [n.event, n.count]);
    expect(names).toEqual([
      ["Login", 2],
      ["Page Viewed", 1],
      ["Report Created", 1],
      ["Report Exported", 1],
    ]);
    expect((await h.get("/v1/api/customers/acme-co?by=uid", acme)).body).toMatchObject({ uid: "acme-co", eventCount: 1 });
  });

  test("reads: customer list, profile, timeline, events, metrics and export", async () => {
    const h = await harness({ now: T0 });
    const acme = await h.tenant();
    await h.post("/v1/api/events/bulk", acme, [
      { event: "Login", customerId: "cus_1", eventDate: T0 - DAY, eventData: { plan: "pro" } },
      { event: "Login", customerId: "cus_1", eventDate: T0 - 2 * DAY },
      { event: "Export", customerId: "cus_2", eventDate: T0 - DAY, user: { uid: "u_2" } },
    ]);
    const list = await h.get("/v1/api/customers?sort=-eventCount", acme);
    expect(list.status).toBe(200);
    expect(list.body.customers.map((c: { customerId: string; eventCount: number }) => [c.customerId, c.eventCount])).toEqual([
      ["cus_1", 2],
      ["cus_2", 1],
    ]);
    const profile = await h.get("/v1/api/customers/cus_2", acme);
    expect(profile).toMatchObject({ status: 200, body: { customerId: "cus_2", eventCount: 1, users: [expect.objectContaining({ uid: "u_2" })] } });
    const timeline = await h.get("/v1/api/customers/cus_1/timeline", acme);
    expect(timeline.body.items.map((item: { type: string; at: string }) => [item.type, item.at])).toEqual([
      ["event", new Date(T0 - DAY).toISOString()],
      ["event", new Date(T0 - 2 * DAY).toISOString()],
    ]);
    const events = await h.get("/v1/api/events?limit=2", acme);
    expect(events.body.events).toHaveLength(2);
    const rest = await h.get(`/v1/api/events?limit=2&cursor=${events.body.nextCursor}`, acme);
    expect(rest.body.events.map((e: { eventData: unknown }) => e.eventData)).toEqual([null]);
    const metrics = await h.get(`/v1/api/metrics/events?from=${new Date(T0 - 3 * DAY).toISOString()}&to=${new Date(T0).toISOString()}`, acme);
    expect(metrics.status).toBe(200);
    expect(JSON.stringify(metrics.body)).toContain('"Login"');
    const exported = await h.get("/v1/api/export", acme);
    expect(exported.status).toBe(200);
    const lines = (exported.body as string).trim().split("\n").map((line) => JSON.parse(line));
    expect(lines.map((row) => [row.event, row.customerId])).toEqual([
      ["Login", "cus_1"],
      ["Login", "cus_1"],
      ["Export", "cus_2"],
    ]);
    expect(lines[1].eventData).toEqual({ plan: "pro" });
  });

  test("erasure removes the customer and its counts; the messageId is free again", async () => {
    const h = await harness();
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, { event: "Login", customerId: "cus_1", messageId: "m-1", user: { uid: "u_1" } });
    await h.post("/v1/api/events/new", acme, { event: "Login", customerId: "cus_2" });
    const erased = await h.call("DELETE", "/v1/api/customers/cus_1", { as: acme });
    expect(erased).toMatchObject({ status: 200, body: { ok: true, removed: { events: 1, users: 1 } } });
    expect((await h.get("/v1/api/customers/cus_1", acme)).status).toBe(404);
    expect(await h.count("events")).toBe(1);
    expect((await h.get("/v1/api/events/names", acme)).body.names).toEqual([expect.objectContaining({ event: "Login", count: 1 })]);
    const resent = await h.post("/v1/api/events/new", acme, { event: "Login", customerId: "cus_1", messageId: "m-1" });
    expect(resent.status).toBe(201);
  });

  test("a revoked key is refused at once on this node, on every route kind", async () => {
    const h = await harness();
    const acme = await h.tenant();
    expect((await h.post("/v1/api/events/new", acme, { event: "Login", customerId: "cus_1" })).status).toBe(201); // cached now
    expect(await h.apps.revokeKey(acme.keyId, acme.appId)).toBe(true);
    const refused = await h.post("/v1/api/events/new", acme, { event: "Login", customerId: "cus_1" });
    expect(refused).toMatchObject({ status: 401, body: { error: { code: "UNAUTHORIZED" } } });
    expect((await h.call("POST", "/v1/batch", { headers: basic(acme.apiKey), body: { batch: [{ type: "track", userId: "u", event: "X" }] } })).status).toBe(401);
    expect(await h.count("events")).toBe(1);
  });
});
