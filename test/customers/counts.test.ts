// The counts kept at write time must always equal what the events table says.
import { describe, expect, test } from "bun:test";
import { T0, setup, type Harness } from "../helpers";

const DAY = 86_400_000;

/** Each counts table next to the same figures computed from events. */
function countsAndTruth(h: Harness) {
  const all = (sql: string) => h.db.$client.query(sql).all();
  return {
    perCustomerEvent: [
      all("select customer_pk, event, count, first_seen, last_seen from customer_event_stats order by 1, 2"),
      all("select customer_pk, event, count(*) as count, min(event_date) as first_seen, max(event_date) as last_seen from events group by 1, 2 order by 1, 2"),
    ],
    perCustomerDay: [
      all("select customer_pk, day, event, count from customer_daily_counts order by 1, 2, 3"),
      all("select customer_pk, event_date / 86400000 as day, event, count(*) as count from events group by 1, 2, 3 order by 1, 2, 3"),
    ],
    perAppDay: [
      all("select app_id, day, event, count from app_daily_counts order by 1, 2, 3"),
      all("select app_id, event_date / 86400000 as day, event, count(*) as count from events group by 1, 2, 3 order by 1, 2, 3"),
    ],
    perAppEvent: [
      all("select app_id, event, count, first_seen, last_seen from app_event_stats order by 1, 2"),
      all("select app_id, event, count(*) as count, min(event_date) as first_seen, max(event_date) as last_seen from events group by 1, 2 order by 1, 2"),
    ],
  };
}

describe("write-time counts", () => {
  test("match the events table after mixed ingestion: single, bulk, browser, backfilled, duplicates", async () => {
    const h = setup();
    const acme = h.tenant();
    const globex = h.tenant("globex");
    for (let i = 0; i < 30; i++) {
      await h.post("/v1/api/events/new", i % 2 ? acme : globex, {
        event: ["Post Created", "Invite Sent", "Report Exported"][i % 3],
        customerId: `cus_${i % 4}`,
        eventDate: new Date(T0 - (i % 9) * DAY - i * 1000).toISOString(),
        messageId: `m${i % 20}`, // the last ten are duplicates: not counted
      });
    }
    await h.post("/v1/api/events/bulk", acme, Array.from({ length: 50 }, (_, i) => ({
      event: "Item Imported", uid: `u_${i % 5}`, eventDate: `2024-0${(i % 9) + 1}-1${i % 10}`,
    })));
    await h.call("POST", "/v1/api/events/client", { body: [{ appId: acme.appId, customerEmail: "jane@example.com", event: "Page Viewed" }] });
    for (const [counts, truth] of Object.values(countsAndTruth(h))) {
      expect(truth.length).toBeGreaterThan(0);
      expect(counts).toEqual(truth);
    }
    expect(h.count("events")).toBe(20 + 50 + 1);
  });
});
