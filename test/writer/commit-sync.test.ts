// Durable commits synced off the main thread (src/db/wal-sync.ts): a batch's jobs settle only
// after a sync begun after its COMMIT completes; a failed sync fails them; close() syncs first.
import { afterEach, expect } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { walSync, type CommitSync } from "../../src/db/wal-sync";
import { Writer } from "../../src/store/writer";
import { testSqlite } from "../support/backend";
// SQLite-only (skipped on TRACKD_TEST_BACKEND=postgres): WAL sync off the main thread (synchronous=NORMAL + fsync worker): SQLite's file machinery.

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function database() {
  const dir = mkdtempSync(join(tmpdir(), "trackd-sync-"));
  dirs.push(dir);
  const path = join(dir, "w.db");
  const db = new Database(path, { create: true });
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = FULL");
  db.run("create table t (v text)");
  const insert = db.prepare("insert into t (v) values (?)");
  return { path, db, insert: (v: string) => void insert.run(v) };
}

/** A sync that completes only when the test says so, counting what it was asked. */
function manualSync() {
  const waiting: ((error: Error | null) => void)[] = [];
  const sync: CommitSync & { calls: number; nowCalls: number } = {
    calls: 0,
    nowCalls: 0,
    sync(done) {
      this.calls++;
      waiting.push(done);
    },
    syncNow() {
      this.nowCalls++;
    },
    close() {},
  };
  return { sync, complete: (error: Error | null = null) => waiting.shift()!(error), waiting };
}

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(() => (done = true), () => (done = true));
  await Bun.sleep(0);
  await Bun.sleep(0);
  return done;
};

testSqlite("a committed batch settles only once its sync completes; a batch submitted meanwhile waits for it, then commits and is synced by the next", async () => {
  const { db, insert } = database();
  const { sync, complete, waiting } = manualSync();
  const writer = new Writer(db, { sync });
  const first = writer.submit(() => insert("a"));
  await Bun.sleep(0); // the batch commits on the next turn
  expect(writer.stats.batches).toBe(1);
  expect(await settled(first)).toBe(false);

  const second = writer.submit(() => insert("b"));
  const third = writer.submit(() => insert("c"));
  await Bun.sleep(0);
  await Bun.sleep(0);
  expect(writer.stats.batches).toBe(1); // waiting for the sync, not committed yet
  expect(sync.calls).toBe(1); // one sync at a time

  complete();
  await first;
  await Bun.sleep(0); // the waiting batch commits on the turn after the sync completed
  expect(writer.stats).toEqual({ batches: 2, jobs: 3 });
  expect(await settled(second)).toBe(false);
  expect(waiting).toHaveLength(1); // the next sync covers it
  complete();
  await Promise.all([second, third]);
  expect(sync.calls).toBe(2);
  expect(db.query("select v from t order by rowid").values().flat()).toEqual(["a", "b", "c"]);
});

testSqlite("a full batch commits during a sync all the same, and the batches committed meanwhile share the next sync", async () => {
  const { db, insert } = database();
  const { sync, complete, waiting } = manualSync();
  const writer = new Writer(db, { sync, maxBatch: 2 });
  const first = writer.submit(() => insert("a"));
  await Bun.sleep(0);
  expect(writer.stats.batches).toBe(1);

  const later = ["b", "c", "d", "e"].map((v) => writer.submit(() => insert(v))); // two full batches
  expect(writer.stats.batches).toBe(3);
  expect(sync.calls).toBe(1);
  expect(await settled(later[0]!)).toBe(false);

  complete();
  await first;
  expect(waiting).toHaveLength(1); // one sync for both batches
  expect(await settled(later[3]!)).toBe(false);
  complete();
  await Promise.all(later);
  expect(sync.calls).toBe(2);
});

testSqlite("a failed sync fails its batch's jobs", async () => {
  const { db, insert } = database();
  const { sync, complete } = manualSync();
  const writer = new Writer(db, { sync });
  const job = writer.submit(() => insert("a"));
  await Bun.sleep(0);
  complete(new Error("EIO: the disk failed"));
  await expect(job).rejects.toThrow("EIO");
});

testSqlite("the batch commits with synchronous=NORMAL and the connection's own setting is back after it", async () => {
  const { db, insert } = database();
  const { sync, complete } = manualSync();
  const writer = new Writer(db, { sync });
  let during: number | undefined;
  const job = writer.submit(() => {
    insert("a");
    during = (db.query("PRAGMA synchronous").get() as { synchronous: number }).synchronous;
  });
  await Bun.sleep(0);
  complete();
  await job;
  expect(during).toBe(1); // NORMAL
  expect((db.query("PRAGMA synchronous").get() as { synchronous: number }).synchronous).toBe(2); // FULL
});

testSqlite("close() commits what is queued and syncs it before returning", async () => {
  const { db, insert } = database();
  const { sync } = manualSync();
  const writer = new Writer(db, { sync });
  const job = writer.submit(() => insert("a"));
  writer.close();
  expect(sync.nowCalls).toBe(1);
  await job;
});

testSqlite("with the real WAL sync, jobs settle and their rows are in the log", async () => {
  const { path, db, insert } = database();
  const sync = walSync(path);
  const writer = new Writer(db, { sync });
  await Promise.all(Array.from({ length: 20 }, (_, i) => writer.submit(() => insert(`v${i}`))));
  await writer.submit(() => insert("last"));
  const other = new Database(path, { readonly: true });
  expect((other.query("select count(*) as n from t").get() as { n: number }).n).toBe(21);
  other.close();
  writer.close();
  sync.close();
});
