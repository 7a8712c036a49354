// The read benchmark, one command: `bun bench/read.ts` (see bench/README.md).
// Fills a database through the real write path (`trackd dev seed`: 10M events, 100k customers
// by default), then measures every read route with wrk (server on core 0, wrk on core 1) and
// the export's throughput. Verdicts are absolute p95 targets from the issue, reported beside
// the ratio to /healthz on the same server in the same run, since absolute times drift here.
// A reused --db is migrated by the server on start, so it keeps up with the schema.
import { Database } from "bun:sqlite";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BINARY, machine, peakRss, requireTools, run, startTrackd, wrk } from "./harness";
import { readScript } from "./lua";
import type { WrkResult } from "./wrk";

const { values: flags } = parseArgs({
  options: {
    events: { type: "string", default: "10000000" },
    customers: { type: "string", default: "100000" },
    /** Keep the seeded database here and reuse it on the next run (seeding 10M events takes minutes). */
    db: { type: "string" },
    duration: { type: "string", default: "8" },
    warmup: { type: "string", default: "2" },
    // One client: p95 is then the route's own latency, not time spent queued behind others on
    // the server's single core (ingest under concurrent load is bench/run.ts's job).
    connections: { type: "string", default: "1" },
    "skip-build": { type: "boolean", default: false },
    /** Another binary to measure (e.g. a baseline, against the same --db); its results are printed, not written to results/. */
    binary: { type: "string" },
  },
});
const TRACKD = flags.binary ?? BINARY;
const DURATION = Number(flags.duration);
const WARMUP = Number(flags.warmup);
const CONNECTIONS = Number(flags.connections);

requireTools();
if (!flags["skip-build"]) run(["bun", "run", "build"]);
const work = mkdtempSync(join(tmpdir(), "trackd-read-bench-"));

interface ReadScenario {
  name: string;
  path: string;
  requestsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number };
  p95ToBaseline: number;
  errors: number;
  targetP95Ms?: number;
}

try {
  const db = flags.db ?? join(work, "read.db");
  const seeding = await seed(db);
  const { appId, apiKey, customerIds, topIds, eventName } = credentials(db);
  const server = await startTrackd(db, [], TRACKD);
  const oneYearAgo = new Date(Date.now() - 365 * 86_400_000).toISOString().slice(0, 10);
  const paths: [name: string, path: string, targetP95Ms?: number][] = [
    ["baseline: GET /healthz", "/healthz"],
    ["profile", "/v1/api/customers/{id}", 20],
    ["profile, top 1% customers", "/v1/api/customers/{top}", 20],
    ["list, default (-lastSeen)", "/v1/api/customers", 50],
    ...["lastSeen", "firstSeen", "-firstSeen", "eventCount", "-eventCount", "customerId", "-customerId"].map(
      (sort) => [`list, sort=${sort}`, `/v1/api/customers?sort=${sort}`, 50] as [string, string, number],
    ),
    ["list, q=prefix", "/v1/api/customers?q={prefix}", 50],
    ["list, attr.plan=pro", "/v1/api/customers?attr.plan=pro", 50],
    ["list, event=NAME", `/v1/api/customers?event=${encodeURIComponent(eventName)}`, 50],
    ["list, activeSince 7 days", `/v1/api/customers?activeSince=${new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10)}`, 50],
    ["timeline page", "/v1/api/customers/{id}/events", 20],
    ["timeline page, top 1% customers", "/v1/api/customers/{top}/events", 20],
    ["activity, 12 weeks", "/v1/api/customers/{id}/activity?interval=week"],
    ["metrics, 12 months", `/v1/api/metrics/events?interval=month&from=${oneYearAgo}`],
    ["metrics, 30 days", "/v1/api/metrics/events"],
    ["event names", "/v1/api/events/names"],
  ];
  const reads: ReadScenario[] = [];
  for (const [name, path, targetP95Ms] of paths) {
    console.error(`-- ${name}: ${path}`);
    const script = scriptFor(path, appId, apiKey, customerIds, topIds);
    await wrk(server.port, script, WARMUP, CONNECTIONS, work);
    const result = await wrk(server.port, script, DURATION, CONNECTIONS, work);
    const baseline = reads[0]?.latencyMs.p95 ?? result.p95Ms!;
    reads.push(scenario(name, path, result, baseline, targetP95Ms));
  }
  const exportRun = await measureExport(server.port, appId, apiKey, db);
  const serverPeakRssMb = peakRss(server.pid);
  await server.stop();
  const cli = measureCliExport(db, appId);

  const report = {
    date: new Date().toISOString(),
    machine: machine("server on core 0, wrk on core 1 (taskset); export read by the bench process on any core"),
    settings: { durationSeconds: DURATION, warmupSeconds: WARMUP, connections: CONNECTIONS },
    data: seeding,
    reads,
    export: { ...exportRun, cli, serverPeakRssMb },
    targets: [
      ...reads.filter((r) => r.targetP95Ms).map((r) => ({ target: `${r.name}: p95 < ${r.targetP95Ms} ms`, value: r.latencyMs.p95, met: r.latencyMs.p95 < r.targetP95Ms! })),
      { target: "export ≥ 200k events/s (HTTP)", value: exportRun.eventsPerSecond, met: exportRun.eventsPerSecond >= 200_000 },
    ],
  };
  if (!flags.binary) {
    writeFileSync(join(import.meta.dir, "results", "read.json"), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(import.meta.dir, "results", "read.md"), markdown(report));
  }
  console.log(markdown(report));
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Seeds the database unless it already holds an app with events (a reused --db). */
async function seed(db: string) {
  if (existsSync(db)) {
    const sqlite = new Database(db, { readonly: true });
    const events = (sqlite.query("select count(*) as n from events").get() as { n: number }).n;
    const customers = (sqlite.query("select count(*) as n from customers").get() as { n: number }).n;
    sqlite.close();
    if (events > 0) return { events, customers, seededNow: false };
  }
  const { appId } = JSON.parse(run([TRACKD, "apps", "create", "--name", "read-bench", "--json", "--db", db]));
  console.error(`-- seeding ${flags.events} events for ${flags.customers} customers (trackd dev seed)`);
  const output = run([TRACKD, "dev", "seed", "--app", appId, "--events", flags.events!, "--customers", flags.customers!, "--db", db]);
  console.error(output.trim());
  return { events: Number(flags.events), customers: Number(flags.customers), seededNow: true, seedOutput: output.trim() };
}

/** A fresh key for the seeded app, customer ids to draw from, and the most common event name. */
function credentials(db: string) {
  const [app] = JSON.parse(run([TRACKD, "apps", "list", "--json", "--db", db]));
  const { apiKey } = JSON.parse(run([TRACKD, "keys", "create", "--app", app.appId, "--scope", "read", "--json", "--db", db]));
  const sqlite = new Database(db, { readonly: true });
  const ids = (sql: string) => (sqlite.query(sql).all() as { id: string }[]).map((row) => row.id);
  const customerIds = ids("select customer_id as id from customers where customer_id is not null");
  const topIds = ids(`select customer_id as id from customers where customer_id is not null order by event_count desc limit ${Math.max(1, Math.floor(customerIds.length / 100))}`);
  const eventName = (sqlite.query("select event from app_event_stats order by count desc limit 1").get() as { event: string }).event;
  sqlite.close();
  return { appId: app.appId as string, apiKey: apiKey as string, customerIds, topIds, eventName };
}

function scriptFor(path: string, appId: string, apiKey: string, customerIds: string[], topIds: string[]): string {
  if (path.includes("{top}")) return readScript(appId, apiKey, path.replace("{top}", "{id}"), topIds);
  // q: the first 6 characters of a customer id, so each search matches a handful of customers.
  if (path.includes("{prefix}")) return readScript(appId, apiKey, path.replace("{prefix}", "{id}"), [...new Set(customerIds.map((id) => id.slice(0, 6)))]);
  return readScript(appId, apiKey, path, customerIds);
}

function scenario(name: string, path: string, result: WrkResult, baselineP95: number, targetP95Ms?: number): ReadScenario {
  const p95 = result.p95Ms!;
  return {
    name,
    path,
    requestsPerSecond: Math.round(result.requestsPerSecond),
    latencyMs: { p50: result.p50Ms, p95, p99: result.p99Ms },
    p95ToBaseline: Math.round((p95 / baselineP95) * 10) / 10,
    errors: result.errors,
    ...(targetP95Ms ? { targetP95Ms } : {}),
  };
}

/**
 * GET /v1/api/export of the whole app, read to the end by this process. The baseline is the
 * same rows read straight from SQLite in this process (the floor for any export), in the same run.
 */
async function measureExport(port: number, appId: string, apiKey: string, db: string) {
  console.error("-- export: GET /v1/api/export (NDJSON), whole app");
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${port}/v1/api/export`, { headers: { "x-ck-api-key": apiKey, "x-ck-app": appId } });
  let bytes = 0;
  let lines = 0;
  for await (const chunk of response.body!) {
    bytes += chunk.length;
    // indexOf, not a byte loop: counting 3 GB byte by byte in JS was slower than the server.
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  const seconds = (performance.now() - started) / 1000;

  console.error("-- export baseline: the same rows read straight from SQLite");
  const sqlite = new Database(db, { readonly: true });
  // A --binary from before migration 0013 keys events by the app's text id: read its database in its own index's order.
  const appColumn = sqlite.query("select 1 from pragma_table_info('events') where name = 'app_pk'").get() ? "app_pk" : "app_id";
  const rawStarted = performance.now();
  let rows = 0;
  for (const _ of sqlite.query(`select e.*, c.customer_id, c.uid, c.email from events e join customers c on c.pk = e.customer_pk order by e.${appColumn}, e.event_date, e.seq`).iterate()) rows++;
  const rawSeconds = (performance.now() - rawStarted) / 1000;
  sqlite.close();
  return {
    events: lines,
    megabytes: Math.round(bytes / 2 ** 20),
    seconds: Math.round(seconds * 10) / 10,
    eventsPerSecond: Math.round(lines / seconds),
    baselineRawSqliteEventsPerSecond: Math.round(rows / rawSeconds),
    ratioToBaseline: Math.round((lines / seconds / (rows / rawSeconds)) * 100) / 100,
  };
}

function measureCliExport(db: string, appId: string) {
  console.error("-- export: trackd export --out FILE");
  const out = join(work, "export.ndjson");
  const started = performance.now();
  run([TRACKD, "export", "--app", appId, "--out", out, "--db", db]);
  const seconds = (performance.now() - started) / 1000;
  const events = Number(run(["wc", "-l", out]).trim().split(" ")[0]);
  return { events, seconds: Math.round(seconds * 10) / 10, eventsPerSecond: Math.round(events / seconds) };
}

function markdown(report: {
  date: string;
  machine: ReturnType<typeof machine>;
  settings: { durationSeconds: number; warmupSeconds: number; connections: number };
  data: { events: number; customers: number };
  reads: ReadScenario[];
  export: Awaited<ReturnType<typeof measureExport>> & { cli: ReturnType<typeof measureCliExport>; serverPeakRssMb: number };
  targets: { target: string; value: number; met: boolean }[];
}): string {
  const e = report.export;
  return [
    `# Read benchmark, ${report.date.slice(0, 10)}`,
    "",
    `${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGb} GB, Bun ${report.machine.bun}; ${report.machine.pinning}.`,
    `${report.data.events.toLocaleString("en")} events, ${report.data.customers.toLocaleString("en")} customers (trackd dev seed). wrk, ${report.settings.connections} connections, ${report.settings.warmupSeconds} s warm-up, ${report.settings.durationSeconds} s measured per route; customers drawn at random.`,
    "",
    "| route | req/s | p50 ms | p95 ms | p99 ms | p95 / baseline | errors |",
    "|---|---|---|---|---|---|---|",
    ...report.reads.map(
      (r) => `| ${r.name} | ${r.requestsPerSecond.toLocaleString("en")} | ${r.latencyMs.p50} | ${r.latencyMs.p95} | ${r.latencyMs.p99} | ${r.p95ToBaseline} | ${r.errors} |`,
    ),
    "",
    `Export over HTTP: ${e.events.toLocaleString("en")} events (${e.megabytes} MB NDJSON) in ${e.seconds} s, ${e.eventsPerSecond.toLocaleString("en")} events/s; reading the same rows straight from SQLite: ${e.baselineRawSqliteEventsPerSecond.toLocaleString("en")} rows/s (ratio ${e.ratioToBaseline}). Server peak RSS over the whole run: ${e.serverPeakRssMb} MB.`,
    `trackd export (CLI): ${e.cli.events.toLocaleString("en")} events in ${e.cli.seconds} s, ${e.cli.eventsPerSecond.toLocaleString("en")} events/s.`,
    "",
    "| target | value | met |",
    "|---|---|---|",
    ...report.targets.map((t) => `| ${t.target} | ${t.value} | ${t.met ? "yes" : "**no**"} |`),
    "",
  ].join("\n");
}
