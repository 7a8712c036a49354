import { afterEach, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppError } from "../../src/errors";
import { Writer } from "../../src/store/writer";
import { describeSqlite } from "../support/backend";
// SQLite-only (skipped on TRACKD_TEST_BACKEND=postgres): the SQLite group-commit writer's own internals (batching, savepoint-free rollback, deferred work).

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A writer on a real file, and a second connection to look at what is committed. */
function fileWriter(options?: { maxBatch?: number }) {
  const dir = mkdtempSync(join(tmpdir(), "trackd-writer-"));
  dirs.push(dir);
  const path = join(dir, "w.db");
  const db = new Database(path, { create: true });
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA foreign_keys = ON");
  db.run("create table parent (id integer primary key)");
  db.run("create table t (v text, parent integer references parent(id) deferrable initially deferred)");
  const observer = new Database(path, { readonly: true });
  const committed = () => (observer.query("select v from t order by rowid").all() as { v: string }[]).map((r) => r.v);
  const insert = db.prepare("insert into t (v, parent) values (?, ?)");
  return { writer: new Writer(db, options), insert: (v: string, parent: number | null = null) => insert.run(v, parent), committed };
}

describeSqlite("Writer", () => {
  test("jobs submitted in one event-loop turn commit in one transaction", async () => {
    const { writer, insert, committed } = fileWriter();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => writer.submit(() => (insert(`v${i}`), i))));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(writer.stats).toEqual({ batches: 1, jobs: 50 });
    expect(committed()).toHaveLength(50);
  });

  test("a full batch flushes at once instead of waiting for the next turn", async () => {
    const { writer, insert } = fileWriter({ maxBatch: 10 });
    await Promise.all(Array.from({ length: 35 }, (_, i) => writer.submit(() => insert(`v${i}`))));
    expect(writer.stats).toEqual({ batches: 4, jobs: 35 });
  });

  test("nothing is visible to other connections until the batch commits, and the promise settles after", async () => {
    const { writer, insert, committed } = fileWriter();
    const done = writer.submit(() => insert("a"));
    expect(committed()).toEqual([]); // queued, not yet run
    await done;
    expect(committed()).toEqual(["a"]);
  });

  test("a job that throws is undone alone; the rest of its batch commits", async () => {
    const { writer, insert, committed } = fileWriter();
    const ok1 = writer.submit(() => insert("keep-1"));
    const bad = writer.submit(() => {
      insert("undo-me");
      throw new AppError("VALIDATION_FAILED", "no");
    });
    const ok2 = writer.submit(() => insert("keep-2"));
    await expect(bad).rejects.toThrow("no");
    await ok1;
    await ok2;
    expect(committed()).toEqual(["keep-1", "keep-2"]);
    expect(writer.stats).toEqual({ batches: 1, jobs: 3 });
  });

  test("a failed commit rejects every job of the batch and stores nothing", async () => {
    const { writer, insert, committed } = fileWriter();
    const a = writer.submit(() => insert("a"));
    // A deferred foreign key is only checked at COMMIT, which therefore fails.
    const b = writer.submit(() => insert("b", 999));
    const outcomes = await Promise.allSettled([a, b]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    expect(committed()).toEqual([]);
    expect(writer.stats.batches).toBe(0);
    // The writer is usable afterwards.
    await writer.submit(() => insert("c"));
    expect(committed()).toEqual(["c"]);
  });

  test("close() commits what is queued, then refuses new work", async () => {
    const { writer, insert, committed } = fileWriter();
    const queued = writer.submit(() => insert("queued"));
    writer.close();
    expect(committed()).toEqual(["queued"]);
    await queued;
    const late = writer.submit(() => insert("late"));
    await expect(late).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
  });
});

describeSqlite("Writer: deferred work", () => {
  /** Gathers values in memory; its flush writes them as one row, like summed counts. */
  function summing(insert: (v: string) => unknown) {
    let gathered: string[] = [];
    const flushes: string[][] = [];
    return {
      gather: (v: string) => gathered.push(v),
      flushes,
      participant: {
        flush() {
          if (gathered.length === 0) return;
          insert(`sum:${gathered.join("+")}`);
          flushes.push(gathered);
          gathered = [];
        },
        discard() {
          gathered = [];
        },
      },
    };
  }

  test("what a batch gathers is written once, in the same transaction, before its jobs settle", async () => {
    const { writer, insert, committed } = fileWriter();
    const sums = summing(insert);
    writer.defer(sums.participant);
    const settled = await Promise.all(["a", "b", "c"].map((v) => writer.submit(() => (insert(v), sums.gather(v), committed().length))));
    expect(settled).toEqual([0, 0, 0]); // nothing visible to another connection while the batch runs
    expect(committed()).toEqual(["a", "b", "c", "sum:a+b+c"]);
    expect(sums.flushes).toEqual([["a", "b", "c"]]);
  });

  test("a failing job's gathered work is discarded with it; its neighbours' is written", async () => {
    const { writer, insert, committed } = fileWriter();
    const sums = summing(insert);
    writer.defer(sums.participant);
    const outcomes = await Promise.allSettled([
      writer.submit(() => (insert("a"), sums.gather("a"))),
      writer.submit(() => {
        insert("bad");
        sums.gather("bad");
        throw new AppError("VALIDATION_FAILED", "no");
      }),
      writer.submit(() => (insert("c"), sums.gather("c"))),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(committed()).toEqual(["a", "sum:a", "c", "sum:c"]); // in savepoints, flushed job by job
  });

  test("flushDeferred inside a job writes what the batch gathered so far", async () => {
    const { writer, insert, committed } = fileWriter();
    const sums = summing(insert);
    writer.defer(sums.participant);
    await Promise.all([
      writer.submit(() => (insert("a"), sums.gather("a"))),
      writer.submit(() => {
        writer.flushDeferred();
        insert("reader");
      }),
      writer.submit(() => (insert("c"), sums.gather("c"))),
    ]);
    expect(committed()).toEqual(["a", "sum:a", "reader", "c", "sum:c"]);
  });
});
