// The write path alone, in process: µs per event through the ingest service and the writer, no
// HTTP. The events are the ingestion bench's (bench/lua.ts): 10,000 customers, a dozen names,
// eventData of four fields, a B2B user on every third. Batches of 64 jobs, as 64 connections
// make them. Run it pinned for steadier figures: `taskset -c 0 bun bench/write-path.ts`.
//   --checkpoints worker   the server's way: a worker thread checkpoints (src/db/checkpoint.ts)
//   --checkpoints commit   SQLite's default: the commit that fills 1,000 pages checkpoints them
//   --durability normal    the default here: it measures the CPU, where `full` adds the disk's
//                          fsync latency, which swings from run to run on this machine
//   --traffic zipf         customers as bench/lua.ts draws them: zipf (the default, as real
//                          products), runs (a backfill's), or uniform (no repeats: the worst case)
//   --drop-index NAME      an experiment: the same, without that index (repeatable), to price it
//   --sql STATEMENT        an experiment: run this SQL after migrating (repeatable), e.g. to price
//                          a replacement index
//   --counts-every N       an experiment: the counts summed in memory are written every Nth batch
//                          instead of every batch (0: never), to price writing them apart from
//                          their events (issue 18's design question; see bench/README). It counts
//                          the writer's deferred flushes, one per batch here because this bench's
//                          jobs never fail (a batch with a failed job flushes once per job)
//   --short-app-id         an experiment: the app's id is "a" instead of "app_" + 16 hex. It priced
//                          the integer app key before migration 0013; since then it changes only
//                          customers' and users' app_id
// It prints wall time and this process's CPU time per event: on a shared machine the CPU figure
// is the steadier one.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createAppsService } from "../src/apps/service";
import { createCustomersService } from "../src/customers/service";
import { openMigratedDatabase } from "../src/db";
import { startCheckpointer } from "../src/db/checkpoint";
import { createIngestService } from "../src/ingest/service";
import type { NormalizedEvent } from "../src/ingest/normalize";
import { Writer } from "../src/store/writer";
import { customerSequence, EVENT_NAMES } from "./lua";
import { createSqliteStore } from "../src/store/sqlite/store";

const { values: flags } = parseArgs({
  options: {
    checkpoints: { type: "string", default: "worker" },
    events: { type: "string", default: "200000" },
    durability: { type: "string", default: "normal" },
    traffic: { type: "string", default: "zipf" },
    "drop-index": { type: "string", multiple: true, default: [] },
    "short-app-id": { type: "boolean", default: false },
    "counts-every": { type: "string", default: "1" },
    sql: { type: "string", multiple: true, default: [] },
  },
});
const EVENTS = Number(flags.events);
const BATCH = 64;
const durability = flags.durability === "normal" ? "normal" : "full";

const dir = mkdtempSync(join(tmpdir(), "trackd-write-path-"));
const path = join(dir, "bench.db");
const db = openMigratedDatabase(path, durability);
for (const index of flags["drop-index"]!) db.$client.run(`DROP INDEX ${index}`);
for (const statement of flags.sql!) db.$client.run(statement);
const checkpointer = flags.checkpoints === "worker" ? await startCheckpointer(db, { path, durability }) : undefined;
const writer = new Writer(db.$client);
const countsEvery = Number(flags["counts-every"]);
if (!Number.isInteger(countsEvery) || countsEvery < 0) throw new Error(`--counts-every must be a whole number, 0 or more: ${flags["counts-every"]}`);
if (countsEvery !== 1) {
  // The sums keep adding up across batches until a flush drains them, as a timer would.
  const defer = writer.defer.bind(writer);
  writer.defer = (participant) => {
    let batches = 0;
    defer({ flush: () => void (countsEvery > 0 && ++batches % countsEvery === 0 && participant.flush()), discard: () => participant.discard() });
  };
}
const store = createSqliteStore({ db, writer, clock: Date.now });
const created = (await createAppsService(store).create("bench")).appId;
if (flags["short-app-id"]) {
  db.$client.run("PRAGMA foreign_keys = OFF");
  db.$client.run(`UPDATE apps SET id = 'a' WHERE id = '${created}'`);
  db.$client.run(`UPDATE api_keys SET app_id = 'a' WHERE app_id = '${created}'`);
  db.$client.run("PRAGMA foreign_keys = ON");
}
const appId = flags["short-app-id"] ? "a" : created;
const ingest = createIngestService({ store, clock: Date.now, customers: createCustomersService(store) });

const now = Date.now();
const traffic = flags.traffic === "uniform" ? undefined : customerSequence(flags.traffic === "runs" ? "runs" : "zipf");
let n = 0;
function event(): NormalizedEvent {
  n++;
  const customer = traffic ? traffic[n % traffic.length]! : (n * 7919) % 10_000;
  const uid = traffic ? `u_${customer}_${n % 4}` : `u_${n % 40_000}`;
  return {
    event: EVENT_NAMES[n % EVENT_NAMES.length]!,
    customerId: `cus_${customer}`,
    eventDate: now - (n % 1000),
    eventData: JSON.stringify({ plan: "pro", size: n % 500, source: "web", n }),
    verified: true,
    ...(n % 3 === 0 ? { user: { uid } } : {}),
  };
}

async function write(count: number): Promise<void> {
  for (let i = 0; i < count; i += BATCH) {
    await Promise.all(Array.from({ length: BATCH }, () => ingest.recordEvent(appId, event(), "server")));
  }
}

await write(50_000); // warm-up: every customer exists, the statements are hot
const started = performance.now();
const cpuBefore = process.cpuUsage();
await write(EVENTS);
const micros = ((performance.now() - started) * 1000) / EVENTS;
const cpu = process.cpuUsage(cpuBefore);
const cpuMicros = (cpu.user + cpu.system) / EVENTS;
console.log(
  `${micros.toFixed(1)} µs per event, ${cpuMicros.toFixed(1)} µs of CPU (${EVENTS} events, ${flags.traffic} customers, batches of ${BATCH}, durability ${durability}, checkpoints: ${flags.checkpoints}, counts every ${countsEvery} batches)`,
);

await checkpointer?.stop();
db.$client.close(true);
rmSync(dir, { recursive: true, force: true });
