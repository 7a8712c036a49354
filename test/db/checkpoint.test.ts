// The checkpointer: a worker thread, not the server's commits, moves the WAL into the database.
import { afterEach, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openMigratedDatabase, type Db } from "../../src/db";
import { startCheckpointer } from "../../src/db/checkpoint";
import { Writer } from "../../src/store/writer";
import { describeSqlite } from "../support/backend";
// SQLite-only (skipped on TRACKD_TEST_BACKEND=postgres): the WAL checkpoint worker exists only for SQLite.

const dirs: string[] = [];
const open: Db[] = [];
// Aborted before the cleanup: a test that timed out stops writing and polling instead of
// touching a database that is closed and a file that is gone (it used to throw ENOENT).
let ended = new AbortController();
afterEach(() => {
  ended.abort();
  ended = new AbortController();
  open.splice(0).forEach((db) => db.$client.close());
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

function fileDb() {
  const dir = mkdtempSync(join(tmpdir(), "trackd-checkpoint-"));
  dirs.push(dir);
  const path = join(dir, "t.db");
  const db = openMigratedDatabase(path);
  open.push(db);
  return { db, path, wal: () => statSync(`${path}-wal`).size };
}

const pragma = (db: Db, name: string) => Object.values(db.$client.query(`PRAGMA ${name}`).get() as object)[0];

/** Commits `batches` transactions through the writer, each with 50 rows of 1 KB. */
async function writeBatches(db: Db, batches: number) {
  const { signal } = ended;
  const writer = new Writer(db.$client);
  db.$client.run("create table if not exists filler (v text)");
  const insert = db.$client.prepare("insert into filler (v) values (?)");
  for (let i = 0; i < batches; i++) {
    if (signal.aborted) await new Promise(() => {}); // the test has ended: stop here, quietly
    await Promise.all(Array.from({ length: 50 }, () => writer.submit(() => insert.run("x".repeat(1000)))));
  }
}

/**
 * Polls `condition` until it holds. Once the test has ended (timed out, its database closed and
 * its folder removed) it stops for good: it neither polls nor throws into a later test.
 */
async function until(condition: () => boolean | Promise<boolean>) {
  const { signal } = ended;
  for (;;) {
    if (signal.aborted) await new Promise(() => {});
    if (await condition()) return;
    await Bun.sleep(10);
  }
}

describeSqlite("checkpointer", () => {
  test("the server's connection stops checkpointing; the worker copies the log and rewinds it past the limit", async () => {
    const { db, path, wal } = fileDb();
    const checkpointer = await startCheckpointer(db, { path, durability: "full", intervalMs: 10, restartFrames: 200 });
    expect(pragma(db, "wal_autocheckpoint")).toBe(0);
    for (let round = 0; round < 10; round++) {
      await writeBatches(db, 20); // ~250 pages, past restartFrames
      // Wait for a whole pass that began after this round's writes (the one under way may not
      // have): it sees the log past the limit and rewinds it. Waiting on the worker rather than
      // on a fixed sleep keeps this true on a loaded machine, where a 15 ms sleep had let several
      // rounds pile up before a pass and the file grew past what the test expects.
      const seen = checkpointer.stats.checkpoints;
      await until(() => checkpointer.stats.checkpoints >= seen + 2);
    }
    expect(checkpointer.stats.restarts).toBeGreaterThanOrEqual(10);
    // Rewound each round, so the file is reused from its start: it no longer holds everything
    // written (~2,500 pages, 10 MB), only about one round.
    expect(wal()).toBeLessThanOrEqual(2 * 200 * 4096);
    await checkpointer.stop();
    expect(pragma(db, "integrity_check")).toBe("ok");
    expect(pragma(db, "wal_autocheckpoint")).toBe(0);
    expect((db.$client.query("select count(*) as n from filler").get() as { n: number }).n).toBe(10 * 20 * 50);
  }, 20_000); // 200 synced commits: over 5 s on a loaded 2-core machine

  test("while a reader holds an older snapshot (a backup), the worker stops rewinding the log; it does again once the reader ends", async () => {
    const { db, path } = fileDb();
    await writeBatches(db, 5); // frames in the log (fewer than restartFrames), so the reader's snapshot has a mark in it
    const checkpointer = await startCheckpointer(db, { path, durability: "full", intervalMs: 10, restartFrames: 200 });
    const reader = new Database(path, { readonly: true });
    reader.run("BEGIN");
    reader.query("select count(*) from filler").get(); // the read transaction starts here
    const ticks = async (n: number) => {
      const target = checkpointer.stats.checkpoints + n;
      await until(() => checkpointer.stats.checkpoints >= target);
    };
    await writeBatches(db, 20); // past restartFrames
    await ticks(3);
    // At most one attempt, on the tick the reader first held the copy back (README, Backup).
    const first = checkpointer.stats.restarts;
    expect(first).toBeLessThanOrEqual(1);
    for (let round = 0; round < 5; round++) {
      await writeBatches(db, 20); // the log keeps growing past the limit
      await ticks(2);
    }
    // Each RESTART here would hold the writer's lock for its busy timeout: none on later ticks.
    expect(checkpointer.stats.restarts).toBe(first);
    reader.run("COMMIT");
    reader.close();
    await until(() => checkpointer.stats.restarts > first);
    await checkpointer.stop();
  }, 20_000);

  test("without it, nothing checkpoints the log: it keeps everything written", async () => {
    const { db, wal } = fileDb();
    db.$client.run("PRAGMA wal_autocheckpoint = 0");
    await writeBatches(db, 200);
    expect(wal()).toBeGreaterThan(2_500 * 4096);
  });

  test("stop() waits for the worker to close its connection, so closing the server's removes the log", async () => {
    const { db, path } = fileDb();
    const checkpointer = await startCheckpointer(db, { path, durability: "normal", intervalMs: 10 });
    await writeBatches(db, 5);
    await checkpointer.stop();
    db.$client.close(true); // true: finalizes the connection's statements, so it really closes
    open.splice(0);
    expect(() => statSync(`${path}-wal`)).toThrow();
    const reopened = openMigratedDatabase(path);
    open.push(reopened);
    expect((reopened.$client.query("select count(*) as n from filler").get() as { n: number }).n).toBe(5 * 50);
  });

  test("a worker that cannot open the database hands checkpoints back to the server's connection", async () => {
    const { db } = fileDb();
    db.$client.run("PRAGMA wal_autocheckpoint = 0");
    await expect(startCheckpointer(db, { path: "/nonexistent/dir/t.db", durability: "full" })).rejects.toThrow("checkpoint worker failed");
    expect(pragma(db, "wal_autocheckpoint")).toBe(1000);
  });
});
