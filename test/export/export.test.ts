// GET /v1/api/export (NDJSON and CSV) and GET /v1/api/customers/:id/export (data-subject access).
import { describe, expect, test } from "bun:test";
import { T0, setup, type Harness, type Tenant } from "../helpers";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

async function raw(h: Harness, path: string, as: Tenant) {
  const res = await h.app.handle(new Request(`http://localhost${path}`, { headers: as.headers }));
  return { status: res.status, headers: res.headers, text: await res.text() };
}
const lines = (text: string) => text.split("\n").filter(Boolean).map((line) => JSON.parse(line));

/** A small RFC 4180 reader, to check the CSV the way a spreadsheet would read it. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\r" && text[i + 1] === "\n") row.push(field), rows.push(row), (row = []), (field = ""), i++;
    else field += c;
  }
  return rows;
}

async function fixture(h: Harness, acme: Tenant) {
  await h.post("/v1/api/events/customer-update", acme, { customerId: "cus_1", uid: "u_1", customerEmail: "ada@example.com", customerData: { plan: "pro" } });
  await h.post("/v1/api/events/new", acme, {
    event: "Report Created",
    customerId: "cus_1",
    eventDate: iso(T0 - DAY),
    user: { uid: "member_1" },
    eventData: { title: 'Q1, "final"\nv2', pages: 3 },
    messageId: "m-1",
  });
  await h.post("/v1/api/events/bulk", acme, [
    { event: "App Opened", customerId: "cus_2", eventDate: iso(T0 - 3 * DAY) },
    { event: "App Opened", customerId: "cus_1", eventDate: iso(T0) },
  ]);
}

describe("GET /v1/api/export", () => {
  test("NDJSON: every event oldest first, each with its customer's identity", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    const res = await raw(h, "/v1/api/export", acme);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="trackd-events-${acme.appId}.ndjson"`);
    const rows = lines(res.text);
    expect(rows.map((row) => [row.event, row.customerId])).toEqual([
      ["App Opened", "cus_2"],
      ["Report Created", "cus_1"],
      ["App Opened", "cus_1"],
    ]);
    expect(rows[1]).toEqual({
      id: expect.stringMatching(/^evt_/),
      event: "Report Created",
      eventDate: iso(T0 - DAY),
      receivedAt: iso(T0),
      customerId: "cus_1",
      uid: "u_1",
      email: "ada@example.com",
      userUid: "member_1",
      source: "server",
      verified: true,
      messageId: "m-1",
      eventData: { title: 'Q1, "final"\nv2', pages: 3 },
    });
  });

  test("CSV: a header, then one quoted-where-needed row per event", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    const res = await raw(h, "/v1/api/export?format=csv", acme);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const [header, ...rows] = parseCsv(res.text);
    expect(header).toEqual(["id", "event", "eventDate", "receivedAt", "customerId", "uid", "email", "userUid", "source", "verified", "messageId", "eventData"]);
    expect(rows).toHaveLength(3);
    expect(rows[1]!.slice(1)).toEqual([
      "Report Created",
      iso(T0 - DAY),
      iso(T0),
      "cus_1",
      "u_1",
      "ada@example.com",
      "member_1",
      "server",
      "true",
      "m-1",
      JSON.stringify({ title: 'Q1, "final"\nv2', pages: 3 }),
    ]);
    expect(rows[0]!.slice(4, 8)).toEqual(["cus_2", "", "", ""]);
  });

  test("from (inclusive), to (exclusive) and customerId narrow the export", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    const between = lines((await raw(h, `/v1/api/export?from=${iso(T0 - DAY)}&to=${iso(T0)}`, acme)).text);
    expect(between.map((row) => row.event)).toEqual(["Report Created"]);
    const ofOne = lines((await raw(h, "/v1/api/export?customerId=cus_1", acme)).text);
    expect(ofOne.map((row) => row.event)).toEqual(["Report Created", "App Opened"]);
  });

  test("pages through thousands of events exactly once, in order, equal dates included", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const total = 4_500; // more than two pages
    for (let i = 0; i < total; i += 100) {
      const batch = Array.from({ length: 100 }, (_, j) => ({
        event: "Row Imported",
        customerId: `cus_${(i + j) % 7}`,
        eventDate: iso(T0 - Math.floor((i + j) / 3) * 60_000), // three events per timestamp
        messageId: `m-${i + j}`,
      }));
      expect((await h.post("/v1/api/events/bulk", acme, batch)).status).toBe(201);
    }
    const rows = lines((await raw(h, "/v1/api/export", acme)).text);
    expect(rows).toHaveLength(total);
    expect(new Set(rows.map((row) => row.messageId)).size).toBe(total);
    const dates = rows.map((row) => Date.parse(row.eventDate));
    expect(dates).toEqual([...dates].sort((a, b) => a - b));
  });

  test("holds the events stored when it began: what commits while it streams is left out", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const batch = (from: number) => Array.from({ length: 100 }, (_, i) => ({ event: "Row Imported", customerId: "cus_1", eventDate: iso(T0 - DAY + from + i) }));
    for (let i = 0; i < 8000; i += 100) await h.post("/v1/api/events/bulk", acme, batch(i));
    const res = await h.app.handle(new Request("http://localhost/v1/api/export", { headers: acme.headers }));
    const reader = res.body!.getReader();
    // The first page is read (and the stream may have pulled the next): the export has begun.
    const first = await reader.read();
    await h.post("/v1/api/events/bulk", acme, batch(9000)); // later dates: they'd be in the last page
    let text = new TextDecoder().decode(first.value);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);
    expect(lines(text)).toHaveLength(8000);
    expect(lines((await raw(h, "/v1/api/export", acme)).text)).toHaveLength(8100);
  });

  const errors: [string, string, string][] = [
    ["format=xml", "/format", "format must be ndjson or csv"],
    ["from=last%20week", "/from", "from must be YYYY-MM-DD, an ISO 8601 date-time with offset, or epoch milliseconds"],
    ["from=2026-01-02&to=2026-01-01", "/to", "to must not be before from"],
    ["customerId=", "/customerId", "customerId must be 1 to 255 characters"],
    ["limit=10", "/limit", "limit is not a known field"],
  ];
  test.each(errors)("%s → 400 naming %s", async (query, path, message) => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.get(`/v1/api/export?${query}`, acme);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path, message }]);
  });

  test("an unknown customerId is 404, not an empty export", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.get("/v1/api/export?customerId=cus_nobody", acme);
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: "NOT_FOUND", message: "no customer with customerId cus_nobody" });
  });

  test("app B's export holds none of app A's events, even naming A's customer", async () => {
    const h = await setup();
    const a = await h.tenant("a");
    const b = await h.tenant("b");
    await fixture(h, a);
    await h.post("/v1/api/events/new", b, { event: "B Only", customerId: "cus_b" });
    expect(lines((await raw(h, "/v1/api/export", b)).text).map((row) => row.event)).toEqual(["B Only"]);
    expect((await h.get("/v1/api/export?customerId=cus_1", b)).status).toBe(404);
    expect((await h.get("/v1/api/customers/cus_1/export", b)).status).toBe(404);
  });

  test("an erased customer is in no export afterwards", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    expect((await h.call("DELETE", "/v1/api/customers/cus_1", { as: acme })).status).toBe(200);
    const rows = lines((await raw(h, "/v1/api/export", acme)).text);
    expect(rows.map((row) => row.customerId)).toEqual(["cus_2"]);
    expect(parseCsv((await raw(h, "/v1/api/export?format=csv", acme)).text)).toHaveLength(2);
    expect((await h.get("/v1/api/customers/cus_1/export", acme)).status).toBe(404);
  });
});

describe("GET /v1/api/customers/:customerId/export", () => {
  test("one JSON document: the record, its users, its counts and every event", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    const res = await raw(h, "/v1/api/customers/cus_1/export", acme);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="trackd-customer-cus_1.json"');
    const document = JSON.parse(res.text);
    const profile = (await h.get("/v1/api/customers/cus_1", acme)).body;
    expect(document.exportedAt).toBe(iso(T0));
    expect(document.customer).toEqual({
      customerId: profile.customerId,
      uid: profile.uid,
      email: profile.email,
      data: profile.data,
      users: profile.users,
      firstSeen: profile.firstSeen,
      lastSeen: profile.lastSeen,
      eventCount: 2,
      createdAt: profile.createdAt,
      updatedAt: profile.updatedAt,
    });
    expect(document.eventCounts).toEqual(profile.eventCounts);
    expect(document.events.map((event: { event: string }) => event.event)).toEqual(["Report Created", "App Opened"]);
    expect(document.events[0].eventData).toEqual({ title: 'Q1, "final"\nv2', pages: 3 });
  });

  test("found by uid or email too; a customer without events has an empty list", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    await h.post("/v1/api/events/customer-update", acme, { customerId: "cus_quiet", customerData: { plan: "free" } });
    expect(JSON.parse((await raw(h, "/v1/api/customers/u_1/export?by=uid", acme)).text).customer.customerId).toBe("cus_1");
    expect(JSON.parse((await raw(h, "/v1/api/customers/ada@example.com/export?by=email", acme)).text).customer.customerId).toBe("cus_1");
    expect(JSON.parse((await raw(h, "/v1/api/customers/cus_quiet/export", acme)).text).events).toEqual([]);
  });

  test("a customer with thousands of events is still one valid document", async () => {
    const h = await setup();
    const acme = await h.tenant();
    for (let i = 0; i < 5000; i += 100) {
      const batch = Array.from({ length: 100 }, (_, j) => ({ event: "Row Imported", customerId: "cus_big", eventDate: iso(T0 - (i + j) * 1000) }));
      await h.post("/v1/api/events/bulk", acme, batch);
    }
    const document = JSON.parse((await raw(h, "/v1/api/customers/cus_big/export", acme)).text);
    expect(document.events).toHaveLength(5000);
    expect(document.customer.eventCount).toBe(5000);
  });

  test("bad by → 400; unknown customer → 404", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const bad = await h.get("/v1/api/customers/cus_1/export?by=name", acme);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ path: "/by", message: "by must be customerId, uid or email" }]);
    expect((await h.get("/v1/api/customers/cus_nobody/export", acme)).status).toBe(404);
  });
});
