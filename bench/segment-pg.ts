// Segment's /v1/batch apply, in process, no HTTP: ApplySegmentBatch commands of 100 track
// messages shaped as bench/lua.ts sends them (userId the customer, and on every third message a
// user u_N of the customer named by context.groupId; a messageId on each), through the SQLite
// applier (a WAL file) and the PostgreSQL applier (the cluster at TRACKD_TEST_PG_URL, a fresh
// database), 8 commands in flight. Reports messages/s and CPU per message: this process's
// (user + system) and, for PostgreSQL, its server's too (the postmaster named by
// TRACKD_TEST_PG_DIR and every backend it forked, from /proc), which is what the --pg run's
// "CPU per event" adds up.
//   eval "$(.ci/postgres.sh start --durable)"; bun bench/segment-pg.ts [--messages 20000] [--only postgres]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openMigratedDatabase } from "../src/db";
import { closePostgres, openPostgres } from "../src/db/postgres";
import type { Applier, SegmentMessage } from "../src/store/commands";
import { createPgApplier } from "../src/store/pg/applier";
import { createSqliteApplier } from "../src/store/sqlite/applier";
import { Writer } from "../src/store/writer";
import { freshDatabase } from "../test/support/postgres";

const { values: flags } = parseArgs({ options: { messages: { type: "string", default: "20000" }, only: { type: "string" } } });
const MESSAGES = Number(flags.messages);
const PER_COMMAND = 100;
const IN_FLIGHT = 8;
const NAMES = ["page_view", "login", "export", "invite"];

let n = 0;
function message(now: number): SegmentMessage {
  n += 1;
  const customer = (n * 7919) % 10000;
  const event = { event: NAMES[n % 4]!, eventDate: now, eventData: `{"plan":"pro","size":${n % 500},"n":${n}}`, verified: true, messageId: `seg-${n}` };
  return n % 3 === 0
    ? { kind: "event", messageId: event.messageId, event, userId: `u_${n % 40000}`, groupId: `cus_${customer}` }
    : { kind: "event", messageId: event.messageId, event, userId: `cus_${customer}` };
}

/** CPU seconds (user + system) of the PostgreSQL server: its postmaster and the processes it forked. */
function serverCpu(): number {
  const dir = process.env.TRACKD_TEST_PG_DIR;
  if (!dir) return NaN;
  const postmaster = Number(readFileSync(join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
  let ticks = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      // Fields after the command's closing parenthesis: state, ppid, …, utime (14th), stime (15th).
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pid) === postmaster || Number(fields[1]) === postmaster) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks / 100; // CLK_TCK is 100 on Linux
}

async function measure(applier: Applier, withServer: boolean) {
  const commands = Math.ceil(MESSAGES / PER_COMMAND);
  const cpu = process.cpuUsage();
  const server = withServer ? serverCpu() : 0;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < commands) {
        next += 1;
        const now = Date.now();
        await applier.apply({ type: "ApplySegmentBatch", appId: "app_bench", receivedAt: now, messages: Array.from({ length: PER_COMMAND }, () => message(now)) });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const own = (used.user + used.system) / 1e6;
  const total = commands * PER_COMMAND;
  const serverUsed = withServer ? serverCpu() - server : 0;
  return { rate: total / seconds, ownUs: (own / total) * 1e6, serverUs: (serverUsed / total) * 1e6 };
}

const APP = "INSERT INTO apps (id, pk, name, signing_secret, created_at) VALUES ('app_bench', 1, 'bench', 's', 0)";
console.log(`${MESSAGES} Segment track messages, ${PER_COMMAND} per command, ${IN_FLIGHT} commands in flight`);
console.log("backend      messages/s   trackd µs/msg   server µs/msg   total µs/msg");
const line = (name: string, r: { rate: number; ownUs: number; serverUs: number }) =>
  console.log(`${name.padEnd(12)} ${r.rate.toFixed(0).padStart(10)} ${r.ownUs.toFixed(0).padStart(15)} ${r.serverUs.toFixed(0).padStart(15)} ${(r.ownUs + r.serverUs).toFixed(0).padStart(14)}`);

if (flags.only !== "postgres") {
  const dir = mkdtempSync(join(tmpdir(), "trackd-segment-bench-"));
  const db = openMigratedDatabase(join(dir, "bench.db"), "full");
  db.$client.run(APP);
  line("sqlite", await measure(createSqliteApplier({ db, writer: new Writer(db), clock: Date.now }), false));
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
}
if (flags.only !== "sqlite") {
  const { url, drop } = await freshDatabase({ migrated: true });
  const pg = openPostgres(url);
  await pg.$client.unsafe(APP);
  const applier = createPgApplier({ sql: pg.$client, clock: Date.now });
  line("postgres", await measure(applier, true));
  await applier.close();
  await closePostgres(pg);
  await drop();
}
