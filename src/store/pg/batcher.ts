// Group commit on PostgreSQL, the counterpart of ../writer.ts: commands submitted during one
// event-loop turn run in ONE transaction, one batch in flight per node (the next waits for it,
// gathering what arrives meanwhile), each settled only after COMMIT. The same queue cap as the
// SQLite writer: past `maxPending` events a submit fails with 503 + Retry-After.
//
// All or nothing per command without a savepoint per command (two more round trips each): a
// command that throws aborts the transaction, and the batch runs again without it, as the
// SQLite writer re-runs a batch whose job threw. A batch that loses a race with another node
// (retry.ts: deadlock, serialization failure, unique race) runs again whole after a short
// jittered pause, a bounded number of times: the commands are safe to re-run.
import type postgres from "postgres";
import { AppError } from "../../errors";
import { DEFAULT_MAX_PENDING, type WriterObserver } from "../writer";
import { backoff, isRetryable, MAX_RETRIES } from "./retry";

export type PgTx = postgres.TransactionSql;

/**
 * What a batch's commands share inside one transaction attempt: `prepare` runs first with every
 * job's hint (what the job is about, to look up at once), `finish` last, before COMMIT.
 */
export interface BatchContext {
  prepare(hints: unknown[]): Promise<void>;
  finish(): Promise<void>;
}

export type PgJob<C, T> = (context: C) => Promise<T>;

interface Pending<C> {
  run: PgJob<C, unknown>;
  hint: unknown;
  weight: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface PgBatcherOptions {
  /** "normal": `synchronous_commit = off` for the batch (a crash of PostgreSQL may lose the last few hundred ms); "full": the server's default. */
  durability?: "full" | "normal";
  maxBatch?: number;
  maxPending?: number;
  /** For tests: runs in every transaction attempt (attempt 0 is the first), before the commands. */
  onTransaction?: (tx: PgTx, attempt: number) => Promise<void>;
}

export class PgBatcher<C extends BatchContext> {
  readonly stats = { batches: 0, jobs: 0, retries: 0 };
  private queue: Pending<C>[] = [];
  private pendingWeight = 0;
  private scheduled = false;
  private running: Promise<void> | null = null;
  private closed = false;
  private observer: WriterObserver = { batch() {}, shed() {} };
  private readonly maxBatch: number;
  private readonly maxPending: number;

  constructor(
    private readonly sql: postgres.Sql,
    /** `attempt`: 0 for a batch's first transaction, then 1, 2… for its retries. */
    private readonly contextFor: (tx: PgTx, attempt: number) => C,
    private readonly options: PgBatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 1000;
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  }

  submit<T>(run: PgJob<C, T>, weight = 1, hint?: unknown): Promise<T> {
    if (this.closed) return Promise.reject(new AppError("SERVICE_UNAVAILABLE", "server is shutting down"));
    if (this.pendingWeight + weight > this.maxPending) {
      this.observer.shed();
      return Promise.reject(
        new AppError("SERVICE_UNAVAILABLE", "the write queue is full; retry after the Retry-After delay", { headers: { "retry-after": "1" } }),
      );
    }
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    this.queue.push({ run: run as PgJob<C, unknown>, hint, weight, resolve: resolve as (value: unknown) => void, reject });
    this.pendingWeight += weight;
    this.schedule();
    return promise;
  }

  observe(observer: WriterObserver): void {
    this.observer = observer;
  }

  /** Events queued or in the batch being written. */
  get pending(): number {
    return this.pendingWeight;
  }

  /** Stops accepting work and waits until everything queued is committed or rejected. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running || this.queue.length > 0) {
      if (!this.running) this.start();
      await this.running;
    }
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.running) this.start();
    });
  }

  /** Takes up to maxBatch queued jobs as the batch in flight; when it settles, the next one starts. */
  private start(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.running = this.runBatch(batch).finally(() => {
      for (const job of batch) this.pendingWeight -= job.weight;
      this.running = null;
      if (this.queue.length > 0) this.start();
    });
  }

  private async runBatch(batch: Pending<C>[]): Promise<void> {
    let live = batch;
    let attempt = 0;
    const startedAt = performance.now();
    while (live.length > 0) {
      let failed = -1;
      try {
        const { values } = await this.sql.begin(async (tx) => {
          const context = this.contextFor(tx, attempt);
          // Pipelined with the batch's first lookups: one round trip.
          await Promise.all([
            this.options.durability === "normal" && tx`set local synchronous_commit = off`.execute(),
            context.prepare(live.map((job) => job.hint)),
          ]);
          await this.options.onTransaction?.(tx, attempt);
          const values: unknown[] = [];
          for (const [i, job] of live.entries()) {
            try {
              values.push(await job.run(context));
            } catch (error) {
              failed = i;
              throw error;
            }
          }
          await context.finish();
          return { values };
        });
        this.stats.batches += 1;
        this.stats.jobs += live.length;
        this.observer.batch(live.length, (performance.now() - startedAt) / 1000);
        live.forEach((job, i) => job.resolve(values[i]));
        return;
      } catch (error) {
        if (isRetryable(error) && attempt < MAX_RETRIES) {
          attempt += 1;
          this.stats.retries += 1;
          await Bun.sleep(backoff(attempt));
        } else if (failed >= 0 && !isRetryable(error)) {
          // That command alone is at fault: it fails, the others run again without it.
          live[failed]!.reject(error);
          live = live.filter((_, i) => i !== failed);
        } else {
          for (const job of live) job.reject(error);
          return;
        }
      }
    }
  }
}
