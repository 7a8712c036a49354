import { describe, expect, test } from "bun:test";
import { T0, setup, type Harness, type Tenant } from "../helpers";

const MINUTE = 60_000;
const DAY = 24 * 3600_000;

interface Listed {
  id: string;
  event: string;
  eventDate: string;
  [key: string]: unknown;
}

async function list(h: Harness, as: Tenant, query = ""): Promise<{ events: Listed[]; nextCursor: string | null; retainedSince: string | null }> {
  const res = await h.get(`/v1/api/events${query}`, as);
  expect(res.status).toBe(200);
  return res.body;
}

/** Stores `n` events through /events/bulk, event i dated `i` minutes before T0 (so index 0 is the newest). */
async function seedEvents(h: Harness, as: Tenant, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < n; start += 100) {
    const batch = Array.from({ length: Math.min(100, n - start) }, (_, k) => ({
      event: `Event ${start + k}`,
      customerId: "cus_1",
      eventDate: T0 - (start + k) * MINUTE,
    }));
    const res = await h.post("/v1/api/events/bulk", as, batch);
    expect(res.status).toBe(201);
    ids.push(...res.body.ids);
  }
  return ids;
}

/** Follows nextCursor until it is null; `between` runs after each page. */
async function walk(h: Harness, as: Tenant, query: string, between?: () => Promise<void>) {
  const pages: Listed[][] = [];
  let cursor: string | null = null;
  do {
    const suffix: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
    const page = await list(h, as, `?${query}${suffix}`);
    pages.push(page.events);
    cursor = page.nextCursor;
    await between?.();
  } while (cursor !== null && pages.length < 100);
  return pages;
}

describe("GET /v1/api/events ordering", () => {
  test("lists newest first by eventDate, not by arrival", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, { event: "Middle", uid: "u1", eventDate: "2025-06-01" });
    h.clock.now += MINUTE;
    await h.post("/v1/api/events/new", acme, { event: "Newest", uid: "u1" });
    h.clock.now += MINUTE;
    await h.post("/v1/api/events/new", acme, { event: "Backfilled", uid: "u1", eventDate: "2024-01-01" });
    const { events } = await list(h, acme);
    expect(events.map((e) => e.event)).toEqual(["Newest", "Middle", "Backfilled"]);
  });

  test("events with the same eventDate are listed latest-received first, the same way every time", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const eventDate = "2025-06-01T00:00:00Z";
    for (const name of ["First", "Second", "Third"]) {
      await h.post("/v1/api/events/new", acme, { event: name, uid: "u1", eventDate });
      h.clock.now += MINUTE;
    }
    const once = (await list(h, acme)).events.map((e) => e.event);
    const again = (await list(h, acme)).events.map((e) => e.event);
    expect(once).toEqual(["Third", "Second", "First"]);
    expect(again).toEqual(once);
  });

  test("paging one event at a time through tied eventDates returns each event once, in list order", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const eventDate = "2025-06-01T00:00:00Z";
    await h.post("/v1/api/events/bulk", acme, [
      { event: "A", uid: "u1", eventDate },
      { event: "B", uid: "u1", eventDate },
      { event: "C", uid: "u1", eventDate: "2025-05-01" },
      { event: "D", uid: "u1", eventDate },
    ]);
    const full = (await list(h, acme)).events.map((e) => e.id);
    const paged = (await walk(h, acme, "limit=1")).flat().map((e) => e.id);
    expect(full).toHaveLength(4);
    expect(paged).toEqual(full);
  });
});

describe("GET /v1/api/events pagination", () => {
  test("returns 50 events by default, with a cursor when more exist", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const ids = await seedEvents(h, acme, 51);
    const page = await list(h, acme);
    expect(page.events.map((e) => e.id)).toEqual(ids.slice(0, 50));
    expect(page.nextCursor).toEqual(expect.any(String));
  });

  test("the last page has a null nextCursor", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seedEvents(h, acme, 50);
    const page = await list(h, acme);
    expect(page.events).toHaveLength(50);
    expect(page.nextCursor).toBeNull();
  });

  test("an app with no events gets an empty list", async () => {
    const h = await setup();
    const acme = await h.tenant();
    expect(await list(h, acme)).toEqual({ events: [], nextCursor: null, retainedSince: null });
  });

  test("limit=1000 returns up to 1000 events in one page", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const ids = await seedEvents(h, acme, 1001);
    const page = await list(h, acme, "?limit=1000");
    expect(page.events).toHaveLength(1000);
    expect(page.events.map((e) => e.id)).toEqual(ids.slice(0, 1000));
    expect(page.nextCursor).toEqual(expect.any(String));
  });

  test("walking 130 events 50 at a time returns every event exactly once, newest first", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const ids = await seedEvents(h, acme, 130);
    const pages = await walk(h, acme, "limit=50");
    expect(pages.map((page) => page.length)).toEqual([50, 50, 30]);
    expect(pages.flat().map((e) => e.id)).toEqual(ids);
  });

  test("events arriving between page fetches, newer than the first page, don't show up in later pages", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const ids = await seedEvents(h, acme, 130);
    const late: string[] = [];
    const pages = await walk(h, acme, "limit=50", async () => {
      h.clock.now += MINUTE;
      const res = await h.post("/v1/api/events/new", acme, { event: "Late Arrival", customerId: "cus_1" });
      expect(res.status).toBe(201);
      late.push(res.body.id);
    });
    const seen = pages.flat().map((e) => e.id);
    expect(seen).toEqual(ids);
    expect(new Set(seen).size).toBe(seen.length);
    expect(late).toHaveLength(3);
    expect((await list(h, acme, "?limit=3")).events.map((e) => e.id)).toEqual([...late].reverse());
  });

  test("the cursor keeps the filters' scope when passed along with them", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const batch = Array.from({ length: 6 }, (_, i) => ({
      event: i % 2 === 0 ? "Even" : "Odd",
      customerId: "cus_1",
      eventDate: T0 - i * MINUTE,
    }));
    const { ids } = (await h.post("/v1/api/events/bulk", acme, batch)).body as { ids: string[] };
    const pages = await walk(h, acme, "event=Even&limit=2");
    expect(pages.flat().map((e) => e.id)).toEqual([ids[0], ids[2], ids[4]]);
  });
});

describe("GET /v1/api/events filters", () => {
  async function seedFilterData(h: Harness, as: Tenant) {
    // cus_1 ↔ u_1 and cus_2 ↔ u_2 are linked customers; u_3 has no customerId.
    const res = await h.post("/v1/api/events/bulk", as, [
      { event: "Post Created", customerId: "cus_1", uid: "u_1", eventDate: "2024-01-01" },
      { event: "Post Created", customerId: "cus_2", uid: "u_2", eventDate: "2024-02-01" },
      { event: "App Opened", customerId: "cus_1", eventDate: "2024-03-01" },
      { event: "App Opened", customerId: "cus_2", eventDate: "2024-04-01" },
      { event: "Post Created", uid: "u_3", eventDate: "2024-05-01" },
      { event: "Post Created", customerId: "cus_1", eventDate: "2024-06-01T00:00:00Z" },
    ]);
    expect(res.status).toBe(201);
    const [jan, feb, mar, apr, may, jun] = res.body.ids as string[];
    return { jan, feb, mar, apr, may, jun };
  }

  async function ids(h: Harness, as: Tenant, query: string) {
    return (await list(h, as, query)).events.map((e) => e.id);
  }

  test("customerId returns only that customer's events", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const e = await seedFilterData(h, acme);
    expect(await ids(h, acme, "?customerId=cus_1")).toEqual([e.jun, e.mar, e.jan]);
  });

  test("uid returns the events of the customer with that uid, including those sent by customerId only", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const e = await seedFilterData(h, acme);
    expect(await ids(h, acme, "?uid=u_2")).toEqual([e.apr, e.feb]);
    expect(await ids(h, acme, "?uid=u_3")).toEqual([e.may]);
  });

  test("event matches the event name exactly", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const e = await seedFilterData(h, acme);
    expect(await ids(h, acme, "?event=App%20Opened")).toEqual([e.apr, e.mar]);
    expect(await ids(h, acme, "?event=app%20opened")).toEqual([]);
    expect(await ids(h, acme, "?event=App")).toEqual([]);
  });

  test("from is inclusive and to is exclusive", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const e = await seedFilterData(h, acme);
    expect(await ids(h, acme, "?from=2024-02-01")).toEqual([e.jun, e.may, e.apr, e.mar, e.feb]);
    expect(await ids(h, acme, "?to=2024-02-01")).toEqual([e.jan]);
    expect(await ids(h, acme, "?from=2024-02-01&to=2024-04-01")).toEqual([e.mar, e.feb]);
    expect(await ids(h, acme, "?from=2024-02-01&to=2024-02-01")).toEqual([]);
  });

  test("from and to accept date-times with an offset and epoch milliseconds", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const e = await seedFilterData(h, acme);
    const from = encodeURIComponent("2024-03-01T01:00:00+01:00"); // = 2024-03-01T00:00Z, inclusive
    expect(await ids(h, acme, `?from=${from}&to=${Date.UTC(2024, 4, 1)}`)).toEqual([e.apr, e.mar]);
  });

  test("filters combine", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const e = await seedFilterData(h, acme);
    expect(await ids(h, acme, "?customerId=cus_1&event=Post%20Created")).toEqual([e.jun, e.jan]);
    expect(await ids(h, acme, "?customerId=cus_1&uid=u_1&from=2024-02-01&to=2024-06-01")).toEqual([e.mar]);
    expect(await ids(h, acme, "?uid=u_2&event=Post%20Created")).toEqual([e.feb]);
  });

  // Each combination of filters is a query prepared once and kept (src/db/prepared.ts).
  test("combinations asked in turn, and again with other values or by another app, each get their own answer", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const globex = await h.tenant();
    const e = await seedFilterData(h, acme);
    const other = await seedFilterData(h, globex);
    expect(await ids(h, acme, "?customerId=cus_1&event=Post%20Created")).toEqual([e.jun, e.jan]);
    expect(await ids(h, acme, "?event=App%20Opened&from=2024-04-01")).toEqual([e.apr]);
    expect(await ids(h, acme, "?customerId=cus_2&event=App%20Opened")).toEqual([e.apr]);
    expect(await ids(h, acme, "?event=Post%20Created&from=2024-01-15")).toEqual([e.jun, e.may, e.feb]);
    expect(await ids(h, globex, "?customerId=cus_1&event=Post%20Created")).toEqual([other.jun, other.jan]);
    expect(await ids(h, acme, "?customerId=cus_1&event=Post%20Created")).toEqual([e.jun, e.jan]);
  });

  test("customerId and uid naming two different customers give an empty list", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seedFilterData(h, acme);
    expect(await list(h, acme, "?customerId=cus_1&uid=u_2")).toEqual({ events: [], nextCursor: null, retainedSince: null });
  });

  test("an unknown customerId or uid gives an empty list, not an error", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seedFilterData(h, acme);
    expect(await list(h, acme, "?customerId=cus_nobody")).toEqual({ events: [], nextCursor: null, retainedSince: null });
    expect(await list(h, acme, "?uid=u_nobody")).toEqual({ events: [], nextCursor: null, retainedSince: null });
  });
});

describe("GET /v1/api/events fields", () => {
  test("an event from /events/new carries every field, dates as ISO UTC strings", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.post("/v1/api/events/new", acme, {
      event: "Invoice Paid",
      customerId: "cus_1",
      uid: "u_1",
      eventDate: "2025-12-31T23:30:00-02:00",
      eventData: { amount: 42, nested: { ok: true }, list: [1, "two"] },
      user: { uid: "member_1" },
      messageId: "msg-123",
    });
    expect(res.status).toBe(201);
    expect((await list(h, acme)).events).toEqual([
      {
        id: res.body.id,
        event: "Invoice Paid",
        customerId: "cus_1",
        uid: "u_1",
        user: { uid: "member_1" },
        eventDate: "2026-01-01T01:30:00.000Z",
        receivedAt: new Date(T0).toISOString(),
        eventData: { amount: 42, nested: { ok: true }, list: [1, "two"] },
        source: "server",
        verified: true,
        messageId: "msg-123",
      },
    ]);
  });

  test("optional fields are null when not sent", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.post("/v1/api/events/new", acme, { event: "App Opened", uid: "u_1" });
    expect((await list(h, acme)).events).toEqual([
      {
        id: res.body.id,
        event: "App Opened",
        customerId: null,
        uid: "u_1",
        user: null,
        eventDate: new Date(T0).toISOString(),
        receivedAt: new Date(T0).toISOString(),
        eventData: null,
        source: "server",
        verified: true,
        messageId: null,
      },
    ]);
  });

  test("events from /events/bulk have source bulk", async () => {
    const h = await setup();
    const acme = await h.tenant();
    h.clock.now = T0 + DAY;
    const res = await h.post("/v1/api/events/bulk", acme, [
      { event: "Post Created", customerId: "cus_1", eventDate: "2025-01-01", eventData: { n: 1 }, user: { uid: "m_1" } },
    ]);
    expect(res.status).toBe(201);
    expect((await list(h, acme)).events).toEqual([
      {
        id: res.body.ids[0],
        event: "Post Created",
        customerId: "cus_1",
        uid: null,
        user: { uid: "m_1" },
        eventDate: "2025-01-01T00:00:00.000Z",
        receivedAt: new Date(T0 + DAY).toISOString(),
        eventData: { n: 1 },
        source: "bulk",
        verified: true,
        messageId: null,
      },
    ]);
  });

  test("an event sent by customerId shows the uid linked to the customer later", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, { event: "App Opened", customerId: "cus_1" });
    await h.post("/v1/api/events/customer-update", acme, { customerId: "cus_1", uid: "u_1", customerData: { a: 1 } });
    const [event] = (await list(h, acme)).events;
    expect(event).toMatchObject({ customerId: "cus_1", uid: "u_1" });
  });
});

describe("GET /v1/api/events validation", () => {
  test.each([
    ["limit=0", "/limit"],
    ["limit=1001", "/limit"],
    ["limit=abc", "/limit"],
    ["from=not-a-date", "/from"],
    ["to=2024-13-01", "/to"],
    ["to=2023-02-29", "/to"],
    ["from=2024-05-01T10:00", "/from"],
    ["from=1714557600", "/from"],
    ["form=2024-01-01", "/form"],
    ["cursor=zzz", "/cursor"],
    ["customerId=", "/customerId"],
    [`event=${"x".repeat(256)}`, "/event"],
  ])("?%s is refused with 400 naming the field", async (query, path) => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, { event: "App Opened", uid: "u_1" });
    const res = await h.get(`/v1/api/events?${query}`, acme);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: {
        code: "VALIDATION_FAILED",
        message: expect.any(String),
        details: expect.arrayContaining([{ path, message: expect.any(String) }]),
      },
    });
  });

  test("a limit that is not written as a whole number (1.5, 1e1, 0x10, ' 5') is refused with 400", async () => {
    const h = await setup();
    const acme = await h.tenant();
    for (const limit of ["1.5", "1e1", "0x10", "%205"]) {
      const res = await h.get(`/v1/api/events?limit=${limit}`, acme);
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: "/limit", message: expect.any(String) }]);
    }
  });

  test("every invalid parameter is reported, not just the first", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.get("/v1/api/events?limit=0&form=2024-01-01", acme);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/form", "/limit"]);
  });

  test("both bad dates are reported together", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.get("/v1/api/events?from=yesterday&to=2024-13-01", acme);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(["/from", "/to"]);
  });
});
