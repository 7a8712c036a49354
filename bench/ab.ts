// A/B of two binaries on the ingestion scenarios, alternated: `bun bench/run.ts --baseline PATH`
// (see bench/README.md). This machine's ceiling has swung 49k–89k req/s between runs, so two
// binaries are only comparable inside one run, taking turns: each round runs every scenario on
// both, the order flipped every round, each on a fresh database. The report is the median of the
// rounds per binary, the spread (min–max), and the ratio of the medians.
import { join } from "node:path";
import { cpuSeconds, run, start, startTrackd, wrk, type ServerHandle } from "./harness";
import { bulkScript, singleScript, type Traffic } from "./lua";

interface AbScenario {
  name: string;
  durability: "full" | "normal";
  traffic: Traffic;
  eventsPerRequest: 1 | 100;
}

/** The Zipf ones are the headline; the uniform ones the worst case (no customer repeats within a batch). */
export const AB_SCENARIOS: AbScenario[] = [
  { name: "single, zipf, full", durability: "full", traffic: "zipf", eventsPerRequest: 1 },
  { name: "single, zipf, normal", durability: "normal", traffic: "zipf", eventsPerRequest: 1 },
  { name: "bulk, zipf runs, full", durability: "full", traffic: "runs", eventsPerRequest: 100 },
  { name: "single, uniform, full", durability: "full", traffic: "uniform", eventsPerRequest: 1 },
  { name: "bulk, uniform, full", durability: "full", traffic: "uniform", eventsPerRequest: 100 },
];

interface Sample {
  eventsPerSecond: number;
  p99Ms: number;
  /** Server CPU per event, µs. */
  cpuMicros: number;
  errors: number;
}

export interface AbOptions {
  candidate: string;
  baseline: string;
  rounds: number;
  duration: number;
  warmup: number;
  connections: number;
  work: string;
  /** Only the scenarios whose name contains one of these (all when undefined). */
  only?: string[];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export async function runAb(options: AbOptions): Promise<string> {
  const { rounds, duration, warmup, connections, work } = options;
  const scenarios = AB_SCENARIOS.filter((s) => options.only === undefined || options.only.some((part) => s.name.includes(part)));
  const binaries = { baseline: options.baseline, candidate: options.candidate };
  const samples = new Map<string, Sample[]>();
  const add = (key: string, sample: Sample) => samples.set(key, [...(samples.get(key) ?? []), sample]);
  let fresh = 0;

  async function measure(server: ServerHandle, script: string, eventsPerRequest: number): Promise<Sample> {
    await wrk(server.port, script, warmup, connections, work);
    const cpuBefore = cpuSeconds(server.pid);
    const result = await wrk(server.port, script, duration, connections, work);
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    await server.stop();
    const eventsPerSecond = result.requestsPerSecond * eventsPerRequest;
    return { eventsPerSecond, p99Ms: result.p99Ms, cpuMicros: (cpu * 1e6) / (eventsPerSecond * duration), errors: result.errors };
  }

  for (let round = 1; round <= rounds; round++) {
    console.error(`== round ${round} of ${rounds}`);
    const ceiling = await start(["bun", join(import.meta.dir, "servers", "ceiling.ts")], (port) => [String(port)]);
    add("ceiling", await measure(ceiling, singleScript("x", "x"), 1));
    for (const scenario of scenarios) {
      const order = round % 2 ? (["baseline", "candidate"] as const) : (["candidate", "baseline"] as const);
      for (const which of order) {
        const binary = binaries[which];
        const db = join(work, `ab-${fresh++}.db`);
        const { appId, apiKey } = JSON.parse(run([binary, "apps", "create", "--name", "bench", "--json", "--db", db], work));
        const server = await startTrackd(db, ["--durability", scenario.durability], binary);
        const script = scenario.eventsPerRequest === 1 ? singleScript(appId, apiKey, undefined, scenario.traffic) : bulkScript(appId, apiKey, scenario.traffic);
        const sample = await measure(server, script, scenario.eventsPerRequest);
        console.error(`   ${scenario.name}, ${which}: ${Math.round(sample.eventsPerSecond)} events/s, p99 ${sample.p99Ms} ms`);
        add(`${scenario.name}|${which}`, sample);
      }
    }
  }
  return report(samples, options, scenarios);
}

function report(samples: Map<string, Sample[]>, options: AbOptions, scenarios: AbScenario[]): string {
  const stat = (key: string, field: keyof Sample) => {
    const values = samples.get(key)!.map((s) => s[field]);
    return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
  };
  const n = (value: number) => Math.round(value).toLocaleString("en");
  const ceiling = stat("ceiling", "eventsPerSecond");
  const rows = scenarios.map(({ name }) => {
    const base = stat(`${name}|baseline`, "eventsPerSecond");
    const cand = stat(`${name}|candidate`, "eventsPerSecond");
    const errors = [...samples.get(`${name}|baseline`)!, ...samples.get(`${name}|candidate`)!].reduce((sum, s) => sum + s.errors, 0);
    return [
      name,
      `${n(base.median)} (${n(base.min)}–${n(base.max)})`,
      `${n(cand.median)} (${n(cand.min)}–${n(cand.max)})`,
      (cand.median / base.median).toFixed(2),
      name.startsWith("single") ? (cand.median / ceiling.median).toFixed(2) : "",
      `${stat(`${name}|baseline`, "p99Ms").median} / ${stat(`${name}|candidate`, "p99Ms").median}`,
      `${stat(`${name}|baseline`, "cpuMicros").median.toFixed(1)} / ${stat(`${name}|candidate`, "cpuMicros").median.toFixed(1)}`,
      String(errors),
    ];
  });
  return [
    `# A/B, ${new Date().toISOString().slice(0, 16)}Z: ${options.rounds} rounds alternated, ${options.connections} connections, ${options.warmup} s warm-up + ${options.duration} s each`,
    "",
    `baseline: ${options.baseline}  `,
    `candidate: ${options.candidate}  `,
    `ceiling (bare Bun.serve): ${n(ceiling.median)} req/s (${n(ceiling.min)}–${n(ceiling.max)})`,
    "",
    "| scenario | baseline events/s, median (min–max) | candidate | candidate / baseline | candidate / ceiling | p99 ms, base / cand | server CPU µs per event, base / cand | errors |",
    "|---|---|---|---|---|---|---|---|",
    ...rows.map((cells) => `| ${cells.join(" | ")} |`),
    "",
  ].join("\n");
}
