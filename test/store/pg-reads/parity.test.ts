// The PostgreSQL reads answer exactly as SQLite's: one dataset written through the SQLite store
// (dataset.ts), copied row for row into a migrated PostgreSQL database (copy.ts), then every
// read of the Store asked of both with many argument sets and the answers compared deeply.
// Lists the interface leaves in "any order" are sorted before comparing; everything else,
// ordering included, must be equal as returned.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { closePostgres, type PgDb } from "../../../src/db/postgres";
import * as schema from "../../../src/db/schema.pg";
import { DAY_MS, dayOf } from "../../../src/periods";
import { SORTS, type ListFilter } from "../../../src/store/customer-list";
import { createPgReads, type StoreReads } from "../../../src/store/pg/reads";
import { T0 } from "../../helpers";
import { describePg, type TestDatabase } from "../../support/postgres";
import { copySqliteToPg } from "./copy";
import { languageCollatedDatabase } from "./database";
import { buildDataset, NOW } from "./dataset";

type Built = Awaited<ReturnType<typeof buildDataset>>;
let built: Built;
let database: TestDatabase;
let pgDb: PgDb;
let lite: StoreReads;
let pg: StoreReads;
/** The same reads on a pool that parses int8 into numbers itself (as the applier's pool may). */
let pgParsed: StoreReads;
let parsedDb: PgDb;
let appA: string;
let appB: string;
let pks: number[];

/** Both backends' answers; equal, and SQLite's returned for further checks. */
async function same<T>(read: (store: StoreReads) => Promise<T>, normalise: (value: T) => unknown = (value) => value): Promise<T> {
  const expected = await read(lite);
  expect(normalise(await read(pg))).toEqual(normalise(expected) as never);
  expect(normalise(await read(pgParsed))).toEqual(normalise(expected) as never);
  return expected;
}

const sorted = <T>(rows: T[]) => [...rows].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describePg("PostgreSQL reads equal SQLite's", () => {
  beforeAll(async () => {
    built = await buildDataset();
    appA = built.a.appId;
    appB = built.b.appId;
    // Ordered by a language's rules unless a read says COLLATE "C": the order SQLite gives must not depend on the cluster's locale.
    database = await languageCollatedDatabase();
    // A pool without int8 parsing: every number must be converted by the reads themselves.
    // (openPostgres parses int8 since the applier's merge: this pool is made by hand.)
    pgDb = drizzle({ client: postgres(database.url, { max: 4, onnotice: () => {} }), schema }) as PgDb;
    await copySqliteToPg(built.h.sqlite.db, pgDb);
    lite = built.h.store;
    pg = createPgReads(pgDb);
    const parsing = postgres(database.url, { max: 4, types: { int8: { to: 20, from: [20], serialize: String, parse: Number } } });
    parsedDb = drizzle({ client: parsing, schema }) as PgDb;
    pgParsed = createPgReads(parsedDb);
    pks = (await lite.scores.customerPks(appA)).concat(await lite.scores.customerPks(appB)).sort((x, y) => x - y);
  }, 120_000);
  afterAll(async () => {
    await built.h.close();
    await closePostgres(pgDb);
    await closePostgres(parsedDb);
    await database.drop();
  });

  test("the database orders text by a language's rules, not by bytes", async () => {
    const [row] = await pgDb.$client`select 'a' < 'B' as language, 'a' < 'B' collate "C" as bytes`;
    expect(row).toEqual({ language: true, bytes: false });
  });

  test("one pool gives int8 as strings, the other as numbers: the reads convert on both", async () => {
    expect((await pgDb.$client`select 1::int8 as n`)[0]!.n).toBe("1");
    expect((await parsedDb.$client`select 1::int8 as n`)[0]!.n).toBe(1);
  });

  test("the dataset is what the comparisons need", async () => {
    expect(pks.length).toBeGreaterThan(12);
    expect((await lite.counts.eventNames(appA)).length).toBe(6);
    expect((await lite.billing.figures(appA, T0, NOW, { min: 0, max: 39 })).byStatus.length).toBeGreaterThan(2);
  });

  describe("credentials", () => {
    test("keys, apps and origin lists", async () => {
      expect(await same((s) => s.credentials.keyWithApp(built.a.keyId))).toBeDefined();
      expect((await same((s) => s.credentials.keyWithApp("key_c")))?.key.revokedAt).toBe(T0 + 2 * DAY_MS);
      expect(await same((s) => s.credentials.keyWithApp("nope"))).toBeUndefined();
      expect((await same((s) => s.credentials.app(appA)))?.healthWeights).toEqual({ usage: 2, breadth: 1 });
      await same((s) => s.credentials.app("nope"));
      await same((s) => s.credentials.key("key_a"));
      await same((s) => s.credentials.key("nope"));
      expect((await same((s) => s.credentials.keysOf(appA))).map((key) => key.id)).toEqual([built.a.keyId, "key_a", "key_b", "key_c"]);
      await same((s) => s.credentials.keysOf(appB));
      expect(await same((s) => s.credentials.keysOf("nope"))).toEqual([]);
      expect(await same((s) => s.credentials.allowedOriginLists(), sorted)).toHaveLength(2);
      expect((await same((s) => s.credentials.appsWithActiveKeys())).map((row) => row.activeKeys).sort()).toEqual([1, 3]);
      expect(await same((s) => s.credentials.countApps())).toBe(2);
    });
  });

  describe("accounts", () => {
    test("users, counts and sessions", async () => {
      await same((s) => s.accounts.userByEmail("a@x.io"));
      await same((s) => s.accounts.userByEmail("A@x.io"));
      await same((s) => s.accounts.userById("usr_c"));
      await same((s) => s.accounts.userById("nope"));
      // Created in the same millisecond: by id.
      expect((await same((s) => s.accounts.listUsers())).map((user) => user.id)).toEqual(["usr_a", "usr_b", "usr_c"]);
      expect(await same((s) => s.accounts.countUsers())).toBe(3);
      expect(await same((s) => s.accounts.countAdmins())).toBe(2);
      expect((await same((s) => s.accounts.session("tok-1")))?.user.id).toBe("usr_a");
      expect(await same((s) => s.accounts.session("nope"))).toBeUndefined();
    });
  });

  describe("customers", () => {
    test.each([
      ["customerId", "alice"],
      ["customerId", "Alice"],
      ["customerId", "élan"],
      ["customerId", "never-seen"],
      ["uid", "u-only"],
      ["uid", "U-UNDER"],
      ["uid", "u-under"],
      ["email", "alice@example.com"],
      ["email", "Alice@Example.com"],
      ["email", "ÉLAN@example.com"],
      ["email", "nobody@example.com"],
    ] as const)("find by %s %s", async (by, value) => {
      await same((s) => s.customers.find(appA, by, value));
      await same((s) => s.customers.find(appB, by, value));
    });

    test("every customer's row, users, stats and daily counts", async () => {
      const today = dayOf(NOW);
      let stats = 0;
      for (const pk of [...pks, 999_999]) {
        await same((s) => s.customers.byPk(pk));
        await same((s) => s.customers.usersOf(pk));
        stats += (await same((s) => s.customers.eventStats(pk))).length;
        await same((s) => s.customers.recentByEvent(pk, today - 6, today - 29), sorted);
        await same((s) => s.customers.recentByEvent(pk, today - 20, today - 35), sorted);
        await same((s) => s.customers.dailyCounts(pk, today - 29, today));
        await same((s) => s.customers.dailyCounts(pk, dayOf(T0) + 3, dayOf(T0) + 3));
        await same((s) => s.customers.dailyCounts(pk, dayOf(T0), today, "Export"));
        await same((s) => s.customers.dailyCounts(pk, dayOf(T0), today, "nope"));
      }
      expect(stats).toBeGreaterThan(30);
    });
  });

  describe("customer list", () => {
    /** Every page of the list, following the cursors; pages and cursors compared one by one. */
    async function allPages(filter: Omit<ListFilter, "attributes" | "sort" | "limit"> & Partial<ListFilter>, appId = appA) {
      const rows: unknown[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 50; pages++) {
        const full: ListFilter = { attributes: [], sort: "-lastSeen", limit: 3, ...filter, cursor };
        const page = await same((s) => s.customerList.list(appId, full, NOW));
        rows.push(...page.customers);
        if (page.nextCursor === null) return rows;
        cursor = page.nextCursor;
      }
      throw new Error("more than 50 pages");
    }

    test.each(SORTS.map((sort) => [sort]))("sorted by %s, page by page", async (sort) => {
      expect(await allPages({ sort })).toHaveLength(11);
      expect(await allPages({ sort, limit: 4 })).toHaveLength(11);
      expect(await allPages({ sort, limit: 100 })).toHaveLength(11);
      expect(await allPages({ sort }, appB)).toHaveLength(3);
    });

    test.each(["a", "A", "al", "ali", "alice", "Alice", "é", "É", "élan", "ÉLAN", "u-", "U", "alex", "ALX", "4", "1", "zz", "only", "_", "a b", "nothing"])(
      "search %p",
      async (q) => {
        for (const sort of ["-lastSeen", "customerId", "-customerId"] as const) await allPages({ q, sort });
      },
    );

    test("the searches that differ between a Unicode and an ASCII lower() find what SQLite finds", async () => {
      // "ÉLAN@example.com" lowers to "Élan@…" byte-wise on SQLite: "élan" is not its prefix.
      expect(await allPages({ q: "élan@" })).toHaveLength(0);
      expect(await allPages({ q: "alice" })).toHaveLength(2);
      // The name `true` is searched as "1" on SQLite.
      expect(await allPages({ q: "1" })).toHaveLength(1);
    });

    test.each([
      [[["seats", "3"]]],
      [[["flag", "true"]]],
      [[["flag", "false"]]],
      [[["gone", "null"]]],
      [[["tier", "t1"]]],
      [[["name", "42"]]],
      [[["name", "true"]]],
      [[["tier", "t1"], ["seats", "3"]]],
      [[["missing", "x"]]],
    ] as [string, string][][][])("attributes %j", async (attributes) => {
      await allPages({ attributes });
      await allPages({ attributes, sort: "customerId" });
    });

    test.each([
      [{ name: "Export" }],
      [{ name: "Export", from: T0 + 10 * DAY_MS }],
      [{ name: "Export", to: T0 + 10 * DAY_MS }],
      [{ name: "login", from: T0 + 10 * DAY_MS + 3_600_000, to: T0 + 12 * DAY_MS + 7_000_000 }],
      [{ name: "login", from: T0 + 10 * DAY_MS + 3_600_000, to: T0 + 10 * DAY_MS + 7_300_000 }],
      [{ name: "signup", from: T0 - T0 % DAY_MS + 5 * DAY_MS, to: T0 - T0 % DAY_MS + 6 * DAY_MS }],
      [{ name: "nope" }],
    ])("did event %j", async (event) => {
      await allPages({ event });
      await allPages({ event, sort: "eventCount" });
    });

    test("activity, health, billing status and plan, alone and together", async () => {
      for (const filter of [
        { activeSince: T0 + 38 * DAY_MS },
        { inactiveSince: T0 + 39 * DAY_MS },
        { inactiveSince: T0 },
        { health: "healthy" as const },
        { health: "watch" as const, sort: "health" as const },
        { health: "at_risk" as const, sort: "-mrr" as const },
        { status: "active" },
        { status: "past_due", sort: "customerId" as const },
        { plan: "price_2000" },
        { q: "a", health: "healthy" as const, activeSince: T0 },
        { status: "nope" },
      ]) {
        await allPages(filter);
      }
    });

    test("a malformed or foreign cursor is refused alike", async () => {
      for (const cursor of ["garbage", Buffer.from(JSON.stringify(["-firstSeen", 1, 1])).toString("base64url")]) {
        const filter: ListFilter = { attributes: [], sort: "-lastSeen", limit: 3, cursor };
        const [expected, actual] = [await rejection(lite.customerList.list(appA, filter, NOW)), await rejection(pg.customerList.list(appA, filter, NOW))];
        expect(actual).toEqual(expected);
        expect(String(actual)).toContain("cursor");
      }
    });
  });

  describe("events", () => {
    test.each([
      [{}],
      [{ verified: true }],
      [{ verified: false }],
      [{ event: "Export" }],
      [{ event: "export" }],
      [{ from: T0 + 5 * DAY_MS, to: T0 + 6 * DAY_MS }],
      [{ from: T0 + 5 * DAY_MS + 1 }],
      [{ to: T0 + 2 * DAY_MS }],
      [{ event: "nope" }],
    ])("pages of %j, followed to the end", async (filter) => {
      for (const appId of [appA, appB]) {
        let after: { eventDate: number; seq: number } | undefined;
        for (;;) {
          const page = await same((s) => s.events.page(appId, { ...filter, limit: 97, ...(after ? { after } : {}) }));
          if (page.length < 97) break;
          after = { eventDate: page.at(-1)!.eventDate, seq: page.at(-1)!.seq };
        }
      }
    });

    test("one customer's and one user's events", async () => {
      let users = 0;
      for (const pk of pks) {
        await same((s) => s.events.page(appA, { customerPk: pk, limit: 20 }));
        for (const user of await lite.customers.usersOf(pk)) {
          const userPk = await same((s) => s.events.userPk(pk, user.uid));
          expect(userPk).toBe(user.pk);
          users += (await same((s) => s.events.page(appA, { customerPk: pk, userPk, limit: 1000 }))).length;
        }
        expect(await same((s) => s.events.userPk(pk, "nope"))).toBeUndefined();
      }
      expect(users).toBeGreaterThan(20);
    });
  });

  describe("counts", () => {
    test("daily counts, active customers and per-event figures", async () => {
      const first = dayOf(T0);
      for (const [from, to] of [[first, first + 40], [first + 3, first + 4], [first + 50, first + 60]]) {
        for (const appId of [appA, appB]) {
          await same((s) => s.counts.dailyCounts(appId, from!, to!), sorted);
          await same((s) => s.counts.dailyCounts(appId, from!, to!, "login"), sorted);
          for (const interval of ["day", "week", "month"] as const) await same((s) => s.counts.activeCustomers(appId, interval, from! - 40, to!), sorted);
          await same((s) => s.counts.activeCustomersOfEvent(appId, "signup", from!, to!));
        }
      }
      expect(await same((s) => s.counts.activeCustomersOfEvent(appA, "Export", first, first + 40))).toBeGreaterThan(3);
      await same((s) => s.counts.eventNames(appA));
      await same((s) => s.counts.eventNames(appB));
      await same((s) => s.counts.customersPerEvent(appA), sorted);
      expect(await same((s) => s.counts.grades(appA))).toEqual({ customers: 11, healthy: 2, watch: 3, atRisk: 3 });
      await same((s) => s.counts.grades(appB));
      await same((s) => s.counts.grades("nope"));
    });
  });

  describe("billing", () => {
    test("history, subscriptions, payments", async () => {
      let rows = 0;
      for (const pk of pks) {
        rows += (await same((s) => s.billing.history(pk, { limit: 50 }))).length;
        const firstTwo = await same((s) => s.billing.history(pk, { limit: 2 }));
        if (firstTwo.length === 2) await same((s) => s.billing.history(pk, { limit: 2, before: { at: firstTwo[1]!.occurredAt, pk: firstTwo[1]!.pk } }));
        await same((s) => s.billing.history(pk, { from: T0 + 2 * DAY_MS, to: T0 + 5 * DAY_MS, limit: 10 }));
        await same((s) => s.billing.subscriptionsOf(pk));
        await same((s) => s.billing.lastPaymentKind(pk));
      }
      expect(rows).toBeGreaterThan(8);
      expect((await same((s) => s.billing.findSubscription(appA, "stripe", "sub_3")))?.items).toHaveLength(1);
      expect(await same((s) => s.billing.findSubscription(appB, "stripe", "sub_3"))).toBeUndefined();
      const alice = (await lite.customers.find(appA, "customerId", "alice"))!.pk;
      // One subscription without a start date: last, as SQLite puts NULLs in descending order.
      expect((await same((s) => s.billing.subscriptionsOf(alice))).map((sub) => sub.subscriptionId)).toEqual(["sub_5", "sub_1", "sub_6"]);
    });

    test("figures", async () => {
      for (const [from, to] of [[T0, NOW], [T0 + 3 * DAY_MS, T0 + 4 * DAY_MS], [0, 1]]) {
        for (const atRisk of [{ min: 0, max: 39 }, { min: 0, max: 100 }]) {
          await same((s) => s.billing.figures(appA, from!, to!, atRisk), (figures) => ({ ...figures, movements: sorted(figures.movements) }));
          await same((s) => s.billing.figures(appB, from!, to!, atRisk), (figures) => ({ ...figures, movements: sorted(figures.movements) }));
        }
      }
    });
  });

  describe("scores", () => {
    test("range reads, the stored median and the apps to score", async () => {
      const since = dayOf(NOW);
      for (const appId of [appA, appB]) {
        await same((s) => s.scores.customerPks(appId), (list) => [...list].sort((x, y) => x - y));
        for (const [lo, hi] of [[pks[0]!, pks.at(-1)!], [pks[2]!, pks[5]!], [0, 0]]) {
          const range = { appId, lo: lo!, hi: hi! };
          await same((s) => s.scores.customersIn(range), sorted);
          await same((s) => s.scores.totals({ ...range, since7: since - 6, since14: since - 13, since28: since - 27 }), sorted);
          await same((s) => s.scores.breadths({ ...range, since30: since - 29 }), sorted);
          await same((s) => s.scores.users({ ...range, activeSince: T0 + 30 * DAY_MS }), sorted);
          await same((s) => s.scores.subscriptions(range), sorted);
          await same((s) => s.scores.latestPayments(range), sorted);
        }
        await same((s) => s.scores.storedMedian(appId));
      }
      const parsed = (apps: { id: string; weights: string | null }[]) => apps.map((app) => ({ ...app, weights: app.weights && JSON.parse(app.weights) }));
      expect(await same((s) => s.scores.appsToScore(null), parsed)).toHaveLength(2);
      await same((s) => s.scores.appsToScore(appA), parsed);
      await same((s) => s.scores.appsToScore("nope"), parsed);
    });
  });

  describe("export", () => {
    async function collect(store: StoreReads, ...args: Parameters<StoreReads["export"]["pages"]>) {
      const pages = [];
      for await (const page of store.export.pages(...args)) pages.push(page);
      return pages;
    }

    test("pages and estimates", async () => {
      const alice = (await lite.customers.find(appA, "customerId", "alice"))!.pk;
      for (const filter of [{}, { from: T0 + 3 * DAY_MS }, { from: T0 + 3 * DAY_MS + 1, to: T0 + 9 * DAY_MS - 1 }, { customerPk: alice }, { customerPk: alice, to: T0 + 2 * DAY_MS }, { from: NOW }]) {
        for (const appId of [appA, appB]) {
          await same((s) => collect(s, appId, filter, 7));
          await same((s) => collect(s, appId, filter));
          await same((s) => s.export.estimate(appId, filter));
        }
      }
      expect((await collect(pg, appA, {}, 7)).flat().length).toBe((await lite.counts.eventNames(appA)).reduce((n, stat) => n + stat.count, 0));
    });
  });

  test("retention and the probe", async () => {
    expect(await same((s) => s.retention.appsWithRetention())).toHaveLength(2);
    await pg.database.ping();
    expect(await pg.database.bytes()).toBeGreaterThan(1_000_000);
  });
});
