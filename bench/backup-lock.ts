// How long does the writer wait for the write lock while a backup runs? Closer to the question
// than request latency on a shared machine: a commit loop on the server's configuration (the
// checkpoint worker included) times each BEGIN IMMEDIATE while `trackd backup` copies the file.
// Usage: bun bench/backup-lock.ts DB (a copy: it is written to)
import { rmSync } from "node:fs";
import { openDatabase } from "../src/db";
import { startCheckpointer } from "../src/db/checkpoint";
import { ENTRY, cleanEnv } from "../test/support/process";

const [path] = process.argv.slice(2);
if (!path) throw new Error("usage: bun bench/backup-lock.ts DB");
rmSync(`${path}.backup`, { force: true });
const db = openDatabase(path);
const checkpointer = await startCheckpointer(db, { path, durability: "full" });
const client = db.$client;
client.run("CREATE TABLE IF NOT EXISTS bench_rows (id INTEGER PRIMARY KEY, payload TEXT)");
const begin = client.prepare("BEGIN IMMEDIATE");
const insert = client.prepare("INSERT INTO bench_rows (payload) VALUES (?)");
const commit = client.prepare("COMMIT");
const payload = "x".repeat(300);

const waits: { at: number; ms: number }[] = [];
const backup = Bun.spawn([process.execPath, ENTRY, "backup", "--db", path, "--out", `${path}.backup`], { env: cleanEnv(), stderr: "pipe" });
const startedAt = performance.now();
let copyEnd = Infinity;
const log = new Response(backup.stderr).text();
void backup.exited.then(() => (copyEnd = Math.min(copyEnd, performance.now())));
// Commit batches of 64 rows for as long as the backup runs, yielding so the child's output is read.
while (backup.exitCode === null) {
  const t = performance.now();
  begin.run();
  waits.push({ at: t, ms: performance.now() - t });
  for (let i = 0; i < 64; i++) insert.run(payload);
  commit.run();
  await Bun.sleep(1);
}
const text = await log;
const copyMs = Number(/copied in (\d+) ms/.exec(text)?.[1] ?? 0);
const during = waits.filter((w) => w.at < startedAt + 150 + copyMs).map((w) => w.ms).sort((a, b) => a - b);
console.log(text.trim());
console.log(`commits during the copy: ${during.length}, lock wait p50 ${during[Math.floor(during.length / 2)]?.toFixed(3)} ms, p99 ${during[Math.floor(during.length * 0.99)]?.toFixed(2)} ms, max ${during.at(-1)?.toFixed(1)} ms, over 10 ms: ${during.filter((ms) => ms > 10).length}`);
console.log(`checkpoints ${checkpointer.stats.checkpoints}, restarts ${checkpointer.stats.restarts}`);
await checkpointer.stop();
client.close();
