import { describe, expect, test } from "bun:test";
import { setup } from "../helpers";

const BULK = "/v1/api/events/bulk";
const events = (n: number, extra: Record<string, unknown> = {}) =>
  Array.from({ length: n }, (_, i) => ({ event: "Report Exported", customerId: `cus_${i % 7}`, ...extra }));

describe("POST /v1/api/events/bulk", () => {
  test("stores 100 events in one request and returns their ids in order", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const batch = events(100).map((e, i) => ({ ...e, eventDate: `2025-01-${String((i % 28) + 1).padStart(2, "0")}` }));
    const res = await h.post(BULK, acme, batch);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ok: true, count: 100, duplicates: [] });
    expect(res.body.ids).toHaveLength(100);
    expect(new Set(res.body.ids).size).toBe(100);
    expect(await h.count("events", "source = 'bulk'")).toBe(100);
    const stored = await h.sql.all("select id, event_date from events order by seq") as { id: string }[];
    expect(stored.map((row) => row.id)).toEqual(res.body.ids);
  });

  test("backfilled history lands in place: firstSeen/lastSeen follow eventDate", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post(BULK, acme, [
      { event: "App Opened", customerId: "cus_1", eventDate: "2024-06-01" },
      { event: "App Opened", customerId: "cus_1", eventDate: "2023-01-15" },
      { event: "App Opened", customerId: "cus_1", eventDate: "2024-02-01" },
    ]);
    const customer = (await h.get("/v1/api/customers/cus_1", acme)).body;
    expect(customer).toMatchObject({
      firstSeen: "2023-01-15T00:00:00.000Z",
      lastSeen: "2024-06-01T00:00:00.000Z",
      eventCount: 3,
    });
  });

  test("duplicates by messageId are reported per item, including within one request", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const first = await h.post(BULK, acme, [{ event: "A Done", uid: "u1", messageId: "m1" }]);
    const res = await h.post(BULK, acme, [
      { event: "B Done", uid: "u1", messageId: "m2" },
      { event: "A Done", uid: "u1", messageId: "m1" },
      { event: "B Done", uid: "u1", messageId: "m2" },
    ]);
    expect(res.status).toBe(201);
    expect(res.body.count).toBe(1);
    expect(res.body.duplicates).toEqual([1, 2]);
    expect(res.body.ids[1]).toBe(first.body.ids[0]);
    expect(res.body.ids[2]).toBe(res.body.ids[0]);
    expect(await h.count("events")).toBe(2);
  });

  test("a request made only of duplicates answers 200 with count 0", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const batch = [{ event: "A Done", uid: "u1", messageId: "m1" }];
    await h.post(BULK, acme, batch);
    const again = await h.post(BULK, acme, batch);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ ok: true, count: 0, duplicates: [0] });
  });

  test("user.uid is accepted and counted per user", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post(BULK, acme, events(3, { customerId: "cus_1", user: { uid: "u1" } }));
    expect((await h.get("/v1/api/customers/cus_1", acme)).body.users).toEqual([
      expect.objectContaining({ uid: "u1", eventCount: 3 }),
    ]);
  });
});

describe("POST /v1/api/events/bulk rejects the whole request", () => {
  test("101 events → 400 naming the limit, nothing stored", async () => {
    const h = await setup();
    const res = await h.post(BULK, await h.tenant(), events(101));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("1 to 100 events");
    expect(res.body.error.message).toContain("101");
    expect(await h.count("events")).toBe(0);
  });

  test.each([
    ["an empty array", []],
    ["an object", { event: "A Done", uid: "u" }],
  ])("%s → 400", async (_, body) => {
    const h = await setup();
    const res = await h.post(BULK, await h.tenant(), body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
  });

  test("one detail per bad item with index, field and message; nothing stored", async () => {
    const h = await setup();
    const batch: unknown[] = events(10);
    batch[2] = { event: "A Done" };
    batch[5] = { event: "A Done", uid: "u", eventDate: "someday", nope: true };
    batch[9] = "not an event";
    const res = await h.post(BULK, await h.tenant(), batch);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe("3 of 10 events are invalid; nothing was stored");
    expect(res.body.error.details).toEqual([
      { index: 2, field: "customerId", path: "/2/customerId", message: expect.stringContaining("customerId or uid is required") },
      { index: 5, field: "nope", path: "/5/nope", message: "nope is not a known field" },
      { index: 9, field: "body", path: "/9", message: "body must be a JSON object" },
    ]);
    expect(await h.count("events")).toBe(0);
    expect(await h.count("customers")).toBe(0);
  });

  test.each([
    ["customerData", { customerData: { plan: "pro" } }, "customerData"],
    ["user.data", { user: { uid: "u1", data: { name: "Ada" } } }, "user.data"],
  ])("%s is refused with a pointer to /customer-update", async (_, extra, field) => {
    const h = await setup();
    const res = await h.post(BULK, await h.tenant(), [{ event: "A Done", customerId: "cus_1", ...extra }]);
    expect(res.status).toBe(400);
    expect(res.body.error.details[0]).toMatchObject({ index: 0, field });
    expect(res.body.error.details[0].message).toContain("/v1/api/events/customer-update");
    expect(await h.count("events")).toBe(0);
  });

  test("a body over 1 MB → 413", async () => {
    const h = await setup();
    const blob = "x".repeat(11 * 1024);
    const res = await h.post(BULK, await h.tenant(), events(100, { eventData: { blob } }));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await h.count("events")).toBe(0);
  });
});
