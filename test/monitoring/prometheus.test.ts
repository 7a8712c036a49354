// GET /metrics: off without a token, guarded by it, and the figures follow the traffic.
import { describe, expect, test } from "bun:test";
import { setup, setupSqlite, type Harness } from "../helpers";
import { testSqlite } from "../support/backend";
import { basicAuth } from "../segment/support";
import { customerObject, deliver, enableWebhook, stripeEvent } from "../support/stripe";

const TOKEN = "metrics-token-for-tests-0123";

async function scrape(h: Harness): Promise<string> {
  await Bun.sleep(1); // a request is counted once its response is sent, just after the reply
  const res = await h.call("GET", "/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
  return res.body as string;
}

/** The value of one series, by metric name and exact label set (order as prom-client writes them). */
function value(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe("GET /metrics", () => {
  test("is off (404) without a configured token", async () => {
    const h = await setup();
    const res = await h.call("GET", "/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(404);
  });

  test.each([
    ["no header", {}],
    ["a wrong token", { authorization: "Bearer metrics-token-for-tests-0124" }],
    ["the token without Bearer", { authorization: TOKEN }],
    ["another scheme", { authorization: `Basic ${btoa(`${TOKEN}:`)}` }],
  ])("%s gets 401", async (_, headers) => {
    const h = await setup({ metricsToken: TOKEN });
    const res = await h.call("GET", "/metrics", { headers });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("UNAUTHORIZED");
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
  });

  test("the figures move with the traffic", async () => {
    const h = await setup({ metricsToken: TOKEN });
    const acme = await h.tenant();
    const app = acme.appId;
    const before = await scrape(h);
    expect(value(before, `trackd_events_stored_total{app="${app}",source="server"}`)).toBe(0);
    expect(before).not.toContain("nodejs_"); // no default collectors
    expect(before).not.toContain("process_");

    expect((await h.post("/v1/api/events/new", acme, { event: "Post Created", customerId: "c1", messageId: "m1" })).status).toBe(201);
    expect((await h.post("/v1/api/events/new", acme, { event: "Post Created", customerId: "c1", messageId: "m1" })).status).toBe(200);
    expect((await h.post("/v1/api/events/new", acme, { event: "Post Created", customerId: "c2" })).status).toBe(201);
    const bulk = [1, 2, 3].map((i) => ({ event: "Imported", customerId: `c${i}`, eventDate: "2026-01-02" }));
    expect((await h.post("/v1/api/events/bulk", acme, bulk)).status).toBe(201);
    expect((await h.call("POST", "/v1/api/events/client", { body: { appId: app, customerId: "c1", event: "Page Viewed" } })).status).toBe(201);
    const segmentBatch = { batch: [{ type: "track", userId: "u_1", event: "Synced" }, { type: "track", anonymousId: "a_1", event: "Synced" }] };
    expect((await h.call("POST", "/v1/batch", { headers: basicAuth(acme.apiKey), body: segmentBatch })).status).toBe(200);
    expect((await h.post("/v1/api/events/new", acme, { customerId: "c1" })).status).toBe(400);
    expect((await h.call("POST", "/v1/api/events/new", { body: { event: "X", customerId: "c1" } })).status).toBe(401);
    expect((await h.call("GET", "/no/such/route")).status).toBe(404);
    await enableWebhook(h, app);
    const customerCreated = stripeEvent("customer.created", customerObject({ id: "cus_s1" }), { created: Math.floor(h.clock.now / 1000) });
    expect((await deliver(h, app, customerCreated)).status).toBe(200);
    expect((await deliver(h, app, customerCreated, { secret: "whsec_wrongwrongwrong" })).status).toBe(400);

    const after = await scrape(h);
    expect(value(after, `trackd_events_stored_total{app="${app}",source="server"}`)).toBe(2);
    expect(value(after, `trackd_events_stored_total{app="${app}",source="bulk"}`)).toBe(3);
    expect(value(after, `trackd_events_stored_total{app="${app}",source="client"}`)).toBe(1);
    expect(value(after, `trackd_events_stored_total{app="${app}",source="segment"}`)).toBe(1);
    expect(value(after, `trackd_segment_messages_rejected_total{app="${app}",code="anonymous_only"}`)).toBe(1);
    expect(value(after, `trackd_events_duplicate_total{app="${app}",source="server"}`)).toBe(1);
    expect(value(after, `trackd_requests_rejected_total{route="/v1/api/events/new",code="VALIDATION_FAILED"}`)).toBe(1);
    expect(value(after, `trackd_requests_rejected_total{route="/v1/api/events/new",code="UNAUTHORIZED"}`)).toBe(1);
    expect(value(after, `trackd_requests_rejected_total{route="unmatched",code="NOT_FOUND"}`)).toBe(1);
    expect(value(after, `trackd_requests_rejected_total{route="/v1/webhooks/stripe/:appId",code="INVALID_SIGNATURE"}`)).toBe(1);
    expect(value(after, `trackd_webhooks_received_total{provider="stripe",outcome="applied"}`)).toBe(1);
    expect(value(after, `trackd_webhooks_received_total{provider="stripe",outcome="rejected"}`)).toBe(1);
    expect(value(after, `trackd_http_request_duration_seconds_count{method="POST",route="/v1/api/events/new",status="201"}`)).toBe(2);
    expect(value(after, `trackd_http_request_duration_seconds_count{method="POST",route="/v1/api/events/new",status="400"}`)).toBe(1);
    expect(value(after, `trackd_http_request_duration_seconds_count{method="POST",route="/v1/api/events/bulk",status="201"}`)).toBe(1);
    // Every write above committed in a batch of its own (each awaited): at least 6 batches.
    expect(value(after, "trackd_writer_batch_jobs_count")).toBeGreaterThanOrEqual(6);
    expect(value(after, "trackd_writer_commit_seconds_count")).toBe(value(after, "trackd_writer_batch_jobs_count"));
    expect(value(after, "trackd_write_queue_depth")).toBe(0);
    expect(value(after, "trackd_database_size_bytes")).toBeGreaterThan(0);
  });

  // SQLite-only: the queue is held by the SQLite writer's `schedule` (PostgreSQL's batcher has no hook to hold a batch).
  testSqlite("a write refused by a full queue counts as shed, and the depth shows the waiting events", async () => {
    const h = await setupSqlite({ metricsToken: TOKEN, writer: { maxPending: 5, maxBatch: 10_000, schedule: () => {} } });
    const acme = await h.tenant();
    const waiting = h.post("/v1/api/events/bulk", acme, [1, 2, 3, 4, 5].map((i) => ({ event: "Imported", customerId: `c${i}` })));
    await Bun.sleep(0);
    expect((await h.post("/v1/api/events/new", acme, { event: "Post Created", customerId: "c1" })).status).toBe(503);
    const during = await scrape(h);
    expect(value(during, "trackd_write_queue_shed_total")).toBe(1);
    expect(value(during, "trackd_write_queue_depth")).toBe(5);
    h.sqlite.writer.flush();
    expect((await waiting).status).toBe(201);
    expect(value(await scrape(h), "trackd_write_queue_depth")).toBe(0);
  });
});
