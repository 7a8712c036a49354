// The scoring pass over a real database: it stores exactly what the live computation says, in
// several ranges, writes only what changed, records the run, and stops when asked.
import { describe, expect, test } from "bun:test";
import type { CustomerRow } from "../../src/db/schema";
import { createCustomersService } from "../../src/customers/service";
import { createSeeder } from "../../src/dev/seed";
import { createIngestService } from "../../src/ingest/service";
import { createHealthPass } from "../../src/scoring/pass";
import { gradeOf } from "../../src/scoring/score";
import { createScoringService, RANGE_SIZE } from "../../src/scoring/service";
import { T0, setup, type Harness, type Tenant } from "../helpers";
import { addPayment, addSubscription } from "./support";

const DAY = 86_400_000;
const STATUSES = ["active", "past_due", "trialing", "active", "canceled", "unpaid", "active"];

/** 2.5 ranges of customers through the real write path, and billing for every 5th of them. */
async function seeded(customers = Math.round(RANGE_SIZE * 2.5)) {
  const h = await setup();
  const acme = await h.tenant();
  const ingest = createIngestService({ store: h.store, clock: () => h.clock.now, customers: createCustomersService(h.store) });
  const seeder = createSeeder({ events: customers * 4, customers, days: 60, seed: 7, now: T0 });
  for (let batch = seeder.next(1000); batch.length > 0; batch = seeder.next(1000)) await ingest.recordEvents(acme.appId, batch, "bulk");
  const ids = (await h.sql.all("select customer_id as id from customers order by pk") as { id: string }[]).map((row) => row.id);
  for (const [i, id] of ids.entries()) {
    if (i % 5 !== 0) continue;
    const status = STATUSES[i % STATUSES.length];
    await addSubscription(h, acme.appId, id, { status, quantity: 1 + (i % 12), trialEnd: status === "trialing" ? T0 + (i % 9) * DAY : null, cancelAtPeriodEnd: i % 15 === 0 });
    if (i % 10 === 0) await addPayment(h, acme.appId, id, i % 20 === 0 ? "payment_failed" : "payment_succeeded", T0 - (i % 30) * DAY);
  }
  return { h, acme, customers };
}

/** The app's customer rows, by pk, through the store's own reads (health scores included). */
async function rows(h: Harness, appId: string): Promise<CustomerRow[]> {
  const pks = (await h.store.scores.customerPks(appId)).sort((a, b) => a - b);
  return Promise.all(pks.map(async (pk) => (await h.store.customers.byPk(pk))!));
}

const passFor = (h: Harness) => createHealthPass({ store: h.store, clock: () => h.clock.now });
const appRow = async (h: Harness, tenant: Tenant) => (await h.apps.findApp(tenant.appId))!;

describe("the scoring pass", () => {
  test("stores for every customer the score the profile computes live, and records the run", async () => {
    const { h, acme, customers } = await seeded();
    const [result] = await passFor(h).run();
    expect(result).toMatchObject({ appId: acme.appId, customersScored: customers, changed: customers });

    const live = createScoringService(h.store);
    const stored = await rows(h, acme.appId);
    const grades = new Set<string>();
    for (const customer of stored) {
      const health = await live.customerHealth(await appRow(h, acme), customer, h.clock.now);
      expect(customer.healthScore).toBe(health.score);
      grades.add(health.grade);
    }
    expect([...grades].sort()).toEqual(["at_risk", "healthy", "watch"]); // the fixture spans every grade

    const run = await h.sql.get("select * from app_health_runs");
    expect(run).toEqual({ app_id: acme.appId, median_breadth: result.medianBreadth, customers_scored: customers, duration_ms: result.durationMs, computed_at: T0 });
    expect(result.medianBreadth).toBeGreaterThan(0);

    // And over HTTP: the profile and the list say the same.
    const sample = stored[7];
    const profile = await h.get(`/v1/api/customers/${sample.customerId}`, acme);
    expect(profile.body.health.score).toBe(sample.healthScore!);
    const list = await h.get(`/v1/api/customers?q=${sample.customerId}`, acme);
    expect(list.body.customers[0].health).toEqual({ score: sample.healthScore, grade: gradeOf(sample.healthScore!) });
  });

  test("a second pass writes nothing; one customer's new activity rewrites only its score", async () => {
    const { h, acme } = await seeded(1200);
    const pass = passFor(h);
    await pass.run();
    const batches = h.batches();
    const [again] = await pass.run();
    expect(again.changed).toBe(0);
    expect(h.batches()).toBe(batches + 1); // only the run's own row

    const quiet = (await rows(h, acme.appId)).find((row) => row.healthScore! < 40 && row.lastSeen! < T0 - 30 * DAY)!;
    for (const event of ["Report Created", "Report Viewed", "Dashboard Viewed"]) {
      await h.post("/v1/api/events/new", acme, { event, customerId: quiet.customerId });
    }
    const [after] = await pass.run();
    expect(after.changed).toBe(1);
    const rescored = (await rows(h, acme.appId)).find((row) => row.pk === quiet.pk)!;
    expect(rescored.healthScore!).toBeGreaterThan(quiet.healthScore!);
  });

  test("each app with its own weights and median; --app scores only that one", async () => {
    const h = await setup();
    const [a, b] = [await h.tenant("a"), await h.tenant("b")];
    for (const tenant of [a, b]) await h.post("/v1/api/events/new", tenant, { event: "App Opened", customerId: "cus_1", eventDate: new Date(T0 - 10 * DAY).toISOString() });
    (await h.apps.updateSettings(b.appId, { healthWeights: { activity: 0, recency: 100, breadth: 0, seats: 0, billing: 0, trial: 0 } }));
    const only = await passFor(h).run({ appId: b.appId });
    expect(only.map((result) => result.appId)).toEqual([b.appId]);
    const scores = () => h.sql.all("select app_id as app, health_score as score from customers order by pk");
    expect(await scores()).toEqual([{ app: a.appId, score: null }, { app: b.appId, score: 67 }]); // recency alone: 1 − 10/30
    await passFor(h).run();
    expect(await scores()).toEqual([{ app: a.appId, score: 89 }, { app: b.appId, score: 67 }]); // (1×25 + 0.67×20 + 1×15) / 60
  });

  test("an aborted pass stops before its next range and records no run", async () => {
    const { h } = await seeded(1200);
    const stopping = new AbortController();
    stopping.abort();
    expect(await passFor(h).run({ signal: stopping.signal })).toEqual([]);
    expect(await h.count("customers", "health_score is not null")).toBe(0);
    expect(await h.sql.get("select count(*) as n from app_health_runs")).toEqual({ n: 0 });
  });

  test("an app without customers is recorded with nothing scored", async () => {
    const h = await setup();
    const empty = await h.tenant();
    expect(await passFor(h).run()).toEqual([{ appId: empty.appId, customersScored: 0, changed: 0, medianBreadth: 0, durationMs: expect.any(Number) }]);
  });
});
