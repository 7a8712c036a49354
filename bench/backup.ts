// Does an online backup stall ingestion? Serves a copy of a seeded database, keeps CONCURRENCY
// clients posting single events, and runs `trackd backup` part way through. Prints request
// latency percentiles and the worst latency before, during and after the backup.
// Usage: bun bench/backup.ts DB APP_ID [concurrency]   (DB is seeded with `trackd dev seed`)
import { Database } from "bun:sqlite";
import { rmSync } from "node:fs";
import { createAppsService } from "../src/apps/service";
import { openDatabase } from "../src/db";
import { ENTRY, cleanEnv, freePort, startTrackd } from "../test/support/process";
import { createSqliteStore } from "../src/store/sqlite/store";
import { Writer } from "../src/store/writer";

const [db, appId, concurrencyArg] = process.argv.slice(2);
if (!db || !appId) throw new Error("usage: bun bench/backup.ts DB APP_ID [concurrency]");
const concurrency = Number(concurrencyArg ?? 8);
const out = `${db}.backup`;
rmSync(out, { force: true });

const setupDb = openDatabase(db);
const setupWriter = new Writer(setupDb.$client);
const key = (await createAppsService(createSqliteStore({ db: setupDb, writer: setupWriter, clock: Date.now })).createKey(appId))!;
setupWriter.close();
setupDb.$client.close();

const port = freePort();
const server = await startTrackd(db, port, ["--health-interval", "0"]);
const base = `http://127.0.0.1:${port}`;
const headers = { "x-ck-api-key": key.apiKey, "x-ck-app": appId, "content-type": "application/json" };
const samples: { at: number; ms: number }[] = [];
let running = true;
let failures = 0;

async function client(n: number) {
  for (let i = 0; running; i++) {
    const startedAt = performance.now();
    const response = await fetch(`${base}/v1/api/events/new`, {
      method: "POST",
      headers,
      body: JSON.stringify({ event: "Bench Event", customerId: `bench_${n}_${i % 50}` }),
    });
    if (response.status !== 201) failures++;
    await response.arrayBuffer();
    samples.push({ at: startedAt, ms: performance.now() - startedAt });
  }
}

const clients = Array.from({ length: concurrency }, (_, n) => client(n));
await Bun.sleep(3000);
const backupStart = performance.now();
// Spawned, not spawnSync: this process must keep sending requests meanwhile.
const backup = Bun.spawn([process.execPath, ENTRY, "backup", "--db", db, "--out", out], { env: cleanEnv(), stderr: "pipe" });
const backupLog = await new Response(backup.stderr).text();
await backup.exited;
const backupEnd = performance.now();
await Bun.sleep(3000);
running = false;
await Promise.all(clients);
server.kill("SIGTERM");
await server.exited;

function summary(name: string, from: number, to: number) {
  const ms = samples.filter((s) => s.at >= from && s.at < to).map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]?.toFixed(1);
  const seconds = (to - from) / 1000;
  console.log(`${name.padEnd(7)} ${String(ms.length).padStart(7)} req (${Math.round(ms.length / Math.max(seconds, 0.001))}/s)  p50 ${at(0.5)} ms  p99 ${at(0.99)} ms  max ${ms.at(-1)?.toFixed(1)} ms`);
}
console.log(backupLog.trim(), `(exit ${backup.exitCode}, ${Math.round(backupEnd - backupStart)} ms wall)`);
// The snapshot's read transaction is open for "copied in N ms", from about when the process starts.
const copyMs = Number(/copied in (\d+) ms/.exec(backupLog)?.[1] ?? 0);
const copyEnd = backupStart + 100 + copyMs;
summary("before", backupStart - copyMs - 100, backupStart);
summary("copy", backupStart, copyEnd);
summary("check", copyEnd, backupEnd);
summary("after", backupEnd, Infinity);
const slow = (from: number, to: number) => samples.filter((s) => s.at >= from && s.at < to && s.ms > 50).length;
console.log(`requests over 50 ms: before ${slow(backupStart - copyMs - 100, backupStart)}, copy ${slow(backupStart, copyEnd)}, check ${slow(copyEnd, backupEnd)}`);
console.log(`failed requests: ${failures}`);
const copy = new Database(out, { readonly: true });
console.log("events in the backup:", copy.query("select count(*) as n from events").get());
copy.close();
