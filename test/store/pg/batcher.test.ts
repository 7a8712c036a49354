// The PostgreSQL applier's batching on a real cluster: one transaction per event-loop turn,
// durability as synchronous_commit, the queue cap, a deadlock retried whole, and the retry
// classifier.
import { afterEach, describe, expect, test } from "bun:test";
import { AppError } from "../../../src/errors";
import type { Command } from "../../../src/store/commands";
import type { PgTx } from "../../../src/store/pg/batcher";
import { backoff, isRetryable, MAX_RETRIES, RaceLost } from "../../../src/store/pg/retry";
import { describePg } from "../../support/postgres";
import { pgBackend, pgNode, T0 } from "./support";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const clock = () => T0;
const record = (customerId: string, count = 1): Extract<Command, { type: "RecordEvents" }> => ({
  type: "RecordEvents",
  appId: "app_1",
  source: "server",
  events: Array.from({ length: count }, () => ({ event: "a", customerId, eventDate: T0, eventData: null, verified: true })),
});

async function withApps(options: Parameters<typeof pgBackend>[2] = {}) {
  const backend = await pgBackend(clock, cleanups, options);
  await backend.pg.$client`INSERT INTO apps (id, pk, name, signing_secret, created_at) VALUES ('app_1', 1, 'one', 's', 0), ('app_2', 2, 'two', 's', 0)`;
  return backend;
}

describe("the retry classifier", () => {
  test.each([
    ["40P01", true],
    ["40001", true],
    ["23505", true],
    ["23503", false],
    ["42P01", false],
  ])("SQLSTATE %s retryable: %p", (code, retryable) => {
    expect(isRetryable(Object.assign(new Error("x"), { code }))).toBe(retryable);
  });

  test("a lost race is retryable; an application error is not; pauses are jittered, growing and bounded", () => {
    expect(isRetryable(new RaceLost("gone"))).toBe(true);
    expect(isRetryable(new AppError("VALIDATION_FAILED", "no"))).toBe(false);
    expect(backoff(1, () => 0)).toBe(5);
    expect(backoff(1, () => 1)).toBe(10);
    expect(backoff(MAX_RETRIES, () => 1)).toBeLessThanOrEqual(80);
    expect(backoff(2, () => 0)).toBeGreaterThan(backoff(1, () => 0));
  });
});

describePg("PostgreSQL batches", () => {
  test("commands of one event-loop turn commit in one transaction; the next turn's in another", async () => {
    const { applier } = await withApps();
    await Promise.all([applier.apply(record("c1")), applier.apply(record("c2")), applier.apply(record("c1"))]);
    expect(applier.stats).toMatchObject({ batches: 1, jobs: 3 });
    await applier.apply(record("c3"));
    expect(applier.stats).toMatchObject({ batches: 2, jobs: 4 });
  });

  test.each([
    ["normal", "off"],
    ["full", "on"],
  ] as const)("durability %s runs the batch with synchronous_commit %s", async (durability, expected) => {
    const seen: string[] = [];
    const onTransaction = async (tx: PgTx) => {
      const [row] = await tx<{ synchronous_commit: string }[]>`SHOW synchronous_commit`;
      seen.push(row!.synchronous_commit);
    };
    const { applier, pg } = await withApps({ durability, onTransaction });
    await applier.apply(record("c1"));
    expect(seen).toEqual([expected]);
    // SET LOCAL: the pool's connections keep the server's default afterwards.
    const [after] = await pg.$client<{ synchronous_commit: string }[]>`SHOW synchronous_commit`;
    expect(after!.synchronous_commit).toBe("on");
  });

  test("past maxPending events a command is refused with 503 and Retry-After, and nothing of it is stored", async () => {
    const { applier, pg } = await withApps({ maxPending: 3 });
    const first = applier.apply(record("c1", 2));
    const refused = applier.apply(record("c2", 2));
    const error = await refused.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "SERVICE_UNAVAILABLE", headers: { "retry-after": "1" } });
    await first;
    const [row] = await pg.$client<{ n: number }[]>`SELECT count(*) AS n FROM events`;
    expect(row!.n).toBe(2);
    await applier.close();
    await expect(applier.apply(record("c3"))).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
  });

  test("two nodes' batches that deadlock: PostgreSQL aborts one, which is retried whole and commits", async () => {
    let arrived = 0;
    const { promise: bothLocked, resolve } = Promise.withResolvers<void>();
    // Each node's first attempt takes two locks in opposite orders, meeting in between.
    const lockInOrder = (first: string, second: string) => async (tx: PgTx, attempt: number) => {
      if (attempt > 0) return;
      await tx`SET LOCAL deadlock_timeout = '50ms'`;
      // Advisory locks, which nothing else in a batch takes in this order: row locks on the apps
      // would meet the KEY SHARE locks that the batch's first inserts (its customers, made ahead
      // while it prepares) take on their app's row, and the nodes would queue instead of meeting.
      await tx`SELECT pg_advisory_xact_lock(hashtext(${first}))`;
      if (++arrived === 2) resolve();
      await bothLocked;
      await tx`SELECT pg_advisory_xact_lock(hashtext(${second}))`;
    };
    const a = await withApps({ onTransaction: lockInOrder("app_1", "app_2") });
    const b = pgNode(a.url, clock, cleanups, { onTransaction: lockInOrder("app_2", "app_1") });
    const results = await Promise.all([a.applier.apply(record("c1")), b.applier.apply(record("c2"))]);
    expect(results.map((r) => r[0]!.duplicate)).toEqual([false, false]);
    expect(a.applier.stats.retries + b.applier.stats.retries).toBe(1);
    const [row] = await a.pg.$client<{ n: number }[]>`SELECT count(*) AS n FROM events`;
    expect(row!.n).toBe(2);
  });
});
