// trackd backup while the server ingests: the copy holds every event acknowledged before the
// backup began, no half-written batch (the write-time counts agree with the events), passes
// integrity_check and serves. Runs the compiled binary when TRACKD_TEST_BINARY is set.
import { afterEach, expect } from "bun:test";
import { Database } from "bun:sqlite";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAppJson, readDb, removeScratches, sqliteScratch } from "../support/cli";
import { cleanEnv, freePort, TRACKD_COMMAND, startTrackd } from "../support/process";
import { testSqlite } from "../support/backend";
// SQLite-only (skipped on TRACKD_TEST_BACKEND=postgres): `trackd backup` is SQLite's online snapshot (pg_dump on PostgreSQL).

afterEach(removeScratches);

const backup = (args: string[]) =>
  Bun.spawn([...TRACKD_COMMAND, "backup", ...args], { env: cleanEnv(), stdout: "pipe", stderr: "pipe" });

testSqlite("a backup under load holds every acknowledged event and consistent counts, and serves", async () => {
  const s = sqliteScratch();
  const { appId, apiKey } = createAppJson(s, "acme");
  const port = freePort();
  const server = await startTrackd(s.db, port, ["--health-interval", "0"]);
  const headers = { "x-ck-api-key": apiKey, "x-ck-app": appId, "content-type": "application/json" };
  const acked: { id: string; at: number }[] = [];
  let sending = true;
  const client = async (n: number) => {
    for (let i = 0; sending; i++) {
      const body = i % 5 === 4
        ? JSON.stringify(Array.from({ length: 20 }, (_, k) => ({ event: "Bulk Imported", customerId: `cus_${k % 9}`, eventDate: "2026-01-02" })))
        : JSON.stringify({ event: "Post Created", customerId: `cus_${n}_${i % 13}`, user: { uid: `u_${i % 3}` } });
      const res = await fetch(`http://127.0.0.1:${port}/v1/api/events/${i % 5 === 4 ? "bulk" : "new"}`, { method: "POST", headers, body });
      expect(res.status).toBe(201);
      const reply = (await res.json()) as { id?: string; ids?: string[] };
      const at = performance.now();
      for (const id of reply.ids ?? [reply.id!]) acked.push({ id, at });
    }
  };
  const clients = [0, 1, 2, 3].map(client);
  try {
    while (acked.length < 500) await Bun.sleep(10);
    const out = join(s.dir, "copy.db");
    const startedAt = performance.now();
    const proc = backup(["--db", s.db, "--out", out]);
    expect(await proc.exited).toBe(0);
    const ackedBefore = acked.filter((a) => a.at < startedAt).map((a) => a.id);
    const ackedAfter = acked.length - ackedBefore.length;
    sending = false;
    await Promise.all(clients);
    expect(ackedAfter).toBeGreaterThan(0); // ingestion went on while the backup ran

    readDb(out, (db: Database) => {
      expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
      const stored = new Set((db.query("select id from events").all() as { id: string }[]).map((row) => row.id));
      expect(ackedBefore.filter((id) => !stored.has(id))).toEqual([]);
      // Each batch's counts are written in its own transaction: a torn copy would disagree here.
      const n = (sql: string) => (db.query(sql).get() as { n: number }).n;
      const events = n("select count(*) as n from events");
      expect(n("select sum(event_count) as n from customers")).toBe(events);
      expect(n("select sum(count) as n from app_daily_counts")).toBe(events);
      expect(n("select sum(count) as n from customer_event_stats")).toBe(events);
      expect(n("select count(*) as n from customers c where event_count <> (select count(*) from events e where e.customer_pk = c.pk)")).toBe(0);
    });

    // The copy is a working database: serve it and read through the API with the same key.
    const copyPort = freePort();
    const copy = await startTrackd(out, copyPort, ["--health-interval", "0"]);
    try {
      const res = await fetch(`http://127.0.0.1:${copyPort}/v1/api/events?limit=1`, { headers });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { events: unknown[] }).events).toHaveLength(1);
    } finally {
      copy.kill("SIGTERM");
      await copy.exited;
    }
  } finally {
    sending = false;
    await Promise.allSettled(clients);
    server.kill("SIGTERM");
    await server.exited;
  }
}, 60_000);

testSqlite("backup never overwrites a file and needs --out", async () => {
  const s = sqliteScratch();
  createAppJson(s, "acme");
  const existing = join(s.dir, "taken.db");
  writeFileSync(existing, "precious");
  const refused = backup(["--db", s.db, "--out", existing]);
  expect(await refused.exited).toBe(1);
  expect(await new Response(refused.stderr).text()).toContain("already exists");
  expect(await Bun.file(existing).text()).toBe("precious");
  const usage = backup(["--db", s.db]);
  expect(await usage.exited).toBe(2);
  expect(await new Response(usage.stderr).text()).toContain("backup needs --out FILE");
  const missing = backup(["--db", join(s.dir, "nope.db"), "--out", join(s.dir, "x.db")]);
  expect(await missing.exited).toBe(1);
}, 30_000);
