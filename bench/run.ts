// The ingestion benchmark, one command: `bun bench/run.ts` (see bench/README.md).
// Builds the binary, then measures every scenario in ONE run with wrk: server pinned to core 0,
// load generator to core 1, warm-up first. Absolute numbers drift on shared machines, so the
// verdicts are ratios against a ceiling and a naive baseline measured in the same run.
// `--pg` adds trackd on PostgreSQL (1 node, then 2 nodes on one database) beside the SQLite figures.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BINARY, ROOT, cpuSeconds, freePort, machine, peakRss, requireTools, run, start, startTrackd, wrk as wrkIn, type ServerHandle } from "./harness";
import { runAb } from "./ab";
import { bulkScript, clientScript, profileReadScript, segmentBatchScript, singleScript } from "./lua";
import type { WrkResult } from "./wrk";

const { values: flags } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    connections: { type: "string", default: "64" },
    "skip-build": { type: "boolean", default: false },
    /** Another binary to A/B against dist/trackd, alternated (bench/ab.ts); only those scenarios then. */
    baseline: { type: "string" },
    rounds: { type: "string", default: "3" },
    /** Only the scenarios whose name contains this (e.g. "zipf, full"); repeatable. */
    only: { type: "string", multiple: true },
    /** Also trackd on PostgreSQL (needs Debian's postgresql; see .ci/postgres.sh). */
    pg: { type: "boolean", default: false },
  },
});
const DURATION = Number(flags.duration);
const WARMUP = Number(flags.warmup);
const CONNECTIONS = Number(flags.connections);
const wanted = (name: string) => flags.only === undefined || flags.only.some((part) => name.includes(part));

const RATIO_LABELS: Record<string, string> = {
  fullToCeiling: "trackd full / ceiling",
  normalToCeiling: "normal / ceiling",
  fullToNaive: "full / naive",
  clientToFull: "client (signed browser events) / full",
  segmentToBulk: "Segment /v1/batch / bulk (events/s)",
  pgFullToFull: "PostgreSQL full / SQLite full",
  pgBulkToBulk: "PostgreSQL bulk / SQLite bulk",
  pgSegmentToSegment: "PostgreSQL segment / SQLite segment",
  pgFull2To1: "PostgreSQL full, 2 nodes / 1 node",
  pgBulk2To1: "PostgreSQL bulk, 2 nodes / 1 node",
  pgSegment2To1: "PostgreSQL segment, 2 nodes / 1 node",
};

requireTools();
if (!flags["skip-build"]) run(["bun", "run", "build"]);

const work = mkdtempSync(join(tmpdir(), "trackd-bench-"));
const wrk = (port: number, script: string, seconds: number, connections: number) => wrkIn(port, script, seconds, connections, work);

interface Scenario {
  name: string;
  what: string;
  eventsPerRequest: number;
  requestsPerSecond: number;
  eventsPerSecond: number;
  /** With 2 nodes, the worse of the two wrk processes' percentiles. */
  latencyMs: { p50: number; p99: number };
  errors: number;
  /** Per trackd process (the largest with 2 nodes); PostgreSQL's memory is not in it. */
  peakRssMb: number;
  /** Of one core; on PostgreSQL, the nodes' and the database's processes together. */
  cpuPercent: number;
  reads?: WrkResult;
}

if (flags.baseline) {
  try {
    const table = await runAb({ candidate: BINARY, baseline: flags.baseline, rounds: Number(flags.rounds), duration: DURATION, warmup: WARMUP, connections: CONNECTIONS, work, only: flags.only });
    writeFileSync(join(import.meta.dir, "results", "ab.md"), table);
    console.log(table);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);
}

try {
  const results: Scenario[] = [];
  const creds = (db: string) => JSON.parse(run([BINARY, "apps", "create", "--name", "bench", "--json", "--db", db], work));

  if (wanted("ceiling")) {
    const ceiling = await start(["bun", join(import.meta.dir, "servers", "ceiling.ts")], (port) => [String(port)]);
    results.push(await measure("ceiling", "bare Bun.serve: parse JSON, answer 201", ceiling, singleScript("x", "x")));
  }

  if (wanted("naive")) {
    const naiveDb = join(work, "naive.db");
    const naive = await start(["bun", join(import.meta.dir, "servers", "naive.ts")], (port) => [String(port), naiveDb]);
    results.push(await measure("naive", "one INSERT per request, own transaction, synchronous=FULL", naive, singleScript("x", "x")));
  }

  // The headline: Zipf-distributed customers, as real products (and `trackd dev seed`) have them.
  for (const durability of ["full", "normal"]) {
    if (!wanted(`trackd ${durability}`)) continue;
    const db = join(work, `trackd-${durability}.db`);
    const { appId, apiKey } = creds(db);
    const server = await startTrackd(db, ["--durability", durability]);
    results.push(await measure(`trackd ${durability}`, `POST /v1/api/events/new, --durability=${durability}, Zipf customers`, server, singleScript(appId, apiKey, undefined, "zipf")));
  }

  if (wanted("trackd bulk")) {
    const db = join(work, "trackd-bulk.db");
    const { appId, apiKey } = creds(db);
    const server = await startTrackd(db, []);
    const what = "POST /v1/api/events/bulk, 100 events per request, full, Zipf customers in runs (a backfill)";
    results.push(await measure("trackd bulk", what, server, bulkScript(appId, apiKey, "runs"), 100));
  }

  // The worst case: no customer repeats within 10,000 events, so per-batch sums save nothing.
  if (wanted("trackd full, uniform")) {
    const db = join(work, "trackd-uniform.db");
    const { appId, apiKey } = creds(db);
    const server = await startTrackd(db, []);
    results.push(await measure("trackd full, uniform", "POST /v1/api/events/new, full, uniform customers (worst case)", server, singleScript(appId, apiKey)));
  }
  if (wanted("trackd bulk, uniform")) {
    const db = join(work, "trackd-bulk-uniform.db");
    const { appId, apiKey } = creds(db);
    const server = await startTrackd(db, []);
    results.push(await measure("trackd bulk, uniform", "POST /v1/api/events/bulk, 100 per request, full, uniform customers (worst case)", server, bulkScript(appId, apiKey), 100));
  }

  if (wanted("trackd segment")) {
    // Beside bulk, same events per request: what Segment's wire format and mapping cost.
    const db = join(work, "trackd-segment.db");
    const { apiKey } = creds(db);
    const server = await startTrackd(db, []);
    results.push(await measure("trackd segment", "POST /v1/batch (Segment), 100 track messages per request, full", server, segmentBatchScript(apiKey), 100));
  }

  if (wanted("trackd client")) {
    // The per-IP limit (100/s by default) would measure the limiter, not the route: all load
    // comes from one address here. The buckets are still taken on every request.
    const db = join(work, "trackd-client.db");
    const { appId, signingSecret } = creds(db);
    const unlimited = ["--client-ip-rate", "1000000", "--client-ip-burst", "1000000", "--client-app-rate", "1000000", "--client-app-burst", "1000000"];
    const server = await startTrackd(db, unlimited);
    results.push(await measure("trackd client", "POST /v1/api/events/client, signed (HMAC checked), CORS, limits raised, full", server, clientScript(appId, signingSecret)));
  }

  if (wanted("trackd mixed")) {
    // Profile reads against customers that exist: seed them with a bulk load first.
    const db = join(work, "trackd-mixed.db");
    const { appId, apiKey } = creds(db);
    const seeder = await startTrackd(db, []);
    await wrk(seeder.port, bulkScript(appId, apiKey), 3, 8);
    await seeder.stop();
    const server = await startTrackd(db, []);
    results.push(
      await measure("trackd mixed", "ingest (3/4 of connections) with concurrent profile reads (1/4)", server, singleScript(appId, apiKey), 1, profileReadScript(appId, apiKey)),
    );
  }

  if (flags.pg) results.push(...(await pgScenarios(creds)));

  const startupMs = await measureStartup();
  const report = buildReport(results, startupMs);
  const stamp = new Date().toISOString().slice(0, 10);
  // A partial run (--only) is printed, not written over the committed full one.
  if (flags.only === undefined) {
    const base = flags.pg ? "ingest-pg" : "ingest";
    writeFileSync(join(import.meta.dir, "results", `${base}.json`), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(import.meta.dir, "results", `${base}.md`), markdown(report, stamp));
  }
  console.log(markdown(report, stamp));
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * One scenario: warm-up, then DURATION seconds of wrk. With several servers (nodes on one
 * database), wrk can't alternate hosts, so one wrk process per node takes an equal share of
 * the connections and the rates are summed. `database` reads the CPU seconds of processes
 * outside the servers that serve them (PostgreSQL's), counted in the scenario's CPU.
 */
async function measure(
  name: string,
  what: string,
  server: ServerHandle | ServerHandle[],
  script: string,
  eventsPerRequest = 1,
  readScript?: string,
  database?: () => Map<number, number>,
): Promise<Scenario> {
  const servers = Array.isArray(server) ? server : [server];
  const share = (connections: number) => Math.max(1, Math.round(connections / servers.length));
  console.error(`-- ${name}: warm-up ${WARMUP}s, measure ${DURATION}s at ${CONNECTIONS} connections`);
  await Promise.all(servers.map((s) => wrk(s.port, script, WARMUP, share(CONNECTIONS))));
  const cpuBefore = servers.map((s) => cpuSeconds(s.pid));
  const dbBefore = database?.();
  const writers = readScript ? Math.round(CONNECTIONS * 0.75) : CONNECTIONS;
  const [results, reads] = await Promise.all([
    Promise.all(servers.map((s) => wrk(s.port, script, DURATION, share(writers)))),
    readScript ? wrk(servers[0]!.port, readScript, DURATION, CONNECTIONS - writers) : Promise.resolve(undefined),
  ]);
  let cpu = servers.reduce((sum, s, i) => sum + cpuSeconds(s.pid) - cpuBefore[i]!, 0);
  if (database && dbBefore) for (const [pid, seconds] of database()) cpu += seconds - (dbBefore.get(pid) ?? 0);
  const peakRssMb = Math.max(...servers.map((s) => peakRss(s.pid)));
  for (const s of servers) await s.stop();
  const requestsPerSecond = results.reduce((sum, r) => sum + r.requestsPerSecond, 0);
  return {
    name,
    what,
    eventsPerRequest,
    requestsPerSecond: Math.round(requestsPerSecond),
    eventsPerSecond: Math.round(requestsPerSecond * eventsPerRequest),
    latencyMs: { p50: Math.max(...results.map((r) => r.p50Ms)), p99: Math.max(...results.map((r) => r.p99Ms)) },
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    peakRssMb,
    cpuPercent: Math.round((cpu / DURATION) * 100),
    reads,
  };
}

/**
 * trackd on PostgreSQL, 1 node then 2 nodes on one database, a fresh database per scenario.
 * The cluster keeps fsync on (.ci/postgres.sh start --durable) and the nodes run with
 * --durability full (synchronous_commit on), so a PostgreSQL commit waits for its WAL flush as
 * SQLite's waits for its fsync. PostgreSQL is pinned to core 0 with the node(s), as SQLite runs
 * inside the server on core 0: the system under test gets one core either way, wrk the other.
 */
async function pgScenarios(creds: (db: string) => { appId: string; apiKey: string }): Promise<Scenario[]> {
  const kinds = [
    { name: "pg full", what: "POST /v1/api/events/new, full, Zipf customers", script: (c: { appId: string; apiKey: string }) => singleScript(c.appId, c.apiKey, undefined, "zipf"), events: 1 },
    { name: "pg bulk", what: "POST /v1/api/events/bulk, 100 per request, full, Zipf runs", script: (c: { appId: string; apiKey: string }) => bulkScript(c.appId, c.apiKey, "runs"), events: 100 },
    { name: "pg segment", what: "POST /v1/batch (Segment), 100 track messages per request, full", script: (c: { apiKey: string }) => segmentBatchScript(c.apiKey), events: 100 },
  ];
  const wantedHere = [1, 2].flatMap((nodes) => kinds.map((kind) => ({ ...kind, nodes, name: nodes === 1 ? kind.name : `${kind.name}, 2 nodes` }))).filter((k) => wanted(k.name));
  if (wantedHere.length === 0) return [];
  // taskset: the postmaster and every backend it forks inherit core 0.
  const started = run(["taskset", "-c", "0", join(ROOT, ".ci", "postgres.sh"), "start", "--durable"]);
  const url = /TRACKD_TEST_PG_URL=(\S+)/.exec(started)?.[1];
  const dir = /TRACKD_TEST_PG_DIR=(\S+)/.exec(started)?.[1];
  if (!url || !dir) throw new Error(`.ci/postgres.sh start printed no URL:\n${started}`);
  const postmaster = Number(readFileSync(join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
  // CPU seconds of the postmaster and its children (backends, WAL writer, checkpointer).
  const database = () => {
    const children = Bun.spawnSync(["pgrep", "-P", String(postmaster)]).stdout.toString().split("\n").filter(Boolean).map(Number);
    const seconds = new Map<number, number>();
    for (const pid of [postmaster, ...children]) {
      try {
        seconds.set(pid, cpuSeconds(pid));
      } catch {
        // a backend that ended between pgrep and /proc
      }
    }
    return seconds;
  };
  const results: Scenario[] = [];
  try {
    for (const [i, kind] of wantedHere.entries()) {
      run(["psql", url, "-qc", `create database bench_${i}`]);
      const db = url.replace(/\/postgres$/, `/bench_${i}`);
      const credentials = creds(db); // migrates the database before the nodes start
      const servers: ServerHandle[] = [];
      for (let n = 0; n < kind.nodes; n++) servers.push(await startTrackd(db, ["--durability", "full"]));
      const what = `${kind.what}, PostgreSQL (fsync on), ${kind.nodes} node${kind.nodes === 1 ? "" : "s"}`;
      results.push(await measure(kind.name, what, servers, kind.script(credentials), kind.events, undefined, database));
      // The nodes have stopped, so their backends have reported their deadlocks (at exit).
      const deadlocks = run(["psql", url, "-tAc", `select deadlocks from pg_stat_database where datname = 'bench_${i}'`]).trim();
      console.error(`   ${kind.name}: ${deadlocks} deadlocks detected by PostgreSQL`);
    }
  } finally {
    Bun.spawnSync([join(ROOT, ".ci", "postgres.sh"), "stop"], { env: { ...process.env, TRACKD_TEST_PG_DIR: dir } });
  }
  return results;
}

/** From spawn to the first 200 on /healthz, on a fresh database (median of 5). */
async function measureStartup(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const port = freePort();
    const started = performance.now();
    const proc = Bun.spawn([BINARY, "serve", "--db", join(work, `startup-${i}.db`), "--port", String(port), "--host", "127.0.0.1"], {
      stdout: "ignore",
      stderr: "ignore",
    });
    while (!(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false))) await Bun.sleep(1);
    times.push(performance.now() - started);
    proc.kill("SIGTERM");
    await proc.exited;
  }
  return Math.round(times.sort((a, b) => a - b)[2]);
}

function buildReport(scenarios: Scenario[], startupMs: number) {
  const by = (name: string) => scenarios.find((s) => s.name === name);
  const [ceiling, naive, full, normal, bulk, client, segment] = ["ceiling", "naive", "trackd full", "trackd normal", "trackd bulk", "trackd client", "trackd segment"].map(by);
  const round = (value: number) => Math.round(value * 100) / 100;
  /** a / b in events per second, when both ran (--only may leave either out). */
  const ratio = (a?: Scenario, b?: Scenario) => (a && b ? round(a.eventsPerSecond / b.eventsPerSecond) : undefined);
  const sqlite = scenarios.filter((s) => s.name.startsWith("trackd"));
  const peak = sqlite.length ? Math.max(...sqlite.map((s) => s.peakRssMb)) : undefined;
  const targets = [
    ceiling && full && { target: "single durable ingest ≥ 0.6 × ceiling", value: ratio(full, ceiling)!, met: full.requestsPerSecond >= 0.6 * ceiling.requestsPerSecond },
    full && { target: "single durable p99 < 5 ms at 64 connections", value: full.latencyMs.p99, met: full.latencyMs.p99 < 5 },
    naive && full && { target: "single durable ≥ 10 × naive", value: ratio(full, naive)!, met: full.requestsPerSecond >= 10 * naive.requestsPerSecond },
    bulk && { target: "bulk ≥ 250k events/s", value: bulk.eventsPerSecond, met: bulk.eventsPerSecond >= 250_000 },
    peak !== undefined && { target: "peak RSS < 200 MB", value: peak, met: peak < 200 },
    { target: "start to /healthz < 100 ms", value: startupMs, met: startupMs < 100 },
  ].filter((t): t is { target: string; value: number; met: boolean } => Boolean(t));
  const pg = (name: string) => [by(name), by(`${name}, 2 nodes`)] as const;
  const [pgFull, pgFull2] = pg("pg full");
  const [pgBulk, pgBulk2] = pg("pg bulk");
  const [pgSegment, pgSegment2] = pg("pg segment");
  return {
    date: new Date().toISOString(),
    machine: machine(
      flags.pg
        ? "server on core 0, wrk on core 1 (taskset); on PostgreSQL, the cluster and the node(s) share core 0, one wrk per node on core 1"
        : "server on core 0, wrk on core 1 (taskset)",
    ),
    settings: { durationSeconds: DURATION, warmupSeconds: WARMUP, connections: CONNECTIONS },
    scenarios,
    ratios: {
      fullToCeiling: ratio(full, ceiling),
      normalToCeiling: ratio(normal, ceiling),
      fullToNaive: ratio(full, naive),
      clientToFull: ratio(client, full),
      segmentToBulk: ratio(segment, bulk),
      // PostgreSQL against SQLite (events/s), and 2 nodes against 1.
      pgFullToFull: ratio(pgFull, full),
      pgBulkToBulk: ratio(pgBulk, bulk),
      pgSegmentToSegment: ratio(pgSegment, segment),
      pgFull2To1: ratio(pgFull2, pgFull),
      pgBulk2To1: ratio(pgBulk2, pgBulk),
      pgSegment2To1: ratio(pgSegment2, pgSegment),
    },
    startupMs,
    targets,
  };
}

function markdown(report: ReturnType<typeof buildReport>, stamp: string): string {
  const rows = report.scenarios.map(
    (s) =>
      `| ${s.name} | ${s.requestsPerSecond.toLocaleString("en")} | ${s.eventsPerSecond.toLocaleString("en")} | ${s.latencyMs.p50} | ${s.latencyMs.p99} | ${s.errors} | ${s.peakRssMb} | ${s.cpuPercent} |`,
  );
  const mixed = report.scenarios.find((s) => s.reads);
  const ratios = Object.entries(report.ratios)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${RATIO_LABELS[key]} ${value}`);
  return [
    `# Ingestion benchmark, ${stamp}`,
    "",
    `${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGb} GB, Bun ${report.machine.bun}; ${report.machine.pinning}.`,
    `wrk, ${report.settings.connections} connections, ${report.settings.warmupSeconds} s warm-up, ${report.settings.durationSeconds} s measured per scenario.`,
    "",
    "| scenario | req/s | events/s | p50 ms | p99 ms | errors | peak RSS MB | CPU % |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    mixed?.reads
      ? `Mixed: profile reads alongside, ${Math.round(mixed.reads.requestsPerSecond).toLocaleString("en")} req/s, p99 ${mixed.reads.p99Ms} ms, ${mixed.reads.errors} errors.`
      : "",
    `Ratios: ${ratios.length ? ratios.join(", ") : "none (a scenario of each pair was left out)"}. Start to /healthz: ${report.startupMs} ms (median of 5).`,
    "",
    "| target | value | met |",
    "|---|---|---|",
    ...report.targets.map((t) => `| ${t.target} | ${t.value} | ${t.met ? "yes" : "**no**"} |`),
    "",
  ].join("\n");
}
