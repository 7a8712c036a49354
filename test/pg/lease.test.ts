// Run-once background work on PostgreSQL (src/store/pg/lease.ts): nodes contend for a lease
// row, and only its holder runs the job.
import { afterEach, expect, test } from "bun:test";
import { repeatInBackground } from "../../src/background";
import { closePostgres, openPostgres } from "../../src/db/postgres";
import { createPgLease } from "../../src/store/pg/lease";
import { silentLogger } from "../../src/log";
import { describePg, freshDatabase } from "../support/postgres";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function nodes(count: number, options: { ttlMs?: number; renewMs?: number } = {}) {
  const { url, drop } = await freshDatabase({ migrated: true });
  cleanups.push(drop);
  return Array.from({ length: count }, (_, i) => {
    const db = openPostgres(url);
    cleanups.push(() => closePostgres(db));
    return { db, lease: createPgLease(db, { holder: `node-${i}`, ...options }) };
  });
}

const never = new AbortController().signal;

describePg("the lease on background work", () => {
  test("two nodes contending at once: exactly one runs, the other is told it did not", async () => {
    const [a, b] = await nodes(2);
    const release = Promise.withResolvers<void>();
    const ran: string[] = [];
    const work = (name: string) => async () => {
      ran.push(name);
      await release.promise;
    };
    const both = Promise.all([
      a!.lease.tryRun("scoring", work("a"), { cooldownMs: 60_000, signal: never }),
      b!.lease.tryRun("scoring", work("b"), { cooldownMs: 60_000, signal: never }),
    ]);
    while (ran.length === 0) await Bun.sleep(5);
    release.resolve();
    const results = await both;
    expect(ran).toHaveLength(1);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(results[0]).toBe(ran[0] === "a");
  });

  test("after a run the lease stays with its node for the cooldown: the other skips, the same node runs again; then it is free", async () => {
    const [a, b] = await nodes(2);
    const noop = async () => {};
    expect(await a!.lease.tryRun("purge", noop, { cooldownMs: 300, signal: never })).toBe(true);
    expect(await b!.lease.tryRun("purge", noop, { cooldownMs: 300, signal: never })).toBe(false);
    expect(await a!.lease.tryRun("purge", noop, { cooldownMs: 1, signal: never })).toBe(true);
    await Bun.sleep(20);
    expect(await b!.lease.tryRun("purge", noop, { cooldownMs: 1, signal: never })).toBe(true);
    // Another job's lease is its own.
    expect(await a!.lease.tryRun("scoring", noop, { cooldownMs: 60_000, signal: never })).toBe(true);
  });

  test("a run aborted by its node's shutdown frees the lease at once; a failed one too", async () => {
    const [a, b] = await nodes(2);
    const stopping = new AbortController();
    await a!.lease.tryRun("scoring", async () => stopping.abort(), { cooldownMs: 60_000, signal: stopping.signal });
    expect(await b!.lease.tryRun("scoring", async () => {}, { cooldownMs: 1, signal: never })).toBe(true);
    await Bun.sleep(5);
    const failed = a!.lease.tryRun("purge", async () => Promise.reject(new Error("busy")), { cooldownMs: 60_000, signal: never });
    await expect(failed).rejects.toThrow("busy");
    expect(await b!.lease.tryRun("purge", async () => {}, { cooldownMs: 60_000, signal: never })).toBe(true);
  });

  test("a holder that stalls past its expiry loses the lease to another node, and its run's signal aborts at its next renewal", async () => {
    const [a, b] = await nodes(2, { ttlMs: 100, renewMs: 30 });
    const started = Promise.withResolvers<void>();
    let aborted = false;
    const stalled = a!.lease.tryRun(
      "scoring",
      async (signal) => {
        started.resolve();
        // A stall long enough for the row to expire and node-1 to claim it (claiming an expired
        // row is the cooldown test's; here the takeover is written directly, so that no renewal
        // of this node's can slip in between).
        await b!.db.$client`update leases set holder = 'node-1' where name = 'scoring'`;
        while (!signal.aborted) await Bun.sleep(5);
        aborted = true;
      },
      { cooldownMs: 60_000, signal: never },
    );
    await started.promise;
    expect(await stalled).toBe(true);
    expect(aborted).toBe(true);
    // The row is still the node that took over's.
    const [row] = await a!.db.$client`select holder from leases where name = 'scoring'`;
    expect(row!.holder).toBe("node-1");
  });

  test("three nodes repeating the same job on short intervals never run it at the same time", async () => {
    const contenders = await nodes(3);
    let active = 0;
    let most = 0;
    let runs = 0;
    const repeaters = contenders.map(({ lease }) =>
      repeatInBackground({
        name: "health scoring pass",
        intervalMs: 1,
        logger: silentLogger,
        lease,
        async run() {
          active += 1;
          most = Math.max(most, active);
          runs += 1;
          await Bun.sleep(10);
          active -= 1;
        },
      }),
    );
    while (runs < 20) await Bun.sleep(5);
    await Promise.all(repeaters.map((r) => r.stop()));
    expect(most).toBe(1);
  });
});
