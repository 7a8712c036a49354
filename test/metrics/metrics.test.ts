// App-wide metrics (GET /v1/api/metrics/events) and the names seen (GET /v1/api/events/names).
import { describe, expect, test } from "bun:test";
import { T0, setup, type Harness, type Tenant } from "../helpers";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
// T0 is Thursday 2026-01-15 12:00 UTC.

async function send(h: Harness, tenant: Tenant, events: [event: string, customerId: string, daysAgo: number][]) {
  const body = events.map(([event, customerId, daysAgo]) => ({ event, customerId, eventDate: iso(T0 - daysAgo * DAY) }));
  const res = await h.post("/v1/api/events/bulk", tenant, body);
  expect(res.status).toBe(201);
}

describe("GET /v1/api/metrics/events", () => {
  test("per day: events by name and distinct active customers, zero-filled, last 30 days by default", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await send(h, acme, [
      ["Report Created", "cus_1", 0],
      ["Report Created", "cus_1", 0],
      ["App Opened", "cus_2", 0],
      ["App Opened", "cus_1", 1],
      ["App Opened", "cus_3", 45], // outside the default range
    ]);
    const res = await h.get("/v1/api/metrics/events", acme);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ interval: "day", event: null, from: "2025-12-17T00:00:00.000Z", to: "2026-01-16T00:00:00.000Z" });
    expect(res.body.series).toHaveLength(30);
    expect(res.body.total).toBe(4);
    expect(res.body.totals).toEqual({ "Report Created": 2, "App Opened": 2 });
    expect(res.body.series.at(-1)).toEqual({
      start: "2026-01-15T00:00:00.000Z",
      events: 3,
      activeCustomers: 2,
      byEvent: { "Report Created": 2, "App Opened": 1 },
    });
    expect(res.body.series.at(-2)).toEqual({ start: "2026-01-14T00:00:00.000Z", events: 1, activeCustomers: 1, byEvent: { "App Opened": 1 } });
    expect(res.body.series[0]).toEqual({ start: "2025-12-17T00:00:00.000Z", events: 0, activeCustomers: 0, byEvent: {} });
  });

  test("per week (Monday UTC) and month: a customer active on several days counts once per bucket", async () => {
    const h = await setup();
    const acme = await h.tenant();
    // Thursday the 15th and Monday the 12th are one week; Sunday the 11th the week before.
    await send(h, acme, [
      ["App Opened", "cus_1", 0],
      ["App Opened", "cus_1", 3],
      ["App Opened", "cus_2", 4],
      ["App Opened", "cus_1", 20],
    ]);
    const weeks = await h.get("/v1/api/metrics/events?interval=week&from=2026-01-05&to=2026-01-19", acme);
    expect(weeks.status).toBe(200);
    expect(weeks.body.series).toEqual([
      { start: "2026-01-05T00:00:00.000Z", events: 1, activeCustomers: 1, byEvent: { "App Opened": 1 } },
      { start: "2026-01-12T00:00:00.000Z", events: 2, activeCustomers: 1, byEvent: { "App Opened": 2 } },
    ]);
    const months = await h.get("/v1/api/metrics/events?interval=month&from=2025-12-01", acme);
    expect(months.body.series).toEqual([
      { start: "2025-12-01T00:00:00.000Z", events: 1, activeCustomers: 1, byEvent: { "App Opened": 1 } },
      { start: "2026-01-01T00:00:00.000Z", events: 3, activeCustomers: 2, byEvent: { "App Opened": 3 } },
    ]);
  });

  test("event=NAME narrows the counts and the active customers to that event", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await send(h, acme, [
      ["Report Created", "cus_1", 0],
      ["App Opened", "cus_2", 0],
      ["App Opened", "cus_3", 0],
    ]);
    const res = await h.get("/v1/api/metrics/events?event=App%20Opened&from=2026-01-15", acme);
    expect(res.body.event).toBe("App Opened");
    expect(res.body.series).toEqual([{ start: "2026-01-15T00:00:00.000Z", events: 2, activeCustomers: 2, byEvent: { "App Opened": 2 } }]);
  });

  test("erasing a customer takes its events out of the metrics", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await send(h, acme, [
      ["App Opened", "cus_1", 0],
      ["App Opened", "cus_2", 0],
    ]);
    expect((await h.call("DELETE", "/v1/api/customers/cus_1", { as: acme })).status).toBe(200);
    const res = await h.get("/v1/api/metrics/events?from=2026-01-15", acme);
    expect(res.body.series).toEqual([{ start: "2026-01-15T00:00:00.000Z", events: 1, activeCustomers: 1, byEvent: { "App Opened": 1 } }]);
  });

  const errors: [string, string, string][] = [
    ["interval=hour", "/interval", "interval must be day, week or month"],
    ["from=2026-13-01", "/from", "from 2026-13-01 is not a calendar date"],
    ["from=2026-01-10&to=2026-01-09", "/to", "to must not be before from"],
    ["from=2020-01-01&to=2026-01-01", "/from", "more than 1000 days between from and to; narrow the range or use a longer interval"],
    ["event=", "/event", "event must be 1 to 255 characters"],
    ["limit=3", "/limit", "limit is not a known field"],
  ];
  test.each(errors)("%s → 400 naming %s", async (query, path, message) => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.get(`/v1/api/metrics/events?${query}`, acme);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path, message }]);
  });

  test("app B's metrics never include app A's events", async () => {
    const h = await setup();
    const a = await h.tenant("a");
    const b = await h.tenant("b");
    await send(h, a, [["App Opened", "cus_1", 0]]);
    await send(h, b, [["Report Created", "cus_1", 0]]);
    const res = await h.get("/v1/api/metrics/events?from=2026-01-15", b);
    expect(res.body.totals).toEqual({ "Report Created": 1 });
    expect(res.body.series[0].activeCustomers).toBe(1);
  });
});

describe("GET /v1/api/events/names", () => {
  test("every name with its count and first/last seen, most frequent first, checked against the convention", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await send(h, acme, [
      ["Report Created", "cus_1", 5],
      ["Report Created", "cus_2", 1],
      ["Report Created", "cus_2", 2],
      ["report_created", "cus_1", 0],
      ["reportCreated", "cus_1", 0],
      ["Dashboard  Viewed", "cus_1", 0],
      ["Dashboard-Viewed", "cus_1", 0],
      ["Login", "cus_1", 0],
      ["GitHub Connected", "cus_1", 0],
    ]);
    const res = await h.get("/v1/api/events/names", acme);
    expect(res.status).toBe(200);
    expect(res.body.nonConventional).toBe(5);
    const byName = Object.fromEntries(res.body.names.map((n: { event: string }) => [n.event, n]));
    expect(res.body.names[0]).toEqual({
      event: "Report Created",
      count: 3,
      customers: 2,
      firstSeen: iso(T0 - 5 * DAY),
      lastSeen: iso(T0 - DAY),
      conventional: true,
      problems: [],
      similarTo: ["reportCreated", "report_created"],
    });
    const rules = (name: string) => byName[name].problems.map((problem: { rule: string }) => problem.rule);
    expect(rules("report_created")).toEqual(["snake_case", "not_capitalized"]);
    expect(rules("reportCreated")).toEqual(["camel_case", "not_capitalized"]);
    expect(rules("Dashboard  Viewed")).toEqual(["whitespace"]);
    expect(rules("Dashboard-Viewed")).toEqual(["kebab_case"]);
    expect(rules("Login")).toEqual(["single_word"]);
    expect(rules("GitHub Connected")).toEqual([]);
    expect(byName["Dashboard-Viewed"].similarTo).toEqual(["Dashboard  Viewed"]);
    expect(byName.Login.problems[0].message).toBe('names an object and an action, e.g. "Report Created"');
  });

  test("erasing a customer lowers the counts, moves first/last seen and drops names only it used", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await send(h, acme, [
      ["Report Created", "cus_1", 9],
      ["Report Created", "cus_2", 4],
      ["Report Created", "cus_1", 0],
      ["Only One", "cus_1", 0],
    ]);
    expect((await h.call("DELETE", "/v1/api/customers/cus_1", { as: acme })).status).toBe(200);
    const res = await h.get("/v1/api/events/names", acme);
    expect(res.body.names).toEqual([
      expect.objectContaining({ event: "Report Created", count: 1, firstSeen: iso(T0 - 4 * DAY), lastSeen: iso(T0 - 4 * DAY) }),
    ]);
  });

  test("takes no parameters; another app's names are never listed", async () => {
    const h = await setup();
    const a = await h.tenant("a");
    const b = await h.tenant("b");
    await send(h, a, [["App Opened", "cus_1", 0]]);
    const bad = await h.get("/v1/api/events/names?limit=5", a);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ path: "/limit", message: "limit is not a known field" }]);
    expect((await h.get("/v1/api/events/names", b)).body).toEqual({ names: [], nonConventional: 0 });
  });
});

describe("GET /v1/api/metrics/health", () => {
  test("counts customers per grade from their stored scores, the unscored apart, this app only", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const other = await h.tenant("other");
    await send(h, acme, [["A", "c1", 0], ["A", "c2", 0], ["A", "c3", 0], ["A", "c4", 0], ["A", "c5", 0]]);
    await send(h, other, [["A", "o1", 0]]);
    const scores: Record<string, number> = { c1: 100, c2: 70, c3: 69, c4: 39 };
    for (const [customerId, score] of Object.entries(scores)) {
      await h.sql.run("update customers set health_score = ? where customer_id = ? and app_id = ?", score, customerId, acme.appId);
    }
    await h.sql.run("update customers set health_score = 0 where app_id = ?", other.appId);
    const res = await h.get("/v1/api/metrics/health", acme);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ customers: 5, grades: { healthy: 2, watch: 1, at_risk: 1 }, unscored: 1 });
  });
});
