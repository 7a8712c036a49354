// Two nodes writing batches over the same hot customers at once, in different orders, some
// customers and users new, some existing: PostgreSQL must detect no deadlock. Every batch takes
// its locks in one global order (ingest.ts: lockBatch), so two batches wait for each other
// rather than on each other; before that order, this load deadlocked a few times per run.
// deadlock_timeout is lowered for the test database so that a deadlock, if any, is found in
// milliseconds rather than a second (it is counted the same either way).
import { afterEach, expect, test } from "bun:test";
import type { Command, SegmentMessage, StoredEvent } from "../../../src/store/commands";
import { describePg } from "../../support/postgres";
import { DAY, expectCountsMatchEvents, pgBackend, pgNode, T0 } from "./support";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const ROUNDS = 40;
const HOT = 12;

/** Round r of node n: events over the hot customers in an order of its own, and a few new ones. */
function batch(node: number, round: number): Command[] {
  const events = (offset: number): StoredEvent[] =>
    Array.from({ length: HOT }, (_, i) => {
      // Node 0 walks the customers up, node 1 down: the opposite orders that deadlocked.
      const k = node === 0 ? (i + offset + round) % HOT : (HOT * 4 - i - offset - round) % HOT;
      // A customer new in this round for both nodes, named by customerId or uid.
      const fresh = i % 4 === 3;
      const identity = fresh ? (i % 8 === 3 ? { customerId: `new${round}_${k}` } : { uid: `unew${round}_${k}` }) : { customerId: `c${k}` };
      return {
        event: `e${(i + round) % 3}`,
        ...identity,
        eventDate: T0 + (round % 9) * DAY + i,
        eventData: null,
        verified: true,
        messageId: `n${node}r${round}o${offset}i${i}`,
        ...(i % 3 === 0 ? { user: { uid: `user${k}_${round % 2}`, data: { round } } } : {}),
        ...(i % 5 === 0 ? { customerData: { [`k${node}`]: round } } : {}),
      };
    });
  return [0, 5].map((offset) => ({ type: "RecordEvents", appId: "app_1", source: "server", events: events(offset) }));
}

/** Round r of node n through Segment and /customer-update: accounts, their users, identify traits. */
function segmentBatch(node: number, round: number): Command[] {
  const order = Array.from({ length: HOT }, (_, i) => (node === 0 ? (i + round) % HOT : (HOT * 4 - i - round) % HOT));
  const messages: SegmentMessage[] = order.map((k, i) => {
    const messageId = `s${node}r${round}i${i}`;
    if (i % 4 === 1) return { kind: "identify", messageId, userId: `user${k}_0`, groupId: `g${k}`, traits: { seen: round } };
    if (i % 4 === 2) return { kind: "group", messageId, groupId: `g${k}`, userId: `user${k}_${round % 2}`, traits: { n: node } };
    // A track with the account named, or found through the user's newest account.
    const event = { event: "seg", eventDate: T0 + i, eventData: null, verified: true, messageId };
    return i % 8 === 3 ? { kind: "event", messageId, event, userId: `user${k}_0` } : { kind: "event", messageId, event, userId: `user${k}_1`, groupId: `g${k}` };
  });
  const updates: Command[] = order
    .filter((_, i) => i % 3 === 0)
    .map((k) => ({ type: "UpdateCustomer", appId: "app_1", identity: { uid: `g${k}` }, customerData: { round }, user: { uid: `user${k}_1`, data: { node } } }));
  return [{ type: "ApplySegmentBatch", appId: "app_1", receivedAt: T0, messages }, ...updates];
}

/** Runs the rounds on two fresh nodes at once; the deadlocks PostgreSQL counted and the batches retried. */
async function race(url: string, commands: (node: number, round: number) => Command[]) {
  const clock = () => T0;
  // Opened after the database's deadlock_timeout was set, so that their sessions carry it.
  const nodes = [pgNode(url, clock, cleanups), pgNode(url, clock, cleanups)];
  await Promise.all(
    nodes.map(async ({ applier }, node) => {
      for (let round = 0; round < ROUNDS; round++) await Promise.all(commands(node, round).map((command) => applier.apply(command)));
    }),
  );
  for (const { applier } of nodes) expect(applier.stats.batches).toBe(ROUNDS);
  // A backend reports its deadlocks to pg_stat_database when it ends: the nodes' pools close first.
  for (const { applier, pg } of nodes) {
    await applier.close();
    await pg.$client.end();
  }
  return { retries: nodes.reduce((sum, { applier }) => sum + applier.stats.retries, 0) };
}

async function setUp() {
  const first = await pgBackend(() => T0, cleanups);
  const admin = first.pg.$client;
  await admin`INSERT INTO apps (id, pk, name, signing_secret, created_at) VALUES ('app_1', 1, 'one', 's', 0)`;
  const [{ db }] = await admin<{ db: string }[]>`SELECT current_database() AS db`;
  await admin.unsafe(`ALTER DATABASE ${db} SET deadlock_timeout = '20ms'`);
    const deadlocks = async () =>
    (await admin<{ n: number }[]>`SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()`)[0]!.n;
  return { ...first, admin, deadlocks };
}

describePg("lock order across nodes", () => {
  test("two nodes' concurrent batches over the same hot and new customers: no deadlock, counts exact", async () => {
    const { url, applier, admin, deadlocks } = await setUp();
    // The hot customers exist before the race, each with a user.
    await applier.apply({
      type: "RecordEvents",
      appId: "app_1",
      source: "server",
      events: Array.from({ length: HOT }, (_, k) => ({
        event: "seed", customerId: `c${k}`, eventDate: T0, eventData: null, verified: true, user: { uid: `user${k}_0` },
      })),
    });
    const { retries } = await race(url, batch);
    expect({ deadlocks: await deadlocks(), retries }).toEqual({ deadlocks: 0, retries: 0 });
    await expectCountsMatchEvents(admin);
  }, 120_000);

  test("a batch naming hundreds of identifiers locks buckets of them, bounded, and still meets small batches without deadlock", async () => {
    const { url, admin, deadlocks } = await setUp();
    const advisoryLocks: number[] = [];
    const big = pgNode(url, () => T0, cleanups, {
      onTransaction: async (tx) => {
        const [row] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()`;
        advisoryLocks.push(row!.n);
      },
    });
    const small = pgNode(url, () => T0, cleanups);
    const many = (round: number, from: number, to: number, step: number): StoredEvent[] =>
      Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => from + i * step).map((k) => ({
        event: "bulk", customerId: `m${k}`, uid: `mu${k}`, eventDate: T0, eventData: null, verified: true, messageId: `r${round}k${k}`,
      }));
    await Promise.all([
      (async () => {
        for (let round = 0; round < 6; round++) await big.applier.apply({ type: "RecordEvents", appId: "app_1", source: "server", events: many(round, 0, 300, 1) });
      })(),
      (async () => {
        for (let round = 0; round < 30; round++) {
          await Promise.all([
            small.applier.apply({ type: "RecordEvents", appId: "app_1", source: "server", events: many(100 + round, 299 - round * 7, 300, -1 * -1).reverse() }),
            small.applier.apply({ type: "RecordEvents", appId: "app_1", source: "server", events: many(200 + round, round * 3, round * 3 + 5, 1) }),
          ]);
        }
      })(),
    ]);
    for (const { applier, pg } of [big, small]) {
      await applier.close();
      await pg.$client.end();
    }
    // 600 identifiers: 256 buckets at most, and no identifier's own lock.
    expect(advisoryLocks.length).toBeGreaterThan(0);
    for (const n of advisoryLocks) expect(n).toBeLessThanOrEqual(256);
    expect(await deadlocks()).toBe(0);
    await expectCountsMatchEvents(admin);
    const [customers] = await admin<{ n: number }[]>`SELECT count(*)::int AS n FROM customers`;
    expect(customers!.n).toBe(300);
  }, 120_000);

  test("two nodes' concurrent Segment batches and customer updates over the same accounts and users: no deadlock", async () => {
    const { url, applier, admin, deadlocks } = await setUp();
    // The accounts and some of their users exist before the race.
    await applier.apply(segmentBatch(0, -1)[0]!);
    const { retries } = await race(url, segmentBatch);
    expect({ deadlocks: await deadlocks(), retries }).toEqual({ deadlocks: 0, retries: 0 });
    // One account per groupId, one user per (account, uid), however the nodes interleaved.
    const [dupes] = await admin<{ n: number }[]>`
      SELECT (SELECT count(*)::int FROM (SELECT uid FROM customers WHERE uid IS NOT NULL GROUP BY 1 HAVING count(*) > 1) u)
           + (SELECT count(*)::int FROM (SELECT customer_pk, uid FROM users GROUP BY 1, 2 HAVING count(*) > 1) s) AS n`;
    expect(dupes!.n).toBe(0);
  }, 120_000);
});
