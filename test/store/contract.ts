// The Store's contract (src/store/types.ts), as tests that see only the interface: writes are
// typed commands, every check is a read. A backend runs it by handing in a factory
// (test/store/sqlite-store.test.ts for SQLite); a PostgreSQL store can run the same cases.
import { describe, expect, test } from "bun:test";
import type { Store } from "../../src/store/types";

const T0 = Date.UTC(2026, 0, 15, 12);
const DAY = 86_400_000;
const day = (ms: number) => Math.floor(ms / DAY);

export interface OpenedStore {
  store: Store;
  close(): void | Promise<void>;
}

const app = (id: string, name = id, createdAt = T0) => ({ id, name, signingSecret: `whsec_${id}`, createdAt });
const key = (id: string, appId: string, scopes = "ingest,read,admin", createdAt = T0) => ({ id, appId, secretHash: "ab".repeat(32), scopes, createdAt });
const event = (name: string, customerId: string, at = T0, extra: Record<string, unknown> = {}) => ({
  event: name,
  customerId,
  eventDate: at,
  eventData: null,
  verified: true,
  ...extra,
});

/** `within`: describe, or describePg for a backend that needs a server (skipped without one). */
export function describeStoreContract(backend: string, open: () => Promise<OpenedStore> | OpenedStore, within: typeof describe = describe) {
  const describe = within;
  /** A store with app_1 (key_1) in it; closed after `body`. */
  async function withStore(body: (store: Store) => Promise<void>) {
    const opened = await open();
    try {
      await opened.store.apply({ type: "CreateApp", app: app("app_1", "one"), key: key("key_1", "app_1") });
      await body(opened.store);
    } finally {
      await opened.close();
    }
  }
  const it = (name: string, body: (store: Store) => Promise<void>) => test(name, () => withStore(body));
  const record = (store: Store, ...events: ReturnType<typeof event>[]) => store.apply({ type: "RecordEvents", appId: "app_1", source: "server", events });

  describe(`${backend} store: credentials`, () => {
    it("an app and its key are read back; a taken name writes nothing", async (store) => {
      expect(await store.credentials.app("app_1")).toMatchObject({ id: "app_1", name: "one", allowedOrigins: "*", requireVerified: false, retentionDays: null });
      expect(await store.credentials.keyWithApp("key_1")).toMatchObject({ key: { id: "key_1", appId: "app_1", revokedAt: null }, app: { id: "app_1" } });
      expect(await store.apply({ type: "CreateApp", app: app("app_2", "one"), key: key("key_2", "app_2") })).toEqual({ takenBy: "app_1" });
      expect(await store.credentials.app("app_2")).toBeUndefined();
      expect(await store.credentials.keyWithApp("key_2")).toBeUndefined();
      expect(await store.credentials.countApps()).toBe(1);
    });

    it("a revocation is seen by the next read, cached or not, and happens once", async (store) => {
      await store.credentials.keyWithApp("key_1"); // cached now, where the backend caches
      expect(await store.apply({ type: "RevokeKey", keyId: "key_1", at: T0 + 5 })).toBe(true);
      expect((await store.credentials.keyWithApp("key_1"))!.key.revokedAt).toBe(T0 + 5);
      expect(await store.apply({ type: "RevokeKey", keyId: "key_1", at: T0 + 6 })).toBe(false);
      expect((await store.credentials.key("key_1"))!.revokedAt).toBe(T0 + 5);
    });

    it("a key is revoked only within the app named, and made only for an app that exists", async (store) => {
      await store.apply({ type: "CreateApp", app: app("app_2", "two"), key: key("key_2", "app_2") });
      expect(await store.apply({ type: "RevokeKey", keyId: "key_1", at: T0, appId: "app_2" })).toBe(false);
      expect(await store.apply({ type: "CreateKey", key: key("key_x", "app_none") })).toBe(false);
      expect(await store.credentials.key("key_x")).toBeUndefined();
      expect(await store.apply({ type: "CreateKey", key: key("key_0", "app_1", "read", T0 + 1) })).toBe(true);
      expect((await store.credentials.keysOf("app_1")).map((k) => k.id)).toEqual(["key_1", "key_0"]); // oldest first
      expect(await store.credentials.appsWithActiveKeys()).toEqual([
        { app: expect.objectContaining({ id: "app_1" }), activeKeys: 2 },
        { app: expect.objectContaining({ id: "app_2" }), activeKeys: 1 },
      ]);
    });

    it("settings and the signing secret change the app as read, cached or not", async (store) => {
      await store.credentials.app("app_1");
      expect(await store.credentials.allowedOriginLists()).toEqual(["*"]);
      const fields = { requireVerified: true, allowedOrigins: "https://a.test", healthWeights: { recency: 2 }, retentionDays: 30, stripeWebhookSecret: "whsec_x" };
      expect(await store.apply({ type: "UpdateAppSettings", appId: "app_1", fields })).toMatchObject(fields);
      expect(await store.credentials.app("app_1")).toMatchObject(fields);
      expect(await store.credentials.allowedOriginLists()).toEqual(["https://a.test"]);
      expect(await store.apply({ type: "UpdateAppSettings", appId: "app_1", fields: { stripeWebhookSecret: null, healthWeights: null } })).toMatchObject({
        stripeWebhookSecret: null,
        healthWeights: null,
        retentionDays: 30,
      });
      expect(await store.apply({ type: "UpdateAppSettings", appId: "app_none", fields })).toBeNull();
      expect(await store.apply({ type: "SetSigningSecret", appId: "app_1", signingSecret: "new" })).toBe(true);
      expect((await store.credentials.app("app_1"))!.signingSecret).toBe("new");
      expect(await store.apply({ type: "SetSigningSecret", appId: "app_none", signingSecret: "new" })).toBe(false);
      expect(await store.retention.appsWithRetention()).toEqual([{ id: "app_1", retentionDays: 30 }]);
    });

    it("key use only moves forward", async (store) => {
      await store.apply({ type: "RecordKeyUse", keyId: "key_1", at: T0 + 10 });
      await store.apply({ type: "RecordKeyUse", keyId: "key_1", at: T0 + 5 });
      expect((await store.credentials.key("key_1"))!.lastUsedAt).toBe(T0 + 10);
    });
  });

  describe(`${backend} store: accounts and sessions`, () => {
    const user = (id: string, email: string, role: "admin" | "viewer", createdAt = T0) => ({ id, email, role, passwordHash: `hash-${id}`, createdAt });
    const session = (tokenHash: string, userId: string, at = T0) => ({ tokenHash, userId, createdAt: at, lastSeenAt: at });

    it("accounts: a taken email writes nothing; listings never carry the hash", async (store) => {
      expect(await store.apply({ type: "CreateUser", user: user("usr_1", "a@x.test", "admin") })).toEqual({ id: "usr_1", email: "a@x.test", role: "admin", createdAt: T0 });
      expect(await store.apply({ type: "CreateUser", user: user("usr_2", "a@x.test", "viewer") })).toBeNull();
      await store.apply({ type: "CreateUser", user: user("usr_3", "b@x.test", "viewer", T0 + 1) });
      expect(await store.accounts.listUsers()).toEqual([
        { id: "usr_1", email: "a@x.test", role: "admin", createdAt: T0 },
        { id: "usr_3", email: "b@x.test", role: "viewer", createdAt: T0 + 1 },
      ]);
      expect(await store.accounts.userByEmail("a@x.test")).toMatchObject({ id: "usr_1", passwordHash: "hash-usr_1" });
      expect(await store.accounts.countUsers()).toBe(2);
      expect(await store.accounts.countAdmins()).toBe(1);
      expect(await store.apply({ type: "SetUserRole", userId: "usr_3", role: "admin", at: T0 + 2 })).toBe(true);
      expect(await store.accounts.countAdmins()).toBe(2);
      expect(await store.apply({ type: "SetUserRole", userId: "usr_none", role: "admin", at: T0 })).toBe(false);
    });

    it("sessions: found with their user, touched, ended; a new password or removing the account ends them all", async (store) => {
      await store.apply({ type: "CreateUser", user: user("usr_1", "a@x.test", "admin") });
      await store.apply({ type: "StartSession", session: session("t1", "usr_1") });
      await store.apply({ type: "StartSession", session: session("t2", "usr_1") });
      expect(await store.accounts.session("t1")).toMatchObject({ session: session("t1", "usr_1"), user: { id: "usr_1", email: "a@x.test" } });
      await store.apply({ type: "TouchSession", tokenHash: "t1", at: T0 + 60_000 });
      expect((await store.accounts.session("t1"))!.session.lastSeenAt).toBe(T0 + 60_000);
      await store.apply({ type: "EndSession", tokenHash: "t1" });
      expect(await store.accounts.session("t1")).toBeUndefined();
      expect(await store.apply({ type: "SetUserPassword", userId: "usr_1", passwordHash: "new", at: T0 + 1 })).toBe(true);
      expect(await store.accounts.session("t2")).toBeUndefined();
      expect((await store.accounts.userById("usr_1"))!.passwordHash).toBe("new");
      await store.apply({ type: "StartSession", session: session("t3", "usr_1") });
      expect(await store.apply({ type: "RemoveUser", userId: "usr_1" })).toBe(true);
      expect(await store.accounts.session("t3")).toBeUndefined();
      expect(await store.apply({ type: "RemoveUser", userId: "usr_1" })).toBe(false);
    });

    it("expired sessions go by either expiry, and are counted", async (store) => {
      await store.apply({ type: "CreateUser", user: user("usr_1", "a@x.test", "admin") });
      await store.apply({ type: "StartSession", session: { tokenHash: "idle", userId: "usr_1", createdAt: T0, lastSeenAt: T0 } });
      await store.apply({ type: "StartSession", session: { tokenHash: "old", userId: "usr_1", createdAt: T0 - DAY, lastSeenAt: T0 + 10 } });
      await store.apply({ type: "StartSession", session: { tokenHash: "live", userId: "usr_1", createdAt: T0, lastSeenAt: T0 + 10 } });
      expect(await store.apply({ type: "RemoveExpiredSessions", idleBefore: T0 + 1, createdBefore: T0 - 1 })).toBe(2);
      expect(await store.accounts.session("live")).toBeDefined();
    });
  });

  describe(`${backend} store: customers, events and counts`, () => {
    it("customers are found by customerId, uid or email (the oldest with it), within their app only", async (store) => {
      await store.apply({ type: "CreateApp", app: app("app_2", "two"), key: key("key_2", "app_2") });
      await record(store, event("a", "c1", T0, { uid: "u1", customerEmail: "shared@x.test" }), event("a", "c2", T0, { customerEmail: "shared@x.test" }));
      const c1 = (await store.customers.find("app_1", "customerId", "c1"))!;
      expect(c1).toMatchObject({ customerId: "c1", uid: "u1", email: "shared@x.test", eventCount: 1, firstSeen: T0, lastSeen: T0, data: {} });
      expect((await store.customers.find("app_1", "uid", "u1"))!.pk).toBe(c1.pk);
      expect((await store.customers.find("app_1", "email", "shared@x.test"))!.pk).toBe(c1.pk);
      expect(await store.customers.find("app_2", "customerId", "c1")).toBeUndefined();
      expect((await store.customers.byPk(c1.pk))!.customerId).toBe("c1");
      expect(await store.customers.byPk(c1.pk + 1000)).toBeUndefined();
    });

    it("a customer's users by uid, its counts per name and per day", async (store) => {
      await record(
        store,
        event("b", "c1", T0, { user: { uid: "zed", data: { seat: 1 } } }),
        event("a", "c1", T0 - 10 * DAY, { user: { uid: "amy" } }),
        event("a", "c1", T0 - DAY),
        event("a", "c1", T0),
      );
      const { pk } = (await store.customers.find("app_1", "customerId", "c1"))!;
      expect((await store.customers.usersOf(pk)).map((u) => [u.uid, u.data, u.eventCount])).toEqual([
        ["amy", {}, 1],
        ["zed", { seat: 1 }, 1],
      ]);
      expect(await store.customers.eventStats(pk)).toEqual([
        { event: "a", count: 3, firstSeen: T0 - 10 * DAY, lastSeen: T0 },
        { event: "b", count: 1, firstSeen: T0, lastSeen: T0 },
      ]);
      const recent = await store.customers.recentByEvent(pk, day(T0) - 6, day(T0) - 29);
      expect(recent.sort((x, y) => x.event.localeCompare(y.event))).toEqual([
        { event: "a", last7d: 2, last30d: 3 },
        { event: "b", last7d: 1, last30d: 1 },
      ]);
      expect(await store.customers.dailyCounts(pk, day(T0) - 1, day(T0))).toEqual([
        { day: day(T0) - 1, count: 1 },
        { day: day(T0), count: 2 },
      ]);
      expect(await store.customers.dailyCounts(pk, day(T0) - 10, day(T0) - 1, "a")).toEqual([
        { day: day(T0) - 10, count: 1 },
        { day: day(T0) - 1, count: 1 },
      ]);
    });

    it("an event page: newest first, ties by insertion, filters and a cursor", async (store) => {
      await record(store, event("a", "c1", T0), event("b", "c1", T0), event("c", "c2", T0 - 1, { user: { uid: "u9" } }), event("d", "c2", T0 + 1, { messageId: "m1" }));
      const page = await store.events.page("app_1", { limit: 10 });
      expect(page.map((row) => row.event)).toEqual(["d", "b", "a", "c"]);
      expect(page[0]).toMatchObject({ customerId: "c2", messageId: "m1", source: "server", verified: true, eventData: null, userUid: null, receivedAt: T0 });
      expect(page[3]!.userUid).toBe("u9");
      const after = page[1]!;
      expect((await store.events.page("app_1", { limit: 10, after: { eventDate: after.eventDate, seq: after.seq } })).map((row) => row.event)).toEqual(["a", "c"]);
      expect((await store.events.page("app_1", { limit: 10, from: T0, to: T0 + 1 })).map((row) => row.event)).toEqual(["b", "a"]);
      const c2 = (await store.customers.find("app_1", "customerId", "c2"))!;
      expect((await store.events.page("app_1", { limit: 10, customerPk: c2.pk, event: "c" })).map((row) => row.event)).toEqual(["c"]);
      const u9 = (await store.events.userPk(c2.pk, "u9"))!;
      expect((await store.events.page("app_1", { limit: 10, userPk: u9 })).map((row) => row.event)).toEqual(["c"]);
      expect(await store.events.userPk(c2.pk, "nobody")).toBeUndefined();
      expect(await store.events.page("app_2", { limit: 10 })).toEqual([]);
    });

    it("app-wide counts: per day and name in [from, to), active customers, names, grades", async (store) => {
      await record(store, event("a", "c1", T0), event("a", "c2", T0), event("b", "c1", T0 - DAY));
      const today = day(T0);
      const daily = await store.counts.dailyCounts("app_1", today - 1, today + 1);
      expect(daily.sort((x, y) => x.day - y.day || x.event.localeCompare(y.event))).toEqual([
        { day: today - 1, event: "b", count: 1 },
        { day: today, event: "a", count: 2 },
      ]);
      expect(await store.counts.dailyCounts("app_1", today - 1, today)).toEqual([{ day: today - 1, event: "b", count: 1 }]);
      expect(await store.counts.dailyCounts("app_1", today - 1, today + 1, "b")).toEqual([{ day: today - 1, event: "b", count: 1 }]);
      const active = await store.counts.activeCustomers("app_1", "day", today - 1, today + 1);
      expect(active.sort((x, y) => x.period - y.period)).toEqual([
        { period: today - 1, customers: 1 },
        { period: today, customers: 2 },
      ]);
      expect(await store.counts.activeCustomersOfEvent("app_1", "a", today - 1, today + 1)).toBe(2);
      expect(await store.counts.activeCustomersOfEvent("app_1", "a", today - 1, today)).toBe(0);
      expect(await store.counts.eventNames("app_1")).toEqual([
        { event: "a", count: 2, firstSeen: T0, lastSeen: T0 },
        { event: "b", count: 1, firstSeen: T0 - DAY, lastSeen: T0 - DAY },
      ]);
      expect((await store.counts.customersPerEvent("app_1")).sort((x, y) => x.event.localeCompare(y.event))).toEqual([
        { event: "a", customers: 2 },
        { event: "b", customers: 1 },
      ]);
      const c1 = (await store.customers.find("app_1", "customerId", "c1"))!;
      await store.apply({ type: "SetScores", changes: [{ pk: c1.pk, score: 90 }] });
      expect(await store.counts.grades("app_1")).toEqual({ customers: 2, healthy: 1, watch: 0, atRisk: 0 });
    });

    it("the customer list pages by its sort with a cursor, customers without a value last", async (store) => {
      await record(store, event("a", "c1", T0 - 2), event("a", "c2", T0 - 1), event("a", "c3", T0));
      await store.apply({ type: "UpdateCustomer", appId: "app_1", identity: { uid: "never-seen" } });
      const filter = { attributes: [], sort: "-lastSeen" as const, limit: 2 };
      const first = await store.customerList.list("app_1", filter, T0);
      expect(first.customers.map((c) => c.customerId)).toEqual(["c3", "c2"]);
      expect(first.customers[0]).toMatchObject({ eventsLast7d: 1, eventsLast30d: 1, userCount: 0, health: null });
      const second = await store.customerList.list("app_1", { ...filter, cursor: first.nextCursor! }, T0);
      expect(second.customers.map((c) => c.customerId ?? c.uid)).toEqual(["c1", "never-seen"]);
      expect(second.nextCursor).toBeNull();
      await expect(store.customerList.list("app_1", { ...filter, sort: "lastSeen", cursor: first.nextCursor! }, T0)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    });
  });

  describe(`${backend} store: export, billing, scores and the database`, () => {
    it("export pages: ascending by date, bounded, a snapshot of what was stored when it began", async (store) => {
      await record(store, ...Array.from({ length: 5 }, (_, i) => event(`e${i}`, "c1", T0 + i)));
      const seen: string[][] = [];
      for await (const page of store.export.pages("app_1", {}, 2)) {
        seen.push(page.map((row) => row.event));
        if (seen.length === 1) await record(store, event("late", "c1", T0 + 100)); // committed mid-export
      }
      expect(seen).toEqual([["e0", "e1"], ["e2", "e3"], ["e4"]]);
      const c1 = (await store.customers.find("app_1", "customerId", "c1"))!;
      const narrowed: string[] = [];
      for await (const page of store.export.pages("app_1", { customerPk: c1.pk, from: T0 + 1, to: T0 + 3 })) narrowed.push(...page.map((row) => row.event));
      expect(narrowed).toEqual(["e1", "e2"]);
      expect(await store.export.estimate("app_1", {})).toBe(6);
    });

    it("billing: subscriptions, history newest first, the last payment and the app's figures", async (store) => {
      const state = {
        provider: "manual",
        subscriptionId: "sub_1",
        customerId: "c1",
        status: "active",
        items: [{ priceId: "p", productId: null, productName: "Team", quantity: 1, unitAmount: 5000, interval: "month" as const, intervalCount: 1, mrr: 5000 }],
        discounts: [],
        currency: "usd",
        trialStart: null,
        trialEnd: null,
        currentPeriodEnd: null,
        cancelAtPeriodEnd: false,
        canceledAt: null,
        endedAt: null,
        startedAt: T0 - DAY,
      };
      const payment = { provider: "manual", customerId: "c1", subscriptionId: "sub_1", invoiceId: "in_1", paid: false, amount: 5000, currency: "usd", attempt: 1 };
      const applied = await store.apply({
        type: "ApplyBilling",
        appId: "app_1",
        changes: [
          { kind: "subscription", state, source: { at: T0 - DAY } },
          { kind: "payment", payment, source: { at: T0 } },
        ],
      });
      expect(applied!.results.map((r) => r.result)).toEqual(["applied", "applied"]);
      const c1 = (await store.customers.find("app_1", "customerId", "c1"))!;
      expect((await store.billing.subscriptionsOf(c1.pk)).map((s) => [s.subscriptionId, s.status, s.items[0]!.mrr])).toEqual([["sub_1", "active", 5000]]);
      expect((await store.billing.findSubscription("app_1", "manual", "sub_1"))!.customerPk).toBe(c1.pk);
      expect(await store.billing.findSubscription("app_1", "manual", "sub_2")).toBeUndefined();
      const history = await store.billing.history(c1.pk, { limit: 10 });
      expect(history[0]!.kind).toBe("payment_failed");
      expect(history.at(-1)!.occurredAt).toBe(T0 - DAY);
      expect((await store.billing.history(c1.pk, { limit: 10, before: { at: T0, pk: history[0]!.pk } })).length).toBe(history.length - 1);
      expect(await store.billing.lastPaymentKind(c1.pk)).toBe("payment_failed");
      const figures = await store.billing.figures("app_1", T0 - 2 * DAY, T0 + DAY, { min: 0, max: 39 });
      expect(figures.byStatus).toEqual([{ currency: "usd", status: "active", customers: 1, mrr: 5000, paying: 1 }]);
      expect(figures.movements).toEqual([{ currency: "usd", movement: "new", occurredAt: T0 - DAY, delta: 5000 }]);
    });

    it("scores: the ranges' reads, the stored median and the apps to score", async (store) => {
      await record(store, event("a", "c1", T0), event("b", "c1", T0 - DAY, { user: { uid: "u1" } }));
      const [pk] = await store.scores.customerPks("app_1");
      const range = { appId: "app_1", lo: pk!, hi: pk! };
      expect(await store.scores.customersIn(range)).toEqual([{ pk: pk!, lastSeen: T0, healthScore: null }]);
      expect(await store.scores.breadths({ ...range, since30: day(T0) - 29 })).toEqual([{ pk: pk!, breadth: 2 }]);
      expect(await store.scores.totals({ ...range, since7: day(T0) - 6, since14: day(T0) - 13, since28: day(T0) - 27 })).toEqual([
        { pk: pk!, last14: 2, prior14: 0, activeDays7: 2 },
      ]);
      expect(await store.scores.users({ ...range, activeSince: T0 - 30 * DAY })).toEqual([{ pk: pk!, users: 1, activeUsers: 1 }]);
      expect(await store.scores.storedMedian("app_1")).toBeUndefined();
      await store.apply({ type: "SaveHealthRun", run: { appId: "app_1", medianBreadth: 2, customersScored: 1, durationMs: 1, computedAt: T0 } });
      expect(await store.scores.storedMedian("app_1")).toEqual({ medianBreadth: 2, computedAt: T0 });
      expect(await store.scores.appsToScore(null)).toEqual([{ id: "app_1", weights: null }]);
      expect(await store.scores.appsToScore("app_none")).toEqual([]);
    });

    it("the database answers and has a size", async (store) => {
      await store.database.ping();
      expect(await store.database.bytes()).toBeGreaterThan(0);
      expect(store.queue.pending).toBe(0);
    });
  });
}
