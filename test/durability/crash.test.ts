// An acknowledged event is on disk: kill -9 the server mid-stream, at random points, and check
// that every acknowledged event is there exactly once, that the database is intact, and that
// re-sending everything (same messageIds) leaves each event stored exactly once.
import { Database } from "bun:sqlite";
import { afterEach, expect } from "bun:test";
import type { Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openMigratedDatabase } from "../../src/db";
import { freePort, startTrackd } from "../support/process";
import { createAppNow, sqliteStore } from "../helpers";
import { testSqlite } from "../support/backend";
// SQLite-only (skipped on TRACKD_TEST_BACKEND=postgres): SIGKILL of trackd on a SQLite file; PostgreSQL's crash case is test/pg/multi-node.test.ts.

const ROUNDS = 5;
const CONCURRENCY = 24;

const dirs: string[] = [];
const processes: Subprocess[] = [];
afterEach(() => {
  processes.splice(0).forEach((proc) => proc.kill("SIGKILL"));
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

interface Planned {
  path: "/v1/api/events/new" | "/v1/api/events/bulk";
  body: unknown;
  messageIds: string[];
}

/** 300 single requests and 30 bulk requests of 10, every event with its own messageId. */
function plan(round: number): Planned[] {
  const requests: Planned[] = [];
  for (let i = 0; i < 300; i++) {
    const messageId = `r${round}-s${i}`;
    const body = { event: "Order Placed", customerId: `cus_${i % 37}`, eventData: { i }, messageId };
    requests.push({ path: "/v1/api/events/new", body, messageIds: [messageId] });
    if (i % 10 === 0) {
      const items = Array.from({ length: 10 }, (_, j) => ({
        event: "Item Imported",
        uid: `user_${(i + j) % 23}`,
        eventDate: "2025-03-01",
        messageId: `r${round}-b${i}-${j}`,
      }));
      requests.push({ path: "/v1/api/events/bulk", body: items, messageIds: items.map((item) => item.messageId) });
    }
  }
  return requests;
}

async function startServer(db: string, port: number) {
  const proc = await startTrackd(db, port);
  processes.push(proc);
  return proc;
}

/**
 * Sends every request with CONCURRENCY workers; returns the messageIds the server acknowledged.
 * `onAck` sees the running count of acknowledged requests (the test kills the server from it).
 */
async function sendAll(
  port: number,
  requests: Planned[],
  headers: Record<string, string>,
  onAck: (acks: number) => void = () => {},
) {
  const acknowledged: string[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  let acks = 0;
  const worker = async () => {
    while (next < requests.length) {
      const request = requests[next++];
      const status = await fetch(`http://127.0.0.1:${port}${request.path}`, {
        method: "POST",
        headers,
        body: JSON.stringify(request.body),
        signal: AbortSignal.timeout(10_000),
      }).then(
        (res) => res.status,
        () => 0, // the server died under us: not acknowledged
      );
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 200 || status === 201) {
        acknowledged.push(...request.messageIds);
        onAck(++acks);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { acknowledged, statuses };
}

function storedCounts(db: string): { integrity: string; counts: Map<string, number>; total: number } {
  const sqlite = new Database(db, { readonly: true });
  try {
    const integrity = (sqlite.query("pragma integrity_check").get() as { integrity_check: string }).integrity_check;
    const rows = sqlite.query("select message_id, count(*) as n from events group by message_id").all() as { message_id: string; n: number }[];
    const total = (sqlite.query("select count(*) as n from events").get() as { n: number }).n;
    return { integrity, counts: new Map(rows.map((row) => [row.message_id, row.n])), total };
  } finally {
    sqlite.close();
  }
}

testSqlite(
  "kill -9 at random points loses no acknowledged event, and re-sending stores each exactly once",
  async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const dir = mkdtempSync(join(tmpdir(), "trackd-crash-"));
      dirs.push(dir);
      const db = join(dir, "trackd.db");
      const setup = openMigratedDatabase(db);
      const app = createAppNow(sqliteStore(setup), "crash");
      setup.$client.close();
      const headers = { "x-ck-api-key": app.apiKey, "x-ck-app": app.appId, "content-type": "application/json" };
      const port = freePort();
      const requests = plan(round);

      const server = await startServer(db, port);
      // SIGKILL the moment a random number of requests has been acknowledged, with the others
      // in flight: any acknowledgement that ran ahead of its commit would show up as missing.
      const killAfter = 10 + Math.floor(Math.random() * 250);
      const { acknowledged } = await sendAll(port, requests, headers, (acks) => {
        if (acks === killAfter) server.kill("SIGKILL");
      });
      await server.exited;

      const afterCrash = storedCounts(db);
      const planned = requests.flatMap((request) => request.messageIds).length;
      console.log(`round ${round}: killed after ${acknowledged.length} of ${planned} events acknowledged, ${afterCrash.total} on disk`);
      expect(acknowledged.length).toBeLessThan(planned); // the kill really landed mid-stream
      expect(afterCrash.integrity).toBe("ok");
      expect(acknowledged.length).toBeGreaterThan(0);
      for (const messageId of acknowledged) expect(afterCrash.counts.get(messageId)).toBe(1);
      expect([...afterCrash.counts.values()].every((n) => n === 1)).toBe(true);

      // Restart and re-send everything, acknowledged or not.
      const restarted = await startServer(db, port);
      const resend = await sendAll(port, requests, headers);
      expect([...resend.statuses.keys()].sort()).toEqual(
        [...resend.statuses.keys()].filter((status) => status === 200 || status === 201).sort(),
      );
      restarted.kill("SIGTERM");
      expect(await restarted.exited).toBe(0);

      const final = storedCounts(db);
      expect(final.integrity).toBe("ok");
      const everyMessageId = requests.flatMap((request) => request.messageIds);
      expect(final.total).toBe(everyMessageId.length);
      for (const messageId of everyMessageId) expect(final.counts.get(messageId)).toBe(1);
    }
  },
  { timeout: 60_000 },
);
