// The health scoring pass at scale, one command: `bun bench/health.ts` (see bench/README.md).
// Seeds a database with `trackd dev seed` (100k customers, 2M events by default) unless --db
// names one that has events, gives a share of the customers synthetic subscriptions and
// payments (written straight to SQLite, marked provider "bench"), then times in this process:
// the pass (first on unscored customers, then in steady state) with the longest time it held
// the event loop, the profile's live health, and the list's health and billing sorts/filters.
import { Database } from "bun:sqlite";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createHttpApp } from "../src/app";
import { createAppsService } from "../src/apps/service";
import { openMigratedDatabase } from "../src/db";
import { silentLogger } from "../src/log";
import { createHealthPass } from "../src/scoring/pass";
import { createScoringService } from "../src/scoring/service";
import { Writer } from "../src/store/writer";
import { machine, ROOT, run } from "./harness";
import { createSqliteStore } from "../src/store/sqlite/store";
import type { Store } from "../src/store/types";

const { values: flags } = parseArgs({
  options: {
    events: { type: "string", default: "2000000" },
    customers: { type: "string", default: "100000" },
    /** Reuse (and keep) this database; seeded first if it has no events. */
    db: { type: "string" },
    runs: { type: "string", default: "3" },
    /** Share of customers given a subscription. */
    billing: { type: "string", default: "0.4" },
    samples: { type: "string", default: "300" },
  },
});
const work = mkdtempSync(join(tmpdir(), "trackd-health-bench-"));
const DAY = 86_400_000;

try {
  const path = flags.db ?? join(work, "health.db");
  const data = seed(path);
  const db = openMigratedDatabase(path); // durability full, as the server runs by default
  const billing = addBilling(db.$client, Number(flags.billing));
  const appId = (db.$client.query("select id from apps order by created_at limit 1").get() as { id: string }).id;
  const ids = (db.$client.query("select customer_id as id from customers where app_id = ? and customer_id is not null").all(appId) as { id: string }[]).map((row) => row.id);
  const writer = new Writer(db.$client);
  const store = createSqliteStore({ db, writer, clock: Date.now });
  const pass = createHealthPass({ store, clock: Date.now });

  // Unscored, as after the upgrade that adds scoring: the first pass writes every customer.
  db.$client.run("update customers set health_score = null");
  db.$client.run("delete from app_health_runs");
  const fallback = await timeProfileFallback(store, db, appId);
  const passes = [];
  for (let i = 0; i < Number(flags.runs); i++) passes.push(await timePass(() => pass.run({ appId })));
  const reads = await timeReads(store, appId, ids);

  const report = { date: new Date().toISOString(), machine: machine("none (in process)"), data: { ...data, ...billing }, passes, profileWithoutStoredMedianMs: fallback, reads };
  writeFileSync(join(import.meta.dir, "results", "health.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(import.meta.dir, "results", "health.md"), markdown(report));
  console.log(markdown(report));
  writer.close();
  db.$client.close();
} finally {
  rmSync(work, { recursive: true, force: true });
}

function seed(path: string) {
  if (existsSync(path)) {
    const sqlite = new Database(path, { readonly: true });
    const count = (table: string) => (sqlite.query(`select count(*) as n from ${table}`).get() as { n: number }).n;
    const found = { events: count("events"), customers: count("customers"), users: count("users") };
    sqlite.close();
    if (found.events > 0) return { ...found, seededNow: false };
  }
  const trackd = [process.execPath, join(ROOT, "src", "index.ts")];
  const { appId } = JSON.parse(run([...trackd, "apps", "create", "--name", "health-bench", "--json", "--db", path]));
  console.error(`-- seeding ${flags.events} events for ${flags.customers} customers (trackd dev seed)`);
  console.error(run([...trackd, "dev", "seed", "--app", appId, "--events", flags.events!, "--customers", flags.customers!, "--db", path]).trim());
  return { events: Number(flags.events), customers: Number(flags.customers), seededNow: true };
}

/**
 * A subscription for `share` of the customers, statuses in a plausible mix, seats from the
 * customer's user count, one payment each (the latest failed for the past-due ones). Skipped
 * when a previous run added them.
 */
function addBilling(client: Database, share: number) {
  const existing = (client.query("select count(*) as n from subscriptions where provider = 'bench'").get() as { n: number }).n;
  if (existing > 0) return { subscriptions: existing, billingAddedNow: false };
  const now = Date.now();
  const statuses = ["active", "active", "active", "active", "active", "active", "trialing", "past_due", "canceled", "active"];
  const customers = client
    .query("select c.pk, c.app_id as appId, (select count(*) from users u where u.customer_pk = c.pk) as users from customers c")
    .all() as { pk: number; appId: string; users: number }[];
  const subscription = client.prepare(
    `insert into subscriptions (app_id, provider, subscription_id, customer_pk, status, plan, items, discounts, quantity, currency, mrr,
       trial_end, cancel_at_period_end, started_at, source_updated_at, created_at, updated_at)
     values (?, 'bench', ?, ?, ?, ?, '[]', '[]', ?, 'usd', ?, ?, ?, ?, ?, ?, ?)`,
  );
  const payment = client.prepare("insert into billing_events (app_id, customer_pk, provider, kind, occurred_at, detail) values (?, ?, 'bench', ?, ?, '{}')");
  const summary = client.prepare("update customers set mrr = ?, currency = 'usd', billing_status = ?, plan = ? where pk = ?");
  let added = 0;
  client.transaction(() => {
    for (const [i, customer] of customers.entries()) {
      if ((i * 0.6180339887) % 1 >= share) continue; // spread evenly, the same every run
      const status = statuses[i % statuses.length];
      const seats = Math.max(1, customer.users);
      const plan = seats > 1 ? "price_team" : "price_pro";
      const mrr = status === "active" || status === "past_due" ? seats * 1500 : 0;
      subscription.run(customer.appId, `sub_bench_${i}`, customer.pk, status, plan, seats, mrr, status === "trialing" ? now + (i % 12) * DAY : null,
        i % 23 === 0 ? 1 : 0, now - (i % 400) * DAY, now, now, now);
      payment.run(customer.appId, customer.pk, status === "past_due" ? "payment_failed" : "payment_succeeded", now - (i % 30) * DAY);
      summary.run(mrr, status, plan, customer.pk);
      added++;
    }
  })();
  return { subscriptions: added, billingAddedNow: true };
}

/** The pass, and the longest gap between two turns of the event loop while it ran. */
async function timePass(runPass: () => Promise<{ customersScored: number; changed: number; durationMs: number; medianBreadth: number }[]>) {
  let longest = 0;
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  const rssBefore = process.memoryUsage().rss;
  const [result] = await runPass();
  clearInterval(probe);
  return { ...result, longestEventLoopStallMs: round(longest), rssGrowthMb: Math.round((process.memoryUsage().rss - rssBefore) / 2 ** 20) };
}

/** Before any pass the profile works the app's median out itself: what that costs, once. */
async function timeProfileFallback(store: Store, db: ReturnType<typeof openMigratedDatabase>, appId: string): Promise<number> {
  const app = db.query.apps.findFirst({ where: (a, { eq }) => eq(a.id, appId) }).sync()!;
  const customer = db.query.customers.findFirst({ where: (c, { eq }) => eq(c.appId, appId) }).sync()!;
  const started = performance.now();
  await createScoringService(store).customerHealth(app, customer, Date.now());
  return round(performance.now() - started);
}

/** p50/p95 of the routes that show health, through app.handle (no HTTP server, no network). */
async function timeReads(store: Store, appId: string, ids: string[]) {
  const app = createHttpApp({ store, logger: silentLogger });
  const { apiKey } = (await createAppsService(store).createKey(appId, ["read"]))!;
  const headers = { "x-ck-api-key": apiKey, "x-ck-app": appId };
  const routes: [string, () => string][] = [
    ["profile (live health)", () => `/v1/api/customers/${encodeURIComponent(ids[Math.floor(Math.random() * ids.length)])}`],
    ...["health", "-health", "mrr", "-mrr"].map((sort) => [`list, sort=${sort}`, () => `/v1/api/customers?sort=${sort}`] as [string, () => string]),
    ...["health=at_risk", "health=watch", "health=at_risk&sort=-mrr", "health=healthy&sort=-eventCount", "status=past_due", "plan=price_team"].map(
      (filter) => [`list, ${filter}`, () => `/v1/api/customers?${filter}`] as [string, () => string],
    ),
  ];
  const results = [];
  for (const [name, path] of routes) {
    const times: number[] = [];
    for (let i = 0; i < Number(flags.samples) + 20; i++) {
      const started = performance.now();
      const response = await app.handle(new Request(`http://localhost${path()}`, { headers }));
      if (response.status !== 200) throw new Error(`${name}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
      if (i >= 20) times.push(performance.now() - started); // the first 20 warm up
    }
    times.sort((a, b) => a - b);
    results.push({ name, p50Ms: round(times[Math.floor(times.length / 2)]), p95Ms: round(times[Math.floor(times.length * 0.95)]) });
  }
  return results;
}

function markdown(report: {
  date: string;
  machine: ReturnType<typeof machine>;
  data: { events: number; customers: number; subscriptions: number };
  passes: Awaited<ReturnType<typeof timePass>>[];
  profileWithoutStoredMedianMs: number;
  reads: { name: string; p50Ms: number; p95Ms: number }[];
}): string {
  const { machine: m, data } = report;
  return [
    `# Health scoring benchmark, ${report.date.slice(0, 10)}`,
    "",
    `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, Bun ${m.bun}; in process, durability full.`,
    `${data.events.toLocaleString("en")} events, ${data.customers.toLocaleString("en")} customers, ${data.subscriptions.toLocaleString("en")} with a subscription.`,
    "",
    "| pass | customers | changed | ms | longest event-loop stall, ms | RSS growth, MB |",
    "|---|---|---|---|---|---|",
    ...report.passes.map((p, i) => `| ${i === 0 ? "first (unscored)" : `again (${i + 1})`} | ${p.customersScored.toLocaleString("en")} | ${p.changed.toLocaleString("en")} | ${p.durationMs} | ${p.longestEventLoopStallMs} | ${p.rssGrowthMb} |`),
    "",
    `Profile before any pass (the app's median worked out on the spot): ${report.profileWithoutStoredMedianMs} ms.`,
    "",
    "| read (app.handle) | p50 ms | p95 ms |",
    "|---|---|---|",
    ...report.reads.map((r) => `| ${r.name} | ${r.p50Ms} | ${r.p95Ms} |`),
    "",
  ].join("\n");
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
