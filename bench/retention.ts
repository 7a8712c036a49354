// How long does one retention step hold the writer? Purges a seeded database (a copy: it is
// changed) down to `days` of history, timing every step's transaction.
// Usage: bun bench/retention.ts DB APP_ID [days] [step] [max steps]
import { openDatabase } from "../src/db";
import { startCheckpointer } from "../src/db/checkpoint";
import { retentionHorizon } from "../src/retention/horizon";
import { preparePurge } from "../src/retention/purge";

const [path, appId, daysArg, stepArg, maxStepsArg] = process.argv.slice(2);
if (!path || !appId) throw new Error("usage: bun bench/retention.ts DB APP_ID [days] [step]");
const db = openDatabase(path);
// As in the server: checkpoints on the worker, not in the commits.
const checkpointer = await startCheckpointer(db, { path, durability: "full" });
const purge = preparePurge(db.$client);
const step = Number(stepArg ?? 500);
const horizon = retentionHorizon(Number(daysArg ?? 30), Date.now())!;
const times: number[] = [];
let events = 0;
const maxSteps = Number(maxStepsArg ?? Infinity);
for (let done = false; !done && times.length < maxSteps; ) {
  const t = performance.now();
  db.$client.run("BEGIN IMMEDIATE");
  const result = purge(appId, horizon, step);
  db.$client.run("COMMIT");
  times.push(performance.now() - t);
  events += result.events;
  done = result.done;
  await Bun.sleep(0); // let the checkpoint worker's messages in, as the server's event loop would
}
await checkpointer.stop();
times.sort((a, b) => a - b);
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
console.log(`purged ${events} events in ${times.length} steps of ${step}: per step p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms, total ${(times.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s`);
db.$client.close();
