// Data retention: events past an app's horizon vanish from every route and export, the per-day
// counts go with them, the all-time figures stay, and a large purge never keeps ingestion waiting.
import { describe, expect, test } from "bun:test";
import { createRetentionPass } from "../../src/retention/pass";
import { setup, T0, type Harness, type Tenant } from "../helpers";
import { basicAuth } from "../segment/support";

// T0 is 2026-01-15 12:00 UTC: with 30 days, history starts at 2025-12-16 00:00.
const HORIZON = "2025-12-16T00:00:00.000Z";
const OLD = ["2025-11-20", "2025-12-01", "2025-12-15T23:59:59Z"];
const KEPT = ["2025-12-16", "2026-01-10", "2026-01-15T08:00:00Z"];

async function seed(h: Harness, acme: Tenant) {
  const dates = [...OLD, ...KEPT];
  const res = await h.post(
    "/v1/api/events/bulk",
    acme,
    dates.map((eventDate, i) => ({ event: i % 2 ? "Report Exported" : "App Opened", customerId: "cus_1", eventDate })),
  );
  expect(res.status).toBe(201);
  // A second customer that only has old events: it stays, with its all-time figures.
  await h.post("/v1/api/events/new", acme, { event: "App Opened", customerId: "cus_old", eventDate: "2025-11-02" });
}

const dayRows = async (h: Harness, table: string) =>
  (await h.sql.get(`select count(*) as n from ${table} where day < ${Date.parse(HORIZON) / 86_400_000}`) as { n: number }).n;

describe("retention", () => {
  test("past the horizon, events leave every route and export; all-time figures stay", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seed(h, acme);
    const before = (await h.get("/v1/api/customers/cus_1", acme)).body;
    (await h.apps.updateSettings(acme.appId, { retentionDays: 30 }));
    const results = await createRetentionPass({ store: h.store, clock: () => h.clock.now, step: 2 }).run();
    expect(results).toMatchObject([{ appId: acme.appId, events: 4, horizon: Date.parse(HORIZON) }]);
    expect(results[0].steps).toBeGreaterThan(2); // the step size held: several jobs, not one
    expect(await h.count("events")).toBe(3);
    for (const table of ["customer_daily_counts", "customer_daily_totals", "app_daily_counts"]) expect(await dayRows(h, table)).toBe(0);

    const dates = (events: { eventDate: string }[]) => events.map((e) => e.eventDate.slice(0, 10)).sort();
    const kept = ["2025-12-16", "2026-01-10", "2026-01-15"];
    const list = (await h.get("/v1/api/events", acme)).body;
    expect(dates(list.events)).toEqual(kept);
    expect(list.retainedSince).toBe(HORIZON);
    const own = (await h.get("/v1/api/customers/cus_1/events", acme)).body;
    expect([dates(own.events), own.retainedSince]).toEqual([kept, HORIZON]);
    const timeline = (await h.get("/v1/api/customers/cus_1/timeline", acme)).body;
    expect(timeline.items.length).toBe(3);
    expect(timeline.retainedSince).toBe(HORIZON);

    const profile = (await h.get("/v1/api/customers/cus_1", acme)).body;
    expect(dates(profile.recentEvents)).toEqual(kept);
    expect(profile.retainedSince).toBe(HORIZON);
    // All-time figures are kept on purpose (README, "Data retention").
    expect([profile.eventCount, profile.firstSeen]).toEqual([before.eventCount, before.firstSeen]);
    expect(profile.eventCounts).toEqual(before.eventCounts);
    expect((await h.get("/v1/api/customers/cus_old", acme)).body).toMatchObject({ eventCount: 1, recentEvents: [] });

    // Windowed counts hold exactly what remains.
    const activity = (await h.get("/v1/api/customers/cus_1/activity?from=2025-11-01", acme)).body;
    expect([activity.total, activity.retainedSince]).toEqual([3, HORIZON]);
    const metrics = (await h.get("/v1/api/metrics/events?from=2025-11-01", acme)).body;
    expect([metrics.total, metrics.retainedSince]).toEqual([3, HORIZON]);
    expect(metrics.series.filter((point: { start: string; activeCustomers: number }) => point.start < HORIZON && point.activeCustomers > 0)).toEqual([]);

    const ndjson = await h.get("/v1/api/export", acme);
    expect(ndjson.headers.get("x-trackd-retained-since")).toBe(HORIZON);
    expect(dates((ndjson.body as string).trim().split("\n").map((line) => JSON.parse(line)))).toEqual(kept);
    const dsar = await h.get("/v1/api/customers/cus_1/export", acme);
    const document = typeof dsar.body === "string" ? JSON.parse(dsar.body) : dsar.body;
    expect([dates(document.events), document.retainedSince]).toEqual([kept, HORIZON]);
  });

  test("reads hide events past the horizon before the purge has run", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seed(h, acme);
    (await h.apps.updateSettings(acme.appId, { retentionDays: 30 }));
    expect((await h.get("/v1/api/events", acme)).body.events).toHaveLength(3);
    expect(((await h.get("/v1/api/export", acme)).body as string).trim().split("\n")).toHaveLength(3);
    expect(await h.count("events")).toBe(7); // still stored until the pass
  });

  test("an event dated before the horizon is refused by name, and nothing of its request is stored", async () => {
    const h = await setup();
    const acme = await h.tenant();
    (await h.apps.updateSettings(acme.appId, { retentionDays: 30 }));
    const message = `eventDate is before ${HORIZON}: this app keeps events for 30 days`;
    const single = await h.post("/v1/api/events/new", acme, { event: "Old", customerId: "c1", eventDate: "2025-12-15" });
    expect([single.status, single.body.error.details]).toEqual([400, [{ path: "/eventDate", message }]]);
    const bulk = await h.post("/v1/api/events/bulk", acme, [
      { event: "Kept", customerId: "c1", eventDate: "2025-12-16" },
      { event: "Old", customerId: "c1", eventDate: "2025-12-15T23:59:59Z" },
    ]);
    expect([bulk.status, bulk.body.error.details]).toEqual([400, [{ index: 1, field: "eventDate", path: "/1/eventDate", message }]]);
    const browser = await h.call("POST", "/v1/api/events/client", { body: { appId: acme.appId, customerId: "c1", event: "Old", eventDate: "2025-11-01" } });
    expect([browser.status, browser.body.error.details]).toEqual([400, [{ path: "/eventDate", message }]]);
    expect(await h.count("events")).toBe(0);
    expect((await h.post("/v1/api/events/new", acme, { event: "Kept", customerId: "c1", eventDate: "2025-12-16" })).status).toBe(201);
  });

  test("a Segment message dated before the horizon is rejected on its own; its neighbour is stored", async () => {
    const h = await setup();
    const acme = await h.tenant();
    (await h.apps.updateSettings(acme.appId, { retentionDays: 30 }));
    const batch = [
      { type: "track", userId: "u_1", event: "Old", timestamp: "2025-12-15T23:59:59Z" },
      { type: "track", userId: "u_1", event: "Kept", timestamp: "2025-12-16T00:00:00Z" },
    ];
    const res = await h.call("POST", "/v1/batch", { headers: basicAuth(acme.apiKey), body: { batch } });
    expect(res.status).toBe(200);
    expect(res.body.rejected).toEqual([
      {
        index: 0,
        code: "date_out_of_range",
        field: "timestamp",
        path: "/batch/0/timestamp",
        message: `timestamp is before the app's retention horizon: this app keeps events from ${HORIZON} on (--retention-days)`,
        type: "track",
      },
    ]);
    expect(await h.count("events")).toBe(1);
  });

  test("without a retention period nothing is purged and retainedSince is null", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seed(h, acme);
    expect(await createRetentionPass({ store: h.store, clock: () => h.clock.now }).run()).toEqual([]);
    expect(await h.count("events")).toBe(7);
    expect((await h.get("/v1/api/events", acme)).body.retainedSince).toBeNull();
  });

  test("only the app with retention loses events", async () => {
    const h = await setup();
    const [acme, other] = [await h.tenant("acme"), await h.tenant("other")];
    await seed(h, acme);
    await seed(h, other);
    (await h.apps.updateSettings(acme.appId, { retentionDays: 30 }));
    await createRetentionPass({ store: h.store, clock: () => h.clock.now }).run();
    expect(await h.count("events", `app_pk = (select pk from apps where id = '${acme.appId}')`)).toBe(3);
    expect(await h.count("events", `app_pk = (select pk from apps where id = '${other.appId}')`)).toBe(7);
  });

  test("ingestion commits while a large purge is still running", async () => {
    const h = await setup();
    const acme = await h.tenant();
    for (let chunk = 0; chunk < 20; chunk++) {
      const old = Array.from({ length: 100 }, (_, i) => ({ event: "App Opened", customerId: `cus_${i % 7}`, eventDate: T0 - (40 + chunk) * 86_400_000 }));
      expect((await h.post("/v1/api/events/bulk", acme, old)).status).toBe(201);
    }
    (await h.apps.updateSettings(acme.appId, { retentionDays: 30 }));
    let purgeDone = false;
    const purge = createRetentionPass({ store: h.store, clock: () => h.clock.now, step: 10 })
      .run()
      .then((results) => ((purgeDone = true), results));
    // Sent after the purge began: each is answered long before the purge's 200-odd steps end (small steps: on PostgreSQL a step is a quick transaction too).
    const seen: { oldLeft: number; purgeDone: boolean }[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await h.post("/v1/api/events/new", acme, { event: "Live", customerId: "cus_live" });
      expect(res.status).toBe(201);
      seen.push({ oldLeft: await h.count("events", "event = 'App Opened'"), purgeDone });
    }
    expect(seen.every((s) => !s.purgeDone && s.oldLeft > 0)).toBe(true);
    expect(seen[0].oldLeft).toBeLessThan(2000); // the purge had started
    const [result] = await purge;
    expect(result.events).toBe(2000);
    expect(await h.count("events")).toBe(3);
  });
});

describe("trackd apps update --retention-days", () => {
  test("sets, shows and removes an app's retention period; refuses a bad one", async () => {
    const { scratch, ok, trackd, createAppJson, removeScratches } = await import("../support/cli");
    const s = await scratch();
    try {
      const { appId } = createAppJson(s, "acme");
      expect(JSON.parse(ok(["apps", "update", appId, "--retention-days", "90", "--json"], s).stdout).retentionDays).toBe(90);
      expect(ok(["apps", "list"], s).stdout).toContain("raw events kept 90 days");
      expect(JSON.parse(ok(["apps", "update", appId, "--no-retention", "--json"], s).stdout).retentionDays).toBeNull();
      for (const bad of ["0", "1.5", "forever", "36501"]) {
        const result = trackd(["apps", "update", appId, "--retention-days", bad, "--db", s.db], { cwd: s.dir });
        expect([result.code, result.stderr]).toEqual([2, expect.stringContaining("--retention-days must be a whole number of days from 1 to 36500")]);
      }
    } finally {
      await removeScratches();
    }
  }, 30_000); // six processes: slow on a loaded machine
});
