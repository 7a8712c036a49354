// When commits fall behind, the writer's queue is capped: work past the cap gets 503 with
// Retry-After at once instead of piling up in memory. A "slow disk" is simulated by
// scheduling each flush 100 ms late, so requests keep arriving while nothing commits.
import { expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { Writer } from "../../src/store/writer";
import { setup } from "../helpers";
import { describeSqlite } from "../support/backend";
// SQLite-only (skipped on TRACKD_TEST_BACKEND=postgres): holds the SQLite writer's flushes with `schedule` to fill the queue; PostgreSQL's batcher has no such hook (its queue cap is the same code path, DEFAULT_MAX_PENDING).

const slowFlush = (flush: () => void) => void setTimeout(flush, 100);

describeSqlite("overload", () => {
  test("past maxPending, submit fails fast with SERVICE_UNAVAILABLE and Retry-After; the queue never grows past it", async () => {
    const writer = new Writer(new Database(":memory:"), { maxPending: 50, maxBatch: 10_000, schedule: slowFlush });
    let highWater = 0;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 80 }, (_, i) => {
        const submitted = writer.submit(() => i);
        highWater = Math.max(highWater, writer.pending);
        return submitted;
      }),
    );
    expect(highWater).toBe(50);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(50);
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(rejected).toHaveLength(30);
    expect(rejected[0].reason).toMatchObject({ code: "SERVICE_UNAVAILABLE", headers: { "retry-after": "1" } });
    // Once the backlog has committed, work is accepted again.
    expect(writer.pending).toBe(0);
    expect(await writer.submit(() => "again")).toBe("again");
  });

  test("a bulk job weighs as many events as it carries", async () => {
    const writer = new Writer(new Database(":memory:"), { maxPending: 50, schedule: slowFlush });
    const first = writer.submit(() => "40 events", 40);
    const second = writer.submit(() => "20 events", 20);
    const third = writer.submit(() => "10 events", 10);
    await expect(second).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
    expect(await first).toBe("40 events");
    expect(await third).toBe("10 events");
  });

  test("over HTTP: a burst against a slowed writer gets 201 or 503 + Retry-After, and every 201 is stored", async () => {
    const h = await setup({ writer: { maxPending: 30, maxBatch: 10_000, schedule: slowFlush } });
    const acme = await h.tenant();
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        h.call("POST", "/v1/api/events/new", { as: acme, body: { event: "Burst Sent", customerId: `cus_${i}` } }),
      ),
    );
    const accepted = replies.filter((r) => r.status === 201);
    const refused = replies.filter((r) => r.status === 503);
    expect(accepted.length + refused.length).toBe(100);
    expect(accepted).toHaveLength(30);
    expect(refused[0].headers.get("retry-after")).toBe("1");
    expect(refused[0].body.error.code).toBe("SERVICE_UNAVAILABLE");
    expect(await h.count("events")).toBe(30);
  });

  test("a bulk request that would overflow the queue is refused whole, nothing stored", async () => {
    const h = await setup({ writer: { maxPending: 150, maxBatch: 10_000, schedule: slowFlush } });
    const acme = await h.tenant();
    const bulk = (tag: string) => Array.from({ length: 100 }, (_, i) => ({ event: "Row Imported", uid: `${tag}${i}` }));
    const [first, second] = await Promise.all([
      h.post("/v1/api/events/bulk", acme, bulk("a")),
      h.post("/v1/api/events/bulk", acme, bulk("b")),
    ]);
    expect(first.status).toBe(201);
    expect(second.status).toBe(503);
    expect(await h.count("events")).toBe(100);
  });
});
