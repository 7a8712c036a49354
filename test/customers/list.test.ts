// GET /v1/api/customers: sorts, filters, pagination, validation and isolation.
import { describe, expect, test } from "bun:test";
import { T0, setup, type Harness, type Tenant } from "../helpers";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface Row {
  customerId: string | null;
  uid: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  eventCount: number;
}
const idOf = (row: Row) => row.customerId ?? row.uid;

/**
 * Five customers with events on different days, one B2B with two users, and one known only by
 * uid from a customer-update (never seen: no firstSeen, lastSeen or customerId).
 */
async function fixture(h: Harness, tenant: Tenant) {
  const customers = [
    { customerId: "cus_A1", data: { name: "Acme Corp", plan: "pro", seats: 5, trial: false }, days: [20, 3, 0] },
    { customerId: "cus_b2", data: { name: "Beta LLC", plan: "free", seats: 1, trial: true }, days: [10] },
    { customerId: "cus_c3", data: { name: "Gamma", plan: "pro", seats: 3, trial: false }, days: [40, 35, 9, 8] },
    { customerId: "cus_d4", data: { name: "acme labs", plan: "team", seats: "3" }, days: [1, 1] },
    { customerId: "cus_e5", data: { plan: "free" }, days: [60] },
  ];
  for (const customer of customers) {
    for (const [i, daysAgo] of customer.days.entries()) {
      const res = await h.post("/v1/api/events/new", tenant, {
        event: i === 0 ? "Account Created" : "Report Created",
        customerId: customer.customerId,
        eventDate: iso(T0 - daysAgo * DAY),
        ...(i === 0 ? { customerData: customer.data } : {}),
        ...(customer.customerId === "cus_A1" ? { user: { uid: `member_${i % 2}` } } : {}),
      });
      expect(res.status).toBe(201);
    }
  }
  await h.post("/v1/api/events/customer-update", tenant, { customerId: "cus_b2", customerEmail: "Billing@Beta.io" });
  await h.post("/v1/api/events/customer-update", tenant, { uid: "u_silent", customerData: { name: "Silent Co" } });
}

async function listAll(h: Harness, tenant: Tenant, query: string, limit: number): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor: string | null = null;
  do {
    const res = await h.get(`/v1/api/customers?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`, tenant);
    expect(res.status).toBe(200);
    expect(res.body.customers.length).toBeLessThanOrEqual(limit);
    rows.push(...res.body.customers);
    cursor = res.body.nextCursor;
  } while (cursor);
  return rows;
}

async function ids(h: Harness, tenant: Tenant, query: string): Promise<(string | null)[]> {
  const res = await h.get(`/v1/api/customers?${query}`, tenant);
  expect(res.status).toBe(200);
  return res.body.customers.map(idOf);
}

describe("GET /v1/api/customers: rows and sorts", () => {
  test("by default the most recently seen first, never-seen customers last; each row complete", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    const res = await h.get("/v1/api/customers", acme);
    expect(res.status).toBe(200);
    expect(res.body.customers.map(idOf)).toEqual(["cus_A1", "cus_d4", "cus_c3", "cus_b2", "cus_e5", "u_silent"]);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.customers[0]).toEqual({
      customerId: "cus_A1",
      uid: null,
      email: null,
      name: "Acme Corp",
      data: { name: "Acme Corp", plan: "pro", seats: 5, trial: false },
      firstSeen: iso(T0 - 20 * DAY),
      lastSeen: iso(T0),
      eventCount: 3,
      eventsLast7d: 2,
      eventsLast30d: 3,
      userCount: 2,
      health: null, // not scored until a pass has run (test/scoring)
      mrr: null,
      currency: null,
      billingStatus: null,
      plan: null,
    });
    expect(res.body.customers[5]).toMatchObject({ uid: "u_silent", name: "Silent Co", firstSeen: null, lastSeen: null, eventCount: 0, eventsLast30d: 0 });
    expect(res.body.customers[3]).toMatchObject({ customerId: "cus_b2", email: "Billing@Beta.io", eventsLast7d: 0, eventsLast30d: 1 });
  });

  const expectations: Record<string, string[]> = {
    lastSeen: ["cus_e5", "cus_b2", "cus_c3", "cus_d4", "cus_A1", "u_silent"],
    "-lastSeen": ["cus_A1", "cus_d4", "cus_c3", "cus_b2", "cus_e5", "u_silent"],
    firstSeen: ["cus_e5", "cus_c3", "cus_A1", "cus_b2", "cus_d4", "u_silent"],
    "-firstSeen": ["cus_d4", "cus_b2", "cus_A1", "cus_c3", "cus_e5", "u_silent"],
    // Ties (eventCount 1 and 2) fall back to the order of creation, in the sort's direction.
    eventCount: ["u_silent", "cus_b2", "cus_e5", "cus_d4", "cus_A1", "cus_c3"],
    "-eventCount": ["cus_c3", "cus_A1", "cus_d4", "cus_e5", "cus_b2", "u_silent"],
    // Byte order: upper case before lower case.
    customerId: ["cus_A1", "cus_b2", "cus_c3", "cus_d4", "cus_e5", "u_silent"],
    "-customerId": ["cus_e5", "cus_d4", "cus_c3", "cus_b2", "cus_A1", "u_silent"],
  };
  test.each(Object.entries(expectations))("sort=%s, walked one page of 1, 2 and 4 rows at a time", async (sort, expected) => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    for (const limit of [1, 2, 4]) {
      expect((await listAll(h, acme, `sort=${sort}`, limit)).map(idOf)).toEqual(expected);
    }
  });

  test("pages stay stable while customers become active between them", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    const first = await h.get("/v1/api/customers?sort=customerId&limit=3", acme);
    await h.post("/v1/api/events/new", acme, { event: "App Opened", customerId: "cus_0new" }); // sorts before every page
    const second = await h.get(`/v1/api/customers?sort=customerId&limit=3&cursor=${first.body.nextCursor}`, acme);
    expect([...first.body.customers, ...second.body.customers].map(idOf)).toEqual(expectations.customerId);
  });
});

describe("GET /v1/api/customers: filters", () => {
  test("q: a prefix of customerId or uid (exact case), of email or name (any case)", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    expect(await ids(h, acme, "q=cus_A&sort=customerId")).toEqual(["cus_A1"]);
    expect(await ids(h, acme, "q=cus_a&sort=customerId")).toEqual([]);
    expect(await ids(h, acme, "q=u_sil")).toEqual(["u_silent"]);
    expect(await ids(h, acme, "q=billing%40beta")).toEqual(["cus_b2"]);
    expect(await ids(h, acme, "q=ACME&sort=customerId")).toEqual(["cus_A1", "cus_d4"]);
    expect(await ids(h, acme, "q=acme%20l")).toEqual(["cus_d4"]);
    expect(await ids(h, acme, "q=corp")).toEqual([]); // a prefix, not a substring
    expect(await ids(h, acme, "q=cus_&sort=customerId&limit=2")).toEqual(["cus_A1", "cus_b2"]);
  });

  test("activeSince and inactiveSince split on lastSeen; never seen counts as inactive", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    const since = iso(T0 - 9 * DAY);
    expect(await ids(h, acme, `activeSince=${since}`)).toEqual(["cus_A1", "cus_d4", "cus_c3"]);
    expect(await ids(h, acme, `inactiveSince=${since}`)).toEqual(["cus_b2", "cus_e5", "u_silent"]);
  });

  test("attr.KEY=VALUE compares attributes as text, several filters all apply", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    expect(await ids(h, acme, "attr.plan=pro&sort=customerId")).toEqual(["cus_A1", "cus_c3"]);
    expect(await ids(h, acme, "attr.seats=3&sort=customerId")).toEqual(["cus_c3", "cus_d4"]); // 3 and "3"
    expect(await ids(h, acme, "attr.trial=true")).toEqual(["cus_b2"]);
    expect(await ids(h, acme, "attr.plan=pro&attr.seats=5")).toEqual(["cus_A1"]);
    expect(await ids(h, acme, "attr.plan=Pro")).toEqual([]);
    expect(await ids(h, acme, "attr.missing=x")).toEqual([]);
  });

  test("event=NAME: did it at least once, exactly within from/to even inside a day", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    expect(await ids(h, acme, "event=Report%20Created&sort=customerId")).toEqual(["cus_A1", "cus_c3", "cus_d4"]);
    expect(await ids(h, acme, "event=Nothing%20Done")).toEqual([]);
    // cus_c3's reports were 9 and 8 days ago at 12:00, cus_A1's 3 days ago, cus_d4's 1 day ago.
    const at = (daysAgo: number, hour = 12) => encodeURIComponent(iso(T0 - daysAgo * DAY + (hour - 12) * HOUR));
    expect(await ids(h, acme, `event=Report%20Created&from=${at(9)}&to=${at(8)}&sort=customerId`)).toEqual(["cus_c3"]);
    expect(await ids(h, acme, `event=Report%20Created&from=${at(9, 13)}&to=${at(8)}`)).toEqual([]); // the 9-day one is before, to is exclusive
    expect(await ids(h, acme, `event=Report%20Created&from=${at(8, 11)}&to=${at(8, 13)}`)).toEqual(["cus_c3"]); // within one day
    expect(await ids(h, acme, `event=Report%20Created&from=${at(8, 11)}&to=${at(1, 11)}`)).toEqual(["cus_A1", "cus_c3"]);
    expect(await ids(h, acme, `event=Report%20Created&from=${at(1, 12)}`)).toEqual(["cus_A1", "cus_d4"]);
    expect(await ids(h, acme, `event=Report%20Created&to=${at(8, 12)}`)).toEqual(["cus_c3"]);
    // Whole UTC days, as YYYY-MM-DD: from the per-day counts.
    const day = (daysAgo: number) => iso(T0 - daysAgo * DAY).slice(0, 10);
    expect(await ids(h, acme, `event=Account%20Created&from=${day(20)}&to=${day(9)}&sort=customerId`)).toEqual(["cus_A1", "cus_b2"]);
    // An empty range (from = to, to exclusive) holds no event, and is a 200 with no one, not an error.
    expect(await ids(h, acme, `event=Report%20Created&from=${day(8)}&to=${day(8)}`)).toEqual([]);
    expect(await ids(h, acme, `event=Report%20Created&from=${at(8)}&to=${at(8)}`)).toEqual([]);
  });

  test("filters combine with each other, a sort and pagination", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    const rows = await listAll(h, acme, "attr.plan=pro&event=Report%20Created&activeSince=2025-01-01&sort=-eventCount", 1);
    expect(rows.map(idOf)).toEqual(["cus_c3", "cus_A1"]);
  });
});

describe("GET /v1/api/customers: errors", () => {
  const cases: [string, string, string][] = [
    ["sort=name", "/sort", "sort must be one of lastSeen, -lastSeen, firstSeen, -firstSeen, eventCount, -eventCount, customerId, -customerId, health, -health, mrr, -mrr"],
    ["limit=0", "/limit", "limit must be an integer from 1 to 1000"],
    ["limit=1001", "/limit", "limit must be an integer from 1 to 1000"],
    ["limit=ten", "/limit", "limit must be an integer from 1 to 1000"],
    ["activeSince=yesterday", "/activeSince", "activeSince must be YYYY-MM-DD, an ISO 8601 date-time with offset, or epoch milliseconds"],
    ["inactiveSince=2026-02-30", "/inactiveSince", "inactiveSince 2026-02-30 is not a calendar date"],
    ["event=A%20Done&from=2026-01-02&to=2026-01-01", "/to", "to must not be before from"],
    ["from=2026-01-01", "/from", "from applies to the event filter; add event=NAME"],
    ["to=2026-01-01", "/to", "to applies to the event filter; add event=NAME"],
    ["q=", "/q", "q must be 1 to 255 characters"],
    ["color=red", "/color", "color is not a known field"],
    ["attr.=x", "/attr.", 'attr.: the attribute name must be 1 to 255 characters, without " or \\'],
    ['attr.a"b=x', '/attr.a"b', 'attr.a"b: the attribute name must be 1 to 255 characters, without " or \\'],
    [`attr.plan=${"x".repeat(1001)}`, "/attr.plan", "attr.plan must be at most 1000 characters"],
    ["cursor=bm90IGEgY3Vyc29y", "/cursor", "cursor is not valid"],
  ];
  test.each(cases)("%s → 400 naming %s", async (query, path, message) => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.get(`/v1/api/customers?${query.replace('"', "%22")}`, acme);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(res.body.error.details).toEqual([{ path, message }]);
  });

  test("more than 10 attr filters is refused", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const query = Array.from({ length: 11 }, (_, i) => `attr.k${i}=v`).join("&");
    const res = await h.get(`/v1/api/customers?${query}`, acme);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: "/attr", message: "at most 10 attr.KEY filters" }]);
  });

  test("every problem is reported at once", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.get("/v1/api/customers?sort=x&limit=0&activeSince=soon&attr.=1", acme);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/activeSince", "/attr.", "/limit", "/sort"]);
  });

  test("a cursor made for one sort is refused by another, and a tampered one is refused", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    const { body } = await h.get("/v1/api/customers?sort=eventCount&limit=1", acme);
    const res = await h.get(`/v1/api/customers?sort=-eventCount&cursor=${body.nextCursor}`, acme);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: "/cursor", message: 'cursor was made for sort "eventCount", not -eventCount' }]);
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    for (const tampered of [forge(["eventCount", "1", 3]), forge(["eventCount", 1, 1.5]), forge(["eventCount", 1]), forge({ a: 1 })]) {
      const bad = await h.get(`/v1/api/customers?sort=eventCount&cursor=${tampered}`, acme);
      expect(bad.status).toBe(400);
      expect(bad.body.error.details).toEqual([{ path: "/cursor", message: "cursor is not valid" }]);
    }
  });
});

describe("GET /v1/api/customers: isolation", () => {
  test("no filter, sort or cursor of app A reaches app B's customers", async () => {
    const h = await setup();
    const a = await h.tenant("a");
    const b = await h.tenant("b");
    await fixture(h, a);
    await h.post("/v1/api/events/new", b, { event: "Account Created", customerId: "cus_B", customerData: { name: "Acme B", plan: "pro" } });
    for (const query of ["", "q=cus_", "q=acme", "attr.plan=pro", "event=Account%20Created", "sort=customerId", "inactiveSince=2030-01-01"]) {
      expect(await ids(h, b, query)).toEqual(["cus_B"]);
    }
    // A's cursor (and a forged one pointing at A's first customer) only ever pages through B's rows.
    const page = await h.get("/v1/api/customers?sort=customerId&limit=1", a);
    const forged = Buffer.from(JSON.stringify(["customerId", "cus_", 0])).toString("base64url");
    for (const cursor of [page.body.nextCursor, forged]) {
      const res = await h.get(`/v1/api/customers?sort=customerId&cursor=${cursor}`, b);
      expect(res.status).toBe(200);
      expect(res.body.customers.map(idOf)).toEqual(["cus_B"]);
    }
  });
});
