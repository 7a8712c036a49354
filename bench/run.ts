// The ingestion benchmark, one command: `bun bench/run.ts` (see bench/README.md).
// Builds the binary, then measures every scenario in ONE run with wrk: server pinned to core 0,
// load generator to core 1, warm-up first. Absolute numbers drift on shared machines, so the
// verdicts are ratios against a ceiling and a naive baseline measured in the same run.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BINARY, cpuSeconds, freePort, machine, peakRss, requireTools, run, start, startTrackd, wrk as wrkIn, type ServerHandle } from "./harness";
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
    /** With --baseline: only the scenarios whose name contains this (e.g. "zipf, full"). */
    only: { type: "string" },
  },
});
const DURATION = Number(flags.duration);
const WARMUP = Number(flags.warmup);
const CONNECTIONS = Number(flags.connections);

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
  latencyMs: { p50: number; p99: number };
  errors: number;
  peakRssMb: number;
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

  const ceiling = await start(["bun", join(import.meta.dir, "servers", "ceiling.ts")], (port) => [String(port)]);
  results.push(await measure("ceiling", "bare Bun.serve: parse JSON, answer 201", ceiling, singleScript("x", "x")));

  const naiveDb = join(work, "naive.db");
  const naive = await start(["bun", join(import.meta.dir, "servers", "naive.ts")], (port) => [String(port), naiveDb]);
  results.push(await measure("naive", "one INSERT per request, own transaction, synchronous=FULL", naive, singleScript("x", "x")));

  // The headline: Zipf-distributed customers, as real products (and `trackd dev seed`) have them.
  for (const durability of ["full", "normal"]) {
    const db = join(work, `trackd-${durability}.db`);
    const { appId, apiKey } = creds(db);
    const server = await startTrackd(db, ["--durability", durability]);
    results.push(await measure(`trackd ${durability}`, `POST /v1/api/events/new, --durability=${durability}, Zipf customers`, server, singleScript(appId, apiKey, undefined, "zipf")));
  }

  {
    const db = join(work, "trackd-bulk.db");
    const { appId, apiKey } = creds(db);
    const server = await startTrackd(db, []);
    const what = "POST /v1/api/events/bulk, 100 events per request, full, Zipf customers in runs (a backfill)";
    results.push(await measure("trackd bulk", what, server, bulkScript(appId, apiKey, "runs"), 100));
  }

  // The worst case: no customer repeats within 10,000 events, so per-batch sums save nothing.
  {
    const db = join(work, "trackd-uniform.db");
    const { appId, apiKey } = creds(db);
    const server = await startTrackd(db, []);
    results.push(await measure("trackd full, uniform", "POST /v1/api/events/new, full, uniform customers (worst case)", server, singleScript(appId, apiKey)));
  }
  {
    const db = join(work, "trackd-bulk-uniform.db");
    const { appId, apiKey } = creds(db);
    const server = await startTrackd(db, []);
    results.push(await measure("trackd bulk, uniform", "POST /v1/api/events/bulk, 100 per request, full, uniform customers (worst case)", server, bulkScript(appId, apiKey), 100));
  }

  {
    // Beside bulk, same events per request: what Segment's wire format and mapping cost.
    const db = join(work, "trackd-segment.db");
    const { apiKey } = creds(db);
    const server = await startTrackd(db, []);
    results.push(await measure("trackd segment", "POST /v1/batch (Segment), 100 track messages per request, full", server, segmentBatchScript(apiKey), 100));
  }

  {
    // The per-IP limit (100/s by default) would measure the limiter, not the route: all load
    // comes from one address here. The buckets are still taken on every request.
    const db = join(work, "trackd-client.db");
    const { appId, signingSecret } = creds(db);
    const unlimited = ["--client-ip-rate", "1000000", "--client-ip-burst", "1000000", "--client-app-rate", "1000000", "--client-app-burst", "1000000"];
    const server = await startTrackd(db, unlimited);
    results.push(await measure("trackd client", "POST /v1/api/events/client, signed (HMAC checked), CORS, limits raised, full", server, clientScript(appId, signingSecret)));
  }

  {
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

  const startupMs = await measureStartup();
  const report = buildReport(results, startupMs);
  const stamp = new Date().toISOString().slice(0, 10);
  writeFileSync(join(import.meta.dir, "results", "ingest.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(import.meta.dir, "results", "ingest.md"), markdown(report, stamp));
  console.log(markdown(report, stamp));
} finally {
  rmSync(work, { recursive: true, force: true });
}

async function measure(
  name: string,
  what: string,
  server: ServerHandle,
  script: string,
  eventsPerRequest = 1,
  readScript?: string,
): Promise<Scenario> {
  console.error(`-- ${name}: warm-up ${WARMUP}s, measure ${DURATION}s at ${CONNECTIONS} connections`);
  await wrk(server.port, script, WARMUP, CONNECTIONS);
  const cpuBefore = cpuSeconds(server.pid);
  const writers = readScript ? Math.round(CONNECTIONS * 0.75) : CONNECTIONS;
  const [result, reads] = await Promise.all([
    wrk(server.port, script, DURATION, writers),
    readScript ? wrk(server.port, readScript, DURATION, CONNECTIONS - writers) : Promise.resolve(undefined),
  ]);
  const cpuPercent = ((cpuSeconds(server.pid) - cpuBefore) / DURATION) * 100;
  const peakRssMb = peakRss(server.pid);
  await server.stop();
  return {
    name,
    what,
    eventsPerRequest,
    requestsPerSecond: Math.round(result.requestsPerSecond),
    eventsPerSecond: Math.round(result.requestsPerSecond * eventsPerRequest),
    latencyMs: { p50: result.p50Ms, p99: result.p99Ms },
    errors: result.errors,
    peakRssMb,
    cpuPercent: Math.round(cpuPercent),
    reads,
  };
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
  const by = (name: string) => scenarios.find((s) => s.name === name)!;
  const [ceiling, naive, full, bulk, client, segment] = [by("ceiling"), by("naive"), by("trackd full"), by("trackd bulk"), by("trackd client"), by("trackd segment")];
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  const peak = Math.max(...scenarios.filter((s) => s.name.startsWith("trackd")).map((s) => s.peakRssMb));
  const targets = [
    { target: "single durable ingest ≥ 0.6 × ceiling", value: ratio(full.requestsPerSecond, ceiling.requestsPerSecond), met: full.requestsPerSecond >= 0.6 * ceiling.requestsPerSecond },
    { target: "single durable p99 < 5 ms at 64 connections", value: full.latencyMs.p99, met: full.latencyMs.p99 < 5 },
    { target: "single durable ≥ 10 × naive", value: ratio(full.requestsPerSecond, naive.requestsPerSecond), met: full.requestsPerSecond >= 10 * naive.requestsPerSecond },
    { target: "bulk ≥ 250k events/s", value: bulk.eventsPerSecond, met: bulk.eventsPerSecond >= 250_000 },
    { target: "peak RSS < 200 MB", value: peak, met: peak < 200 },
    { target: "start to /healthz < 100 ms", value: startupMs, met: startupMs < 100 },
  ];
  return {
    date: new Date().toISOString(),
    machine: machine("server on core 0, wrk on core 1 (taskset)"),
    settings: { durationSeconds: DURATION, warmupSeconds: WARMUP, connections: CONNECTIONS },
    scenarios,
    ratios: {
      fullToCeiling: ratio(full.requestsPerSecond, ceiling.requestsPerSecond),
      normalToCeiling: ratio(by("trackd normal").requestsPerSecond, ceiling.requestsPerSecond),
      fullToNaive: ratio(full.requestsPerSecond, naive.requestsPerSecond),
      clientToFull: ratio(client.requestsPerSecond, full.requestsPerSecond),
      segmentToBulk: ratio(segment.eventsPerSecond, bulk.eventsPerSecond),
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
    `Ratios: trackd full / ceiling ${report.ratios.fullToCeiling}, normal / ceiling ${report.ratios.normalToCeiling}, full / naive ${report.ratios.fullToNaive}, client (signed browser events) / full ${report.ratios.clientToFull}, Segment /v1/batch / bulk (events/s) ${report.ratios.segmentToBulk}. Start to /healthz: ${report.startupMs} ms (median of 5).`,
    "",
    "| target | value | met |",
    "|---|---|---|",
    ...report.targets.map((t) => `| ${t.target} | ${t.value} | ${t.met ? "yes" : "**no**"} |`),
    "",
  ].join("\n");
}
