// The two appliers side by side, in process, no HTTP: events/s of RecordEvents through the
// SQLite applier (a file in WAL mode) and the PostgreSQL applier (the cluster at
// TRACKD_TEST_PG_URL, a fresh database per run), in the same run. Commands of 1 event and of
// 100, each with 1 or 64 in flight (64 ≈ 64 connections: one batch per event-loop turn).
// Customers drawn from 2,000 with a Zipf(1) skew, four names, a B2B user on every third event.
//   TRACKD_TEST_PG_URL=postgres://… bun bench/applier-pg.ts [--events 20000] [--durability full|normal]
// Note: .ci/postgres.sh's cluster runs with fsync=off, so PostgreSQL's COMMIT never waits for a
// disk there, while SQLite's with durability full does: compare with --durability normal too.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openMigratedDatabase } from "../src/db";
import { closePostgres, openPostgres } from "../src/db/postgres";
import type { Applier, StoredEvent } from "../src/store/commands";
import { createPgApplier } from "../src/store/pg/applier";
import { createSqliteApplier } from "../src/store/sqlite/applier";
import { Writer } from "../src/store/writer";
import { freshDatabase } from "../test/support/postgres";

const { values: flags } = parseArgs({ options: { events: { type: "string", default: "20000" }, durability: { type: "string", default: "full" } } });
const EVENTS = Number(flags.events);
const durability = flags.durability === "normal" ? "normal" : "full";
const NAMES = ["page_view", "login", "export", "invite"];

// Zipf(1) over 2,000 customers by inverse CDF.
const weights = Array.from({ length: 2000 }, (_, i) => 1 / (i + 1));
const total = weights.reduce((a, b) => a + b, 0);
const cdf = weights.map(((sum) => (w: number) => (sum += w / total))(0));
const customer = () => {
  const r = Math.random();
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};
let n = 0;
const event = (): StoredEvent => {
  const k = customer();
  n += 1;
  return {
    event: NAMES[n % 4]!,
    customerId: `cus_${k}`,
    eventDate: Date.now() - (n % 30) * 86_400_000,
    eventData: '{"path":"/x","ms":12}',
    verified: true,
    messageId: `m${n}`,
    ...(n % 3 === 0 ? { user: { uid: `u${k}_${n % 5}` } } : {}),
  };
};

async function measure(applier: Applier, perCommand: number, inFlight: number): Promise<number> {
  const commands = Math.ceil(EVENTS / perCommand);
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < commands) {
        next += 1;
        await applier.apply({ type: "RecordEvents", appId: "app_bench", source: "server", events: Array.from({ length: perCommand }, event) });
      }
    }),
  );
  return (commands * perCommand) / ((performance.now() - started) / 1000);
}

const APP = "INSERT INTO apps (id, pk, name, signing_secret, created_at) VALUES ('app_bench', 1, 'bench', 's', 0)";
const dir = mkdtempSync(join(tmpdir(), "trackd-applier-bench-"));
const sqliteDb = openMigratedDatabase(join(dir, "bench.db"), durability);
sqliteDb.$client.run(APP);
const sqlite = createSqliteApplier({ db: sqliteDb, writer: new Writer(sqliteDb), clock: Date.now });
const { url, drop } = await freshDatabase({ migrated: true });
const pg = openPostgres(url);
await pg.$client.unsafe(APP);
const postgres = createPgApplier({ sql: pg.$client, clock: Date.now, durability });

console.log(`${EVENTS} events per line, durability ${durability}; events/s`);
console.log("events/command  in flight      sqlite    postgres   pg/sqlite");
for (const [perCommand, inFlight] of [
  [1, 1],
  [1, 64],
  [100, 1],
  [100, 8],
]) {
  // Alternated, SQLite first, then PostgreSQL, on databases that grow as the run goes on.
  const s = await measure(sqlite, perCommand!, inFlight!);
  const p = await measure(postgres, perCommand!, inFlight!);
  console.log(`${String(perCommand).padStart(14)} ${String(inFlight).padStart(10)} ${s.toFixed(0).padStart(11)} ${p.toFixed(0).padStart(11)} ${(p / s).toFixed(2).padStart(11)}`);
}
await postgres.close();
await closePostgres(pg);
await drop();
rmSync(dir, { recursive: true, force: true });
