// Each store module against a real migrated database (no app, no HTTP): what it writes is what
// its reads, and SQLite itself, then see.
import { beforeEach, expect, test } from "bun:test";
import { openMigratedDatabase, type Db } from "../../src/db";
import { createAppCountReads } from "../../src/store/app-counts";
import { createBillingStore } from "../../src/store/billing";
import { createCredentialsStore } from "../../src/store/credentials";
import { createCustomerReads } from "../../src/store/customers";
import { createDatabaseProbe } from "../../src/store/database";
import { createEventReads } from "../../src/store/events";
import { createExporter } from "../../src/store/export";
import { createIngestStore } from "../../src/store/ingest";
import { prepareRetentionApps } from "../../src/store/retention";
import { createScoreStore } from "../../src/store/scores";
import { createSegmentStore } from "../../src/store/segment";
import { createSqliteApplier } from "../../src/store/sqlite/applier";
import { Writer } from "../../src/store/writer";
import { describeSqlite } from "../support/backend";
// SQLite-only (skipped on TRACKD_TEST_BACKEND=postgres): the SQLite store modules called directly on bun:sqlite.

const T0 = Date.UTC(2026, 0, 15, 12);
const DAY = 86_400_000;
const day = (ms: number) => Math.floor(ms / DAY);

let db: Db;
let writer: Writer;
let applier: ReturnType<typeof createSqliteApplier>;
const rows = (sql: string) => db.$client.query(sql).all();

beforeEach(() => {
  db = openMigratedDatabase(":memory:");
  writer = new Writer(db);
  applier = createSqliteApplier({ db, writer, clock: () => T0 });
  createCredentialsStore(db).insertAppWithKey({ id: "app_1", name: "one", signingSecret: "s", createdAt: T0 }, () => ({
    id: "key_1",
    appId: "app_1",
    secretHash: "00",
    scopes: "ingest",
    createdAt: T0,
  }));
});

const event = (name: string, customerId: string, at = T0, extra = {}) => ({ event: name, customerId, eventDate: at, eventData: null, verified: true, ...extra });
const record = (...events: ReturnType<typeof event>[]) => applier.apply({ type: "RecordEvents", appId: "app_1", source: "server", events });

describeSqlite("credentials", () => {
  test("a second app with a taken name is refused and stores nothing", () => {
    const store = createCredentialsStore(db);
    const taken = store.insertAppWithKey({ id: "app_2", name: "one", signingSecret: "s", createdAt: T0 }, () => ({ id: "key_2", appId: "app_2", secretHash: "00", scopes: "read", createdAt: T0 }));
    expect(taken).toEqual({ takenBy: "app_1" });
    expect(store.appById("app_2")).toBeUndefined();
    expect(store.keyById("key_2")).toBeUndefined();
  });

  test("revoking is once, and last use only moves forward", () => {
    const store = createCredentialsStore(db);
    expect(store.revokeKey("key_1", T0)).toBe(true);
    expect(store.revokeKey("key_1", T0 + 1)).toBe(false);
    store.touchKey("key_1", T0 + 10);
    store.touchKey("key_1", T0 + 5);
    expect(store.keyById("key_1")!.lastUsedAt).toBe(T0 + 10);
    expect(store.appsWithActiveKeys()).toEqual([{ app: expect.objectContaining({ id: "app_1" }), activeKeys: 0 }]);
  });
});

describeSqlite("ingest and counts, through the applier", () => {
  test("events create their customer once and count per day, per name and app-wide", async () => {
    await record(event("a", "c1"), event("a", "c1"), event("b", "c1", T0 + DAY));
    const customer = createCustomerReads(db).byCustomerId.get({ appId: "app_1", value: "c1" })!;
    expect(customer).toMatchObject({ eventCount: 3, firstSeen: T0, lastSeen: T0 + DAY });
    expect(createCustomerReads(db).eventStats.all({ pk: customer.pk }).map((s) => [s.event, s.count])).toEqual([["a", 2], ["b", 1]]);
    const counts = createAppCountReads(db);
    expect(counts.dailyCounts.all({ appId: "app_1", fromDay: day(T0), toDay: day(T0) + 2 })).toEqual([
      { day: day(T0), event: "a", count: 2 },
      { day: day(T0) + 1, event: "b", count: 1 },
    ]);
    expect(counts.activeCustomers.all({ appId: "app_1", interval: "day", fromDay: day(T0), toDay: day(T0) + 2 }).map((r) => r.customers)).toEqual([1, 1]);
  });

  test("a messageId is stored once; the repeat returns the original id", async () => {
    const [first] = await record(event("a", "c1", T0, { messageId: "m" }));
    const [again] = await record(event("a", "c1", T0, { messageId: "m" }));
    expect(again).toEqual({ ...first!, duplicate: true });
    const ingest = createIngestStore(db);
    expect(ingest.eventIdByMessageId(ingest.appPk("app_1"), "m")).toBe(first!.id);
    expect(rows("select count(*) n from app_daily_counts")).toEqual([{ n: 1 }]);
  });

  test("a failing command is undone alone: its neighbours in the batch commit", async () => {
    const good = record(event("a", "c1"));
    const bad = applier.apply({ type: "RecordEvents", appId: "no_such_app", source: "server", events: [event("a", "c2")] });
    await expect(bad).rejects.toThrow();
    expect(await good).toHaveLength(1);
    expect(rows("select count(*) n from events")).toEqual([{ n: 1 }]);
    expect(rows("select sum(count) n from app_event_stats")).toEqual([{ n: 1 }]);
  });

  test("UpdateCustomer links a uid to the customerId's customer and merges attributes", async () => {
    await record(event("a", "c1"));
    const { customerPk, warnings } = await applier.apply({ type: "UpdateCustomer", appId: "app_1", identity: { customerId: "c1", uid: "u1" }, customerData: { plan: "pro" } });
    expect(warnings).toEqual([]);
    expect(createCustomerReads(db).byUid.get({ appId: "app_1", value: "u1" })).toMatchObject({ pk: customerPk, data: { plan: "pro" } });
  });

  test("EraseCustomer removes the customer and what it added to app-wide counts, even from the same batch", async () => {
    await record(event("a", "keep"), event("a", "gone"));
    const pending = record(event("a", "gone"));
    const erased = await applier.apply({ type: "EraseCustomer", appId: "app_1", by: "customerId", value: "gone" });
    await pending;
    expect(erased).toMatchObject({ customer: { customerId: "gone" }, events: 2 });
    expect(rows("select event, count from app_event_stats")).toEqual([{ event: "a", count: 1 }]);
    expect(await applier.apply({ type: "EraseCustomer", appId: "app_1", by: "customerId", value: "gone" })).toBeNull();
  });
});

describeSqlite("reads", () => {
  test("events: newest first, scoped to the app", async () => {
    await record(event("a", "c1", T0), event("b", "c1", T0 + 1));
    const { pageQuery } = createEventReads(db);
    const params = { appId: "app_1", limit: 10, event: undefined };
    expect(pageQuery(params).all(params).map((row) => row.event)).toEqual(["b", "a"]);
    const other = { appId: "app_2", limit: 10, event: undefined };
    expect(pageQuery(other).all(other)).toEqual([]);
  });

  test("export pages cover every event once, in date order", async () => {
    await record(...Array.from({ length: 5 }, (_, i) => event(`e${i}`, "c1", T0 + i)));
    const pages = [...createExporter(db).pages("app_1", {}, 2)];
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((row) => row.event)).toEqual(["e0", "e1", "e2", "e3", "e4"]);
    expect(createExporter(db).estimate("app_1", {})).toBe(5);
  });

  test("the database probe answers and measures the file", () => {
    const probe = createDatabaseProbe(db);
    expect(() => probe.ping()).not.toThrow();
    expect(probe.bytes()).toBeGreaterThan(0);
  });
});

describeSqlite("scores and retention", () => {
  test("SetScores and SaveHealthRun write what the score store reads back", async () => {
    await record(event("a", "c1"));
    const scores = createScoreStore(db);
    const [pk] = scores.customerPks("app_1");
    await applier.apply({ type: "SetScores", changes: [{ pk: pk!, score: 42 }] });
    await applier.apply({ type: "SaveHealthRun", run: { appId: "app_1", medianBreadth: 1, customersScored: 1, durationMs: 3, computedAt: T0 } });
    expect(scores.customersIn({ appId: "app_1", lo: pk!, hi: pk! })).toEqual([{ pk: pk!, lastSeen: T0, healthScore: 42 }]);
    expect(scores.storedMedian("app_1")).toEqual({ medianBreadth: 1, computedAt: T0 });
  });

  test("PurgeRetention deletes events and day counts before the horizon, keeping all-time stats", async () => {
    await record(event("a", "c1", T0 - 10 * DAY), event("a", "c1", T0));
    db.$client.run("update apps set retention_days = 5");
    expect(prepareRetentionApps(db)()).toEqual([{ id: "app_1", retentionDays: 5 }]);
    const step = await applier.apply({ type: "PurgeRetention", appId: "app_1", horizon: T0 - 5 * DAY, limit: 100 });
    expect(step).toMatchObject({ events: 1, done: true });
    expect(rows("select count(*) n from events")).toEqual([{ n: 1 }]);
    expect(rows("select count from app_event_stats")).toEqual([{ count: 2 }]);
  });
});

describeSqlite("billing and segment", () => {
  test("billing creates a customer named only by customerId once, and marks a provider event once", () => {
    const billing = createBillingStore(db);
    const pk = billing.customerPkFor("app_1", "cus_1", T0);
    expect(billing.customerPkFor("app_1", "cus_1", T0 + 1)).toBe(pk);
    const mark = { appId: "app_1", provider: "stripe", eventId: "evt_1", type: "x", receivedAt: T0 };
    expect(billing.markProviderEvent(mark)).toBe(true);
    expect(billing.markProviderEvent(mark)).toBe(false);
    expect(billing.hasEarned(pk)).toBe(false);
    billing.recordEvent({ appId: "app_1", customerPk: pk, provider: "stripe", kind: "subscription_created", movement: "new", occurredAt: T0, mrrBefore: 0, mrrAfter: 100, detail: {} });
    expect(billing.hasEarned(pk)).toBe(true);
    expect(billing.history({ customerPk: pk, limit: 10 }).map((row) => row.kind)).toEqual(["subscription_created"]);
  });

  test("segment remembers a messageId per app", () => {
    const segment = createSegmentStore(db);
    segment.record({ appId: "app_1", messageId: "m1", type: "identify", receivedAt: T0 });
    expect(segment.isKnown("app_1", "m1")).toBe(true);
    expect(segment.isKnown("app_1", "m2")).toBe(false);
  });
});
