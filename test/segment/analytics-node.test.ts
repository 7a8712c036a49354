// The real @segment/analytics-node SDK (pinned in package.json), changed only in `host` and
// `writeKey`, against trackd as a process on a loopback port (the compiled binary under
// .ci/run); results read back through trackd's own customer API. The write-queue test runs
// trackd in process instead, with a writer whose flushes the test holds back.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { Analytics } from "@segment/analytics-node";
import { createHttpApp } from "../../src/app";
import { createAppsService, type CreatedApp } from "../../src/apps/service";
import { openMigratedDatabase } from "../../src/db";
import { removeScratches, scratch, withStoreOn } from "../support/cli";
import { silentLogger } from "../../src/log";
import { Writer } from "../../src/store/writer";
import { freePort, startTrackd } from "../support/process";
import { createAppNow } from "../helpers";
import { createSqliteStore } from "../../src/store/sqlite/store";
import { describeSqlite } from "../support/backend";

const RETRY_TEST_TIMEOUT = 30_000;

let trackd: Subprocess | undefined;
let base: string;
const tenants: Record<string, CreatedApp> = {};

beforeAll(async () => {
  // A database of the suite's backend (a SQLite file or a fresh PostgreSQL database).
  const { db: dbPath } = await scratch();
  await withStoreOn(dbPath, async (store) => {
    const apps = createAppsService(store);
    for (const name of ["b2c", "b2b", "batching", "mixed", "retry-429", "retry-503", "isolation"]) tenants[name] = await apps.create(name);
  });
  const port = freePort();
  base = `http://127.0.0.1:${port}`;
  trackd = await startTrackd(dbPath, port);
});

afterAll(async () => {
  trackd?.kill("SIGKILL");
  await trackd?.exited;
  await removeScratches();
});

/** An SDK as a team configures it, plus what it reported: errors, and each request and status. */
function sdk(tenant: CreatedApp, options: { host?: string; flushAt?: number } = {}) {
  const analytics = new Analytics({ writeKey: tenant.apiKey, host: options.host ?? base, flushAt: options.flushAt ?? 15, flushInterval: 60_000 });
  const seen = { errors: [] as unknown[], batches: [] as { messageIds: string[]; size: number }[], statuses: [] as number[] };
  analytics.on("error", (error) => seen.errors.push(error));
  analytics.on("http_request", ({ body }) => {
    const { batch } = JSON.parse(body as string) as { batch: { messageId: string }[] };
    seen.batches.push({ messageIds: batch.map((m) => m.messageId), size: batch.length });
  });
  analytics.on("http_response", ({ status }) => seen.statuses.push(status));
  return { analytics, seen };
}

/** trackd's read API, with the app's key. */
async function read(tenant: CreatedApp, path: string, host = base) {
  const res = await fetch(`${host}${path}`, { headers: { "x-ck-api-key": tenant.apiKey, "x-ck-app": tenant.appId } });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as any;
}

describe("@segment/analytics-node against trackd", () => {
  test("B2C: identify and track become one customer (userId), its attributes and its events", async () => {
    const tenant = tenants.b2c;
    const { analytics, seen } = sdk(tenant);
    analytics.identify({ userId: "u_jane", traits: { email: "jane@example.com", name: "Jane", plan: "pro", customerId: "cus_jane" } });
    analytics.track({ userId: "u_jane", event: "Post Created", properties: { postType: "image" } });
    analytics.track({ userId: "u_jane", event: "Post Created", properties: { postType: "video" } });
    analytics.page({ userId: "u_jane", name: "Pricing", properties: { url: "https://example.com/pricing" } });
    await analytics.closeAndFlush();
    expect(seen.errors).toEqual([]);

    const profile = await read(tenant, "/v1/api/customers/cus_jane");
    expect(profile).toMatchObject({ customerId: "cus_jane", uid: "u_jane", email: "jane@example.com", data: { name: "Jane", plan: "pro" }, eventCount: 3, users: [] });
    expect(profile.eventCounts.map((c: { event: string; count: number }) => [c.event, c.count])).toEqual([
      ["Post Created", 2],
      ["Viewed Pricing Page", 1],
    ]);
    const { events } = await read(tenant, "/v1/api/customers/cus_jane/events");
    expect(events).toHaveLength(3);
    for (const event of events) {
      expect(event).toMatchObject({ source: "segment", verified: true, messageId: expect.stringMatching(/^node-next-/) });
      expect(event.eventData.$context.library).toEqual({ name: "@segment/analytics-node", version: "3.1.0" });
    }
  });

  test("B2B: group makes the account and its users, identify fills a user's data, track is that user's event", async () => {
    const tenant = tenants.b2b;
    const { analytics, seen } = sdk(tenant);
    analytics.group({ userId: "u_1", groupId: "acme", traits: { name: "Acme Inc", customerId: "cus_acme", email: "billing@acme.com", seats: 10 } });
    analytics.group({ userId: "u_2", groupId: "acme" });
    analytics.identify({ userId: "u_1", traits: { name: "Jane", email: "jane@acme.com" } });
    analytics.track({ userId: "u_1", event: "Report Exported" });
    analytics.track({ userId: "u_2", event: "Report Exported", context: { groupId: "acme" } });
    analytics.screen({ userId: "u_2", name: "Dashboard" });
    await analytics.closeAndFlush();
    expect(seen.errors).toEqual([]);

    const profile = await read(tenant, "/v1/api/customers/cus_acme");
    expect(profile).toMatchObject({ uid: "acme", email: "billing@acme.com", data: { name: "Acme Inc", seats: 10 }, eventCount: 3 });
    const users = Object.fromEntries(profile.users.map((u: { uid: string }) => [u.uid, u]));
    expect(users.u_1).toMatchObject({ data: { name: "Jane", email: "jane@acme.com" }, eventCount: 1 });
    expect(users.u_2).toMatchObject({ data: {}, eventCount: 2 });
    const { events } = await read(tenant, "/v1/api/customers/cus_acme/events?userUid=u_2");
    expect(events.map((e: { event: string }) => e.event).sort()).toEqual(["Report Exported", "Viewed Dashboard Screen"]);
    expect((await read(tenant, "/v1/api/customers")).customers).toHaveLength(1);
  });

  test("flushAt: 7 calls with flushAt 3 arrive as batches of 3, 3 and 1, and all 7 are stored", async () => {
    const tenant = tenants.batching;
    const { analytics, seen } = sdk(tenant, { flushAt: 3 });
    for (let i = 0; i < 7; i++) analytics.track({ userId: "u_1", event: `Step ${i} Done` });
    await analytics.closeAndFlush();
    expect(seen.batches.map((b) => b.size)).toEqual([3, 3, 1]);
    expect(seen.statuses).toEqual([200, 200, 200]);
    expect((await read(tenant, "/v1/api/customers/u_1?by=uid")).eventCount).toBe(7);
  });

  test("a batch with one invalid message: the SDK sees 200 for all, trackd stores the valid ones and not the other", async () => {
    const tenant = tenants.mixed;
    const { analytics, seen } = sdk(tenant, { flushAt: 3 });
    const callbacks: unknown[] = [];
    const done = (error: unknown) => callbacks.push(error);
    analytics.track({ userId: "u_1", event: "First" }, done);
    analytics.track({ anonymousId: "visitor_1", event: "Anonymous" }, done); // rejected: anonymous_only
    analytics.track({ userId: "u_1", event: "Third" }, done);
    await analytics.closeAndFlush();
    expect(seen.statuses).toEqual([200]);
    expect(seen.errors).toEqual([]);
    expect(callbacks).toEqual([undefined, undefined, undefined]);
    const profile = await read(tenant, "/v1/api/customers/u_1?by=uid");
    expect(profile.eventCounts.map((c: { event: string }) => c.event).sort()).toEqual(["First", "Third"]);
    const { events } = await read(tenant, "/v1/api/events");
    expect(events).toHaveLength(2);
  });

  test.each([
    [429, { "retry-after": "1" }],
    [503, { "retry-after": "1" }],
  ])(
    "a %p after trackd had stored the batch: the SDK retries the same messageIds, and each is stored once",
    async (status, headers) => {
      const tenant = status === 429 ? tenants["retry-429"] : tenants["retry-503"];
      // A proxy that passes every request to trackd, but answers the first one's client with
      // `status`, as if the reply had been lost on the way back.
      let forwarded = 0;
      const proxy = Bun.serve({
        port: 0,
        hostname: "127.0.0.1",
        async fetch(request) {
          const url = new URL(request.url);
          const response = await fetch(`${base}${url.pathname}`, { method: "POST", headers: request.headers, body: await request.arrayBuffer() });
          forwarded += 1;
          return forwarded === 1 ? new Response("busy", { status, headers }) : response;
        },
      });
      try {
        // One batch of 5: four tracks and an identify (kept once by its messageId too).
        const { analytics, seen } = sdk(tenant, { host: `http://127.0.0.1:${proxy.port}`, flushAt: 5 });
        for (let i = 0; i < 4; i++) analytics.track({ userId: "u_1", event: "Retried" });
        analytics.identify({ userId: "u_1", traits: { plan: "pro" } });
        await analytics.closeAndFlush();
        expect(seen.errors).toEqual([]);
        expect(seen.statuses).toEqual([status, 200]);
        // The retry carried the same messages.
        expect(seen.batches[1].messageIds).toEqual(seen.batches[0].messageIds);
        const { events } = await read(tenant, "/v1/api/events");
        expect(events).toHaveLength(4);
        expect(new Set(events.map((e: { messageId: string }) => e.messageId))).toEqual(new Set(seen.batches[0].messageIds.slice(0, 4)));
      } finally {
        proxy.stop(true);
      }
    },
    RETRY_TEST_TIMEOUT,
  );

  test("one app's write key never writes into another app", async () => {
    const [mine, other] = [tenants.isolation, tenants.b2c];
    const before = (await read(other, "/v1/api/events?limit=1000")).events.length;
    const { analytics, seen } = sdk(mine);
    analytics.identify({ userId: "u_jane", traits: { plan: "free" } });
    analytics.track({ userId: "u_jane", event: "Post Created" });
    await analytics.closeAndFlush();
    expect(seen.errors).toEqual([]);
    expect((await read(other, "/v1/api/events?limit=1000")).events.length).toBe(before);
    expect((await read(mine, "/v1/api/customers/u_jane?by=uid")).data).toEqual({ plan: "free" });
  });
});

// SQLite-only: holds back the SQLite writer's flushes (writer.schedule) to keep its queue full.
describeSqlite("@segment/analytics-node against trackd's full write queue", () => {
  test(
    "a 503 from trackd (write queue full) is retried by the SDK with the same messageIds, and stored once",
    async () => {
      const db = openMigratedDatabase(":memory:");
      let held: (() => void) | undefined;
      let holding = true;
      // Commits wait until the test lets them go, so the queue stays full meanwhile.
      const writer = new Writer(db.$client, { maxPending: 5, schedule: (flush) => (holding ? (held = flush) : setImmediate(flush)) });
      const store = createSqliteStore({ db, writer, clock: Date.now });
      const tenant = createAppNow(store, "full");
      const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: createHttpApp({ store, logger: silentLogger }).handle });
      const host = `http://127.0.0.1:${server.port}`;
      try {
        const filler = writer.submit(() => "a backlog", 5);
        const { analytics, seen } = sdk(tenant, { host, flushAt: 3 });
        analytics.on("http_response", ({ status }) => {
          if (status !== 503) return;
          holding = false;
          held?.();
        });
        for (let i = 0; i < 3; i++) analytics.track({ userId: "u_1", event: "Queued" });
        await analytics.closeAndFlush();
        expect(await filler).toBe("a backlog");
        expect(seen.statuses).toEqual([503, 200]);
        expect(seen.errors).toEqual([]);
        expect(seen.batches[1].messageIds).toEqual(seen.batches[0].messageIds);
        expect((await read(tenant, "/v1/api/events", host)).events).toHaveLength(3);
      } finally {
        server.stop(true);
        writer.close();
        db.$client.close();
      }
    },
    RETRY_TEST_TIMEOUT,
  );
});
