// Group commit: every write of the process goes through here. Jobs submitted during one
// event-loop turn run in ONE SQLite transaction, flushed on the next turn (setImmediate; with a
// CommitSync, once the sync running then completes) or at once when `maxBatch` jobs are waiting. A job's promise settles only after its transaction
// has committed, so a request answered "ok" is on disk (with synchronous=FULL, or with a
// CommitSync that syncs the log off the main thread, even across power loss). A fixed timer
// would add latency (a 5 ms timer cut throughput ~4× in the stack notes' measurements); one transaction per request pays an fsync each (bench/: ~2.8× fewer
// requests/s on this machine's fast disk, more on slower ones).
import type { Database } from "bun:sqlite";
import type { Db } from "../db";
import type { CommitSync } from "../db/wal-sync";
import { AppError } from "../errors";

/**
 * A unit of work run synchronously inside the batch transaction. It may throw to reject itself
 * alone. It may run twice (the first run rolled back, when a neighbour threw), so it must have
 * no effects outside the database.
 */
export type Job<T> = () => T;

interface Outcome {
  ok: boolean;
  value: unknown;
}

interface Pending {
  run: Job<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Work that jobs gather and the batch writes once, at its end: counts summed across the batch
 * rather than written per event. The writer flushes it inside the transaction, before COMMIT
 * (or before each job's RELEASE when jobs run in savepoints), and discards it whenever what
 * gathered it is rolled back.
 */
export interface Deferred {
  flush(): void;
  discard(): void;
}

export interface WriterOptions {
  /** Flush early once this many jobs are waiting. */
  maxBatch?: number;
  /**
   * Most events waiting to be committed; past it submit() fails with SERVICE_UNAVAILABLE
   * (503 + Retry-After) instead of queueing work that can't be committed soon. A bulk
   * request weighs as many events as it carries.
   */
  maxPending?: number;
  /** How the next flush is scheduled: the next event-loop turn, unless a test slows it down. */
  schedule?: (flush: () => void) => void;
  /**
   * Makes the writer's commits durable off the main thread (src/db/wal-sync.ts): its batches
   * then commit with synchronous=NORMAL (the connection's own setting is restored after each,
   * so any other write on it stays as durable as before), and a batch's jobs settle once a sync
   * begun after its COMMIT has completed, while the next batches run. Without it, a commit is
   * as durable as the connection's synchronous setting makes it when COMMIT returns.
   */
  sync?: CommitSync;
}

export const DEFAULT_MAX_PENDING = 20_000;

/** What the Prometheus metrics see of the writer (src/monitoring). */
export interface WriterObserver {
  /** A committed transaction: its jobs and how long it took, BEGIN to COMMIT. */
  batch(jobs: number, seconds: number): void;
  /** A write refused because the queue was full. */
  shed(): void;
}

/** Batches committed and waiting for a sync: how to settle their jobs, and how to fail them. */
interface Unsynced {
  settle: (() => void)[];
  fail: ((error: unknown) => void)[];
}

const NO_OBSERVER: WriterObserver = { batch() {}, shed() {} };

export class Writer {
  /** Committed so far: batches (transactions) and jobs. */
  readonly stats = { batches: 0, jobs: 0 };
  private queue: Pending[] = [];
  private readonly deferred: Deferred[] = [];
  private pendingWeight = 0;
  private scheduled = false;
  private closed = false;
  private observer = NO_OBSERVER;
  private readonly maxBatch: number;
  private readonly maxPending: number;
  private readonly schedule: (flush: () => void) => void;
  private readonly begin;
  private readonly commit;
  private readonly rollback;
  private readonly savepoint;
  private readonly release;
  private readonly rollbackToSavepoint;
  private readonly sync: CommitSync | undefined;
  /** With `sync`: synchronous=NORMAL for the batch, and back to the connection's setting after it. */
  private readonly relax;
  private readonly restore;
  /** Committed batches whose jobs settle after the next sync (with `sync` only). */
  private unsynced: Unsynced = { settle: [], fail: [] };
  /** The batches of the sync running now, if one is. */
  private syncing: Unsynced | undefined;

  constructor(database: Db | Database, options: WriterOptions = {}) {
    const db = "$client" in database ? database.$client : database;
    this.maxBatch = options.maxBatch ?? 1000;
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.schedule = options.schedule ?? setImmediate;
    this.sync = options.sync;
    // Only outside a transaction: SQLite refuses to change it inside one. Not prepared: this
    // pragma takes effect when compiled, not when a prepared statement is run.
    const level = (db.prepare("PRAGMA synchronous").get() as { synchronous: number }).synchronous;
    this.relax = this.sync ? () => db.run("PRAGMA synchronous = NORMAL") : undefined;
    this.restore = this.sync ? () => db.run(`PRAGMA synchronous = ${level}`) : undefined;
    // IMMEDIATE takes the write lock up front, so a second process (the CLI) waits on
    // busy_timeout instead of failing half way through the batch.
    this.begin = db.prepare("BEGIN IMMEDIATE");
    this.commit = db.prepare("COMMIT");
    this.rollback = db.prepare("ROLLBACK");
    this.savepoint = db.prepare("SAVEPOINT job");
    this.release = db.prepare("RELEASE job");
    this.rollbackToSavepoint = db.prepare("ROLLBACK TO job");
  }

  /** `weight`: how many events the job writes, counted against maxPending. */
  submit<T>(run: Job<T>, weight = 1): Promise<T> {
    if (this.closed) return Promise.reject(new AppError("SERVICE_UNAVAILABLE", "server is shutting down"));
    if (this.pendingWeight + weight > this.maxPending) {
      this.observer.shed();
      return Promise.reject(
        new AppError("SERVICE_UNAVAILABLE", "the write queue is full; retry after the Retry-After delay", {
          headers: { "retry-after": "1" },
        }),
      );
    }
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    this.queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
    this.pendingWeight += weight;
    if (this.queue.length >= this.maxBatch) this.flush();
    else this.flushSoon();
    return promise;
  }

  private flushSoon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(this.scheduledFlush);
  }

  /**
   * With `sync`, a batch waits while a sync runs and commits once it has completed, instead of
   * committing on the next turn and then waiting for that sync anyway (its jobs could settle only
   * after the next sync, which starts when this one ends). Its COMMIT and the count sums flushed
   * per batch are then paid once for everything that arrived during the sync, as they were when
   * the sync ran inside COMMIT. The server is pinned to one core, so the sync's kernel work
   * competes with the event loop anyway (~0.3 ms of the main thread per sync in a --cpu-prof
   * under load, 8-10% of it), and fewer, larger batches are what pays. Measured 2026-11-29, single
   * events, Zipf, full, 64 connections, loaded machine: jobs per batch 26.9-27.9 -> 31.6-31.7,
   * CPU per event 192-209 -> 164-202 µs, events/s (median of 3 paired runs) 3,295 -> 3,823; in
   * bench/run.ts's A/B (3 rounds) 0.97x, within its spread. A full batch (maxBatch) and close()
   * still commit at once; the queue meanwhile counts against maxPending as before.
   */
  private readonly scheduledFlush = () => {
    this.scheduled = false;
    if (this.syncing) return; // the sync's completion schedules the flush
    this.flush();
  };

  /**
   * Commits everything waiting. Synchronous: when it returns, the batch is committed or rejected
   * (and on disk, unless `sync` is given: then its jobs settle once it is).
   */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.pendingWeight = 0;
    let outcomes: Outcome[];
    const startedAt = performance.now();
    try {
      // Jobs almost never throw (they check before they write), so the batch first runs
      // without a savepoint per job: savepoints copy every touched page to a sub-journal
      // (A/B on the write path, batches of 64: 14.5-16 µs per event without, 17.7-19.4 with).
      // If a job does throw, the batch is rolled back and run again with savepoints, so that
      // job fails alone and the others still commit.
      outcomes = this.runOptimistic(batch) ?? this.runIsolated(batch);
    } catch (error) {
      // The transaction itself failed (disk full, I/O error): nothing of the batch was stored.
      for (const job of batch) job.reject(error);
      return;
    }
    this.stats.batches += 1;
    this.stats.jobs += batch.length;
    this.observer.batch(batch.length, (performance.now() - startedAt) / 1000);
    const settle = () => batch.forEach((job, i) => (outcomes[i].ok ? job.resolve(outcomes[i].value) : job.reject(outcomes[i].value)));
    if (!this.sync) return settle();
    this.unsynced.settle.push(settle);
    this.unsynced.fail.push((error) => batch.forEach((job) => job.reject(error)));
    this.startSync();
  }

  /**
   * One sync at a time: a batch committed while one runs waits for the next, which then covers
   * every batch committed meanwhile (group commit for the fsync too).
   */
  private startSync(): void {
    if (this.syncing || this.unsynced.settle.length === 0) return;
    const batches = (this.syncing = this.unsynced);
    this.unsynced = { settle: [], fail: [] };
    this.sync!.sync((error) => {
      this.syncing = undefined;
      // Committed but maybe not on disk: not acknowledged (a 500; a retry with a messageId is safe).
      if (error) batches.fail.forEach((reject) => reject(error));
      else batches.settle.forEach((resolve) => resolve());
      this.startSync(); // batches flushed meanwhile by maxBatch or close()
      // On the next turn, so the settled requests are answered before the waiting batch runs.
      if (this.queue.length > 0) this.flushSoon();
    });
  }

  observe(observer: WriterObserver): void {
    this.observer = observer;
  }

  /** Registers work to be flushed at the end of every batch (see Deferred). */
  defer(participant: Deferred): void {
    this.deferred.push(participant);
  }

  /**
   * For a job that reads what deferred work writes (erasure reads the counts): writes what the
   * batch has gathered so far. Only meaningful inside a job.
   */
  flushDeferred(): void {
    for (const participant of this.deferred) participant.flush();
  }

  /** Stops accepting work and commits what is queued; with `sync`, makes it durable before returning. */
  close(): void {
    this.closed = true;
    this.flush();
    if (!this.sync) return;
    // Covers the batches of a sync still running too: they settle now, and again (a no-op for a
    // settled promise) when it completes.
    const batches = [this.syncing, this.unsynced].filter((b): b is Unsynced => b !== undefined);
    this.unsynced = { settle: [], fail: [] };
    try {
      this.sync.syncNow();
      for (const b of batches) b.settle.forEach((resolve) => resolve());
    } catch (error) {
      for (const b of batches) b.fail.forEach((reject) => reject(error));
    }
  }

  /** Events waiting to be committed. */
  get pending(): number {
    return this.pendingWeight;
  }

  /** The batch in one transaction, no savepoints; null (rolled back) if any job threw. */
  private runOptimistic(batch: Pending[]): Outcome[] | null {
    let jobThrew = false;
    try {
      return this.inTransaction(() => {
        const outcomes = batch.map((job) => {
          try {
            return { ok: true, value: job.run() };
          } catch (error) {
            jobThrew = true;
            throw error;
          }
        });
        this.flushDeferred();
        return outcomes;
      });
    } catch (error) {
      if (jobThrew) return null;
      throw error;
    }
  }

  /** The batch in one transaction, each job in a savepoint so a failing one is undone alone. */
  private runIsolated(batch: Pending[]): Outcome[] {
    return this.inTransaction(() =>
      batch.map((job) => {
        this.savepoint.run();
        try {
          const value = job.run();
          this.flushDeferred();
          this.release.run();
          return { ok: true, value };
        } catch (error) {
          this.discardDeferred();
          this.rollbackToSavepoint.run();
          this.release.run();
          return { ok: false, value: error };
        }
      }),
    );
  }

  private inTransaction<T>(body: () => T): T {
    this.relax?.();
    this.begin.run();
    try {
      const result = body();
      this.commit.run();
      return result;
    } catch (error) {
      this.discardDeferred();
      this.rollbackQuietly();
      throw error;
    } finally {
      this.restore?.();
    }
  }

  private discardDeferred(): void {
    for (const participant of this.deferred) participant.discard();
  }

  private rollbackQuietly(): void {
    try {
      this.rollback.run();
    } catch {
      // SQLite already rolled back (some errors end the transaction themselves)
    }
  }
}
