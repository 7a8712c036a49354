// Three nodes (a pool and an applier each) writing the same customers at once, each re-sending
// the same messageIds as the others: every event stored exactly once, every acknowledgement of a
// messageId naming the one stored event, one customer per customerId, uid and user, and every
// write-time count equal to a GROUP BY over the events.
import { afterEach, expect, test } from "bun:test";
import type { Command, StoredEvent, WriteResult } from "../../../src/store/commands";
import { describePg } from "../../support/postgres";
import { DAY, expectCountsMatchEvents, pgBackend, pgNode, T0 } from "./support";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const MESSAGES = 240;
const CUSTOMERS = 6;

/** Message n is always the same event, whichever node it is sent to. */
function message(n: number): StoredEvent {
  const k = n % CUSTOMERS;
  // Some name a customer by customerId, some by uid, some by both (linking them): identities race.
  const identity = [{ customerId: `c${k}` }, { uid: `u${k}` }, { customerId: `c${k}`, uid: `u${k}` }][n % 3]!;
  return {
    event: `e${n % 4}`,
    ...identity,
    eventDate: T0 + (n % 45) * DAY + n,
    eventData: null,
    verified: true,
    messageId: `m${n}`,
    ...(n % 5 === 0 ? { user: { uid: `user${n % 3}`, data: { n } } } : {}),
    ...(n % 7 === 0 ? { customerData: { [`k${n % 3}`]: n } } : {}),
  };
}

function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describePg("several nodes writing at once", () => {
  test("three nodes re-sending each other's messageIds: each event once, one customer per id, counts equal to GROUP BY", async () => {
    const clock = () => T0;
    const first = await pgBackend(clock, cleanups);
    await first.pg.$client`INSERT INTO apps (id, pk, name, signing_secret, created_at) VALUES ('app_1', 1, 'one', 's', 0)`;
    const nodes = [first, pgNode(first.url, clock, cleanups), pgNode(first.url, clock, cleanups)];
    const acknowledged = new Map<string, Set<string>>();

    await Promise.all(
      nodes.map(async ({ applier }, node) => {
        const order = shuffled([...Array(MESSAGES).keys()], node + 1);
        // Rounds of a few commands submitted together (one batch), each command a handful of events.
        for (let i = 0; i < order.length; i += 24) {
          const round = order.slice(i, i + 24);
          const commands: Command[] = [0, 6, 12, 18].map((at) => ({
            type: "RecordEvents",
            appId: "app_1",
            source: "server",
            events: round.slice(at, at + 6).map(message),
          }));
          const results = (await Promise.all(commands.map((command) => applier.apply(command)))) as WriteResult[][];
          commands.forEach((command, c) =>
            (command as Extract<Command, { type: "RecordEvents" }>).events.forEach((event, e) => {
              const ids = acknowledged.get(event.messageId!) ?? new Set();
              acknowledged.set(event.messageId!, ids.add(results[c]![e]!.id));
            }),
          );
        }
      }),
    );

    const sql = first.pg.$client;
    const stored = await sql<{ messageId: string; id: string }[]>`SELECT message_id AS "messageId", id FROM events`;
    expect(stored).toHaveLength(MESSAGES);
    for (const { messageId, id } of stored) expect([...acknowledged.get(messageId)!]).toEqual([id]);

    const [dupes] = await sql<{ n: number }[]>`
      SELECT (SELECT count(*) FROM (SELECT customer_id FROM customers WHERE customer_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d)
           + (SELECT count(*) FROM (SELECT uid FROM customers WHERE uid IS NOT NULL GROUP BY 1 HAVING count(*) > 1) u)
           + (SELECT count(*) FROM (SELECT customer_pk, uid FROM users GROUP BY 1, 2 HAVING count(*) > 1) s) AS n`;
    expect(dupes!.n).toBe(0);

    await expectCountsMatchEvents(sql);
    // Every node committed its ten rounds (a batch each), however often it waited or retried.
    expect(nodes.reduce((sum, { applier }) => sum + applier.stats.batches, 0)).toBe(30);
  }, 60_000);

  test("the same new customer, provider event and Segment message from three nodes at once: applied once, one customer", async () => {
    const clock = () => T0;
    const first = await pgBackend(clock, cleanups);
    await first.pg.$client`INSERT INTO apps (id, pk, name, signing_secret, created_at) VALUES ('app_1', 1, 'one', 's', 0)`;
    const nodes = [first, pgNode(first.url, clock, cleanups), pgNode(first.url, clock, cleanups)];
    const payment = {
      kind: "payment" as const,
      payment: { provider: "stripe", customerId: "cus_new", subscriptionId: null, invoiceId: "in_1", paid: true, amount: 100, currency: "usd", attempt: 1 },
      source: { at: T0, eventId: "we_1" },
    };
    const results = await Promise.all(
      nodes.map(({ applier }) =>
        Promise.all([
          applier.apply({ type: "UpdateCustomer", appId: "app_1", identity: { customerId: "c_same", uid: "u_same" }, customerData: { plan: "pro" } }),
          applier.apply({ type: "ApplyBilling", appId: "app_1", changes: [payment], once: { provider: "stripe", eventId: "we_1", eventType: "invoice.paid" } }),
          applier.apply({
            type: "ApplySegmentBatch",
            appId: "app_1",
            receivedAt: T0,
            messages: [{ kind: "identify", messageId: "seg_1", userId: "u_seg", traits: { plan: "b2c" } }],
          }),
        ]),
      ),
    );
    expect(new Set(results.map(([updated]) => updated.customerPk)).size).toBe(1);
    expect(results.filter(([, billing]) => billing !== null)).toHaveLength(1);
    expect(results.map(([, , [outcome]]) => outcome!.duplicate).sort()).toEqual([false, true, true]);
    const sql = first.pg.$client;
    const [counts] = await sql<{ customers: number; history: number; marks: number }[]>`
      SELECT (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM billing_events) AS history,
             (SELECT count(*) FROM provider_events) AS marks`;
    // c_same, cus_new and u_seg: one each.
    expect(counts).toEqual({ customers: 3, history: 1, marks: 1 });
  }, 60_000);
});

describePg("erasure while another node writes", () => {
  test("a customer erased by one node after another's batch found it: the erasure waits for that batch, then removes its event too", async () => {
    const clock = () => T0;
    const first = await pgBackend(clock, cleanups);
    await first.pg.$client`INSERT INTO apps (id, pk, name, signing_secret, created_at) VALUES ('app_1', 1, 'one', 's', 0)`;
    const record = (customerId: string, event: string): Extract<Command, { type: "RecordEvents" }> => ({
      type: "RecordEvents",
      appId: "app_1",
      source: "server",
      events: [{ event, customerId, eventDate: T0, eventData: null, verified: true }],
    });
    await first.applier.apply(record("x", "before"));
    // The writer's first attempt has already looked x up (the batch's prefetch, which locks it)
    // when the other node starts erasing it: the erasure waits for the writer's COMMIT, rather
    // than pulling the customer out from under it (which cost the writer a retry).
    let erasure: Promise<unknown> | undefined;
    const writer = pgNode(first.url, clock, cleanups, {
      onTransaction: async (_tx, attempt) => {
        if (attempt > 0) return;
        erasure = first.applier.apply({ type: "EraseCustomer", appId: "app_1", by: "customerId", value: "x" });
        // Until the erasure's DELETE waits for this transaction's lock on x.
        const sql = first.pg.$client;
        for (let i = 0; i < 500; i++) {
          const [waiting] = await sql`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`;
          if (waiting) return;
          await Bun.sleep(10);
        }
        throw new Error("the erasure never waited for the writer");
      },
    });
    const [result] = await writer.applier.apply(record("x", "after"));
    expect(result).toMatchObject({ duplicate: false, warnings: [] });
    expect(writer.applier.stats.retries).toBe(0);
    expect(await erasure).toMatchObject({ events: 2 });
    const sql = first.pg.$client;
    const [left] = await sql<{ events: number; customers: number }[]>`
      SELECT (SELECT count(*)::int FROM events) AS events, (SELECT count(*)::int FROM customers) AS customers`;
    expect(left).toEqual({ events: 0, customers: 0 });
    await expectCountsMatchEvents(sql);
  }, 60_000);
});
