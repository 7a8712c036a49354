// The counts kept at write time must always equal what the events table says.
import { describe, expect, test } from "bun:test";
import { T0, setup, type Harness } from "../helpers";
import { testSqlite } from "../support/backend";

const DAY = 86_400_000;

/** The first day (days since 1970) of the calendar month of `day`, in each dialect. */
const MONTH_OF_DAY = {
  sqlite: "cast(julianday(date(day * 86400, 'unixepoch', 'start of month')) - 2440587.5 as integer)",
  postgres: "(extract(epoch from date_trunc('month', to_timestamp(day * 86400) at time zone 'UTC')) / 86400)::int",
};

/** Each counts table next to the same figures computed from events. */
async function countsAndTruth(h: Harness) {
  const all = (sql: string) => h.sql.all(sql);
  const figures = {
    perCustomerEvent: [
      all("select customer_pk, event, count, first_seen, last_seen from customer_event_stats order by 1, 2"),
      all("select customer_pk, event, count(*) as count, min(event_date) as first_seen, max(event_date) as last_seen from events group by 1, 2 order by 1, 2"),
    ],
    perCustomerDayEvent: [
      all("select customer_pk, day, event, count from customer_daily_counts order by 1, 2, 3"),
      all("select customer_pk, event_date / 86400000 as day, event, count(*) as count from events group by 1, 2, 3 order by 1, 2, 3"),
    ],
    perAppDay: [
      all("select app_pk, day, event, count from app_daily_counts order by 1, 2, 3"),
      all("select app_pk, event_date / 86400000 as day, event, count(*) as count from events group by 1, 2, 3 order by 1, 2, 3"),
    ],
    perCustomerDay: [
      all("select customer_pk, day, count from customer_daily_totals order by 1, 2"),
      all("select customer_pk, event_date / 86400000 as day, count(*) as count from events group by 1, 2 order by 1, 2"),
    ],
    // Distinct customers per day, ISO week and calendar month, straight from the events.
    activeCustomers: [
      all("select app_pk, interval, period, customers from app_active_customers order by 1, 2, 3"),
      all(`with days as (select distinct app_pk, customer_pk, event_date / 86400000 as day from events)
           select app_pk, 'day' as interval, day as period, count(*) as customers from days group by 1, 3
           union all
           select app_pk, 'month', ${MONTH_OF_DAY[h.backend]} as m, count(distinct customer_pk) from days group by 1, 3
           union all
           select app_pk, 'week', day - ((day + 3) % 7) as w, count(distinct customer_pk) from days group by 1, 3
           order by 1, 2, 3`),
    ],
    // Activity on the customer and user rows, summed per batch like the rest.
    customerActivity: [
      all("select pk, event_count, first_seen, last_seen from customers where event_count > 0 or first_seen is not null order by 1"),
      all("select customer_pk as pk, count(*) as event_count, min(event_date) as first_seen, max(event_date) as last_seen from events group by 1 order by 1"),
    ],
    userActivity: [
      all("select pk, event_count, first_seen, last_seen from users where event_count > 0 or first_seen is not null order by 1"),
      all("select user_pk as pk, count(*) as event_count, min(event_date) as first_seen, max(event_date) as last_seen from events where user_pk is not null group by 1 order by 1"),
    ],
    perAppEvent: [
      all("select app_pk, event, count, first_seen, last_seen from app_event_stats order by 1, 2"),
      all("select app_pk, event, count(*) as count, min(event_date) as first_seen, max(event_date) as last_seen from events group by 1, 2 order by 1, 2"),
    ],
  };
  const settled: Record<string, unknown[][]> = {};
  for (const [name, pair] of Object.entries(figures)) settled[name] = await Promise.all(pair);
  return settled;
}

describe("write-time counts", () => {
  test("match the events table after mixed ingestion: single, bulk, browser, backfilled, duplicates", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const globex = await h.tenant("globex");
    for (let i = 0; i < 30; i++) {
      await h.post("/v1/api/events/new", i % 2 ? acme : globex, {
        event: ["Post Created", "Invite Sent", "Report Exported"][i % 3],
        customerId: `cus_${i % 4}`,
        eventDate: new Date(T0 - (i % 9) * DAY - i * 1000).toISOString(),
        messageId: `m${i % 20}`, // the last ten are duplicates: not counted
        ...(i % 3 === 0 ? { user: { uid: `user_${i % 2}` } } : {}),
      });
    }
    await h.post("/v1/api/events/bulk", acme, Array.from({ length: 50 }, (_, i) => ({
      event: "Item Imported", uid: `u_${i % 5}`, eventDate: `2024-0${(i % 9) + 1}-1${i % 10}`,
    })));
    await h.call("POST", "/v1/api/events/client", { body: [{ appId: acme.appId, customerEmail: "jane@example.com", event: "Page Viewed" }] });
    // Out of order across a week that straddles two months (Mon 2024-01-29 … Sun 2024-02-04).
    for (const date of ["2024-02-02", "2024-01-30", "2024-02-04", "2024-01-29"]) {
      await h.post("/v1/api/events/new", globex, { event: "Report Created", customerId: "cus_edge", eventDate: date });
    }
    expect(await h.count("events")).toBe(20 + 50 + 1 + 4);
    const check = async () => {
      for (const [counts, truth] of Object.values(await countsAndTruth(h))) {
        expect(truth.length).toBeGreaterThan(0);
        expect(counts).toEqual(truth);
      }
    };
    await check();
    // Erasure subtracts exactly what each customer contributed.
    for (const [tenant, id] of [[globex, "cus_edge"], [acme, "cus_1"], [globex, "cus_0"]] as const) {
      expect((await h.call("DELETE", `/v1/api/customers/${id}`, { as: tenant })).status).toBe(200);
      await check();
    }
  });

  // SQLite-only: the batch is held open by the SQLite writer's `schedule`; PostgreSQL's batcher has no such hook.
  testSqlite("stay exact when events and an erasure of their customer share one write batch", async () => {
    // The batch is flushed by hand, once its three jobs are queued in this order.
    let flush = () => {};
    const h = await setup({ writer: { schedule: (run) => (flush = run) } });
    const acme = await h.tenant();
    /** Waits until the writer holds `events` events' worth of jobs. */
    const queued = async (events: number) => {
      while (h.store.queue.pending < events) await Bun.sleep(1);
    };
    const seeded = h.post("/v1/api/events/new", acme, { event: "App Opened", customerId: "cus_1", eventDate: "2025-06-01" });
    await queued(1);
    flush();
    await seeded;
    const before = h.post("/v1/api/events/bulk", acme, [{ event: "App Opened", customerId: "cus_1" }, { event: "App Opened", customerId: "cus_2" }]);
    await queued(2);
    const erased = h.call("DELETE", "/v1/api/customers/cus_1", { as: acme });
    await queued(3);
    const after = h.post("/v1/api/events/new", acme, { event: "Report Created", customerId: "cus_1", eventDate: "2025-06-02" });
    await queued(4);
    flush();
    const results = await Promise.all([before, erased, after]);
    expect(results.map((r) => r.status)).toEqual([201, 200, 201]);
    expect(results[1].body.removed.events).toBe(2); // the seeded one and the bulk one, still only gathered
    for (const [counts, truth] of Object.values(await countsAndTruth(h))) expect(counts).toEqual(truth);
    const names = (await h.get("/v1/api/events/names", acme)).body.names;
    expect(names.map((n: { event: string; count: number; firstSeen: string }) => [n.event, n.count, n.firstSeen])).toEqual([
      ["App Opened", 1, expect.stringMatching(/^2026-/)], // cus_2's: the erased 2025 one no longer counts as first
      ["Report Created", 1, "2025-06-02T00:00:00.000Z"],
    ]);
  });
});
