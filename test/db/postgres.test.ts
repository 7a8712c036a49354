// The PostgreSQL plumbing (src/db/postgres.ts) on a real cluster: the embedded drizzle-pg/
// migrations, the migration lock, and the driver's round trip of the types trackd relies on.
// Runs when TRACKD_TEST_PG_URL is set (.ci/run sets it), skipped otherwise.
import { afterEach, expect, test } from "bun:test";
import { getTableConfig } from "drizzle-orm/pg-core";
import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import journal from "../../drizzle-pg/meta/_journal.json";
import { closePostgres, migratePostgres, MIGRATION_LOCK_KEY, openPostgres, type PgDb } from "../../src/db/postgres";
import * as pg from "../../src/db/schema.pg";
import { describePg, freshDatabase } from "../support/postgres";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "drizzle-orm/postgres-js/migrator";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function database(options: { migrated?: boolean } = {}): Promise<string> {
  const { url, drop } = await freshDatabase(options);
  cleanups.push(drop);
  return url;
}

function open(url: string): PgDb {
  const db = openPostgres(url);
  cleanups.push(() => closePostgres(db));
  return db;
}

/** A database migrated by migratePostgres itself, for the migration tests. */
async function migrated(): Promise<PgDb> {
  const db = open(await database());
  await migratePostgres(db);
  return db;
}

/** A copy of the migrated template, for the round-trip tests. */
async function copied(): Promise<PgDb> {
  return open(await database({ migrated: true }));
}

const tableNames = Object.values(pg)
  .filter((value) => typeof value === "object" && value !== null && Symbol.for("drizzle:IsDrizzleTable") in value)
  .map((table) => getTableConfig(table as typeof pg.apps).name)
  .sort();

async function publicTables(db: PgDb): Promise<string[]> {
  const rows = await db.$client<{ name: string }[]>`select tablename as name from pg_tables where schemaname = 'public' order by 1`;
  return rows.map((row) => row.name);
}

async function appliedMigrations(db: PgDb): Promise<number> {
  const [row] = await db.$client<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
  return row!.n;
}

describePg("PostgreSQL migrations", () => {
  test("a fresh database gets every table of schema.pg.ts and one log row per migration", async () => {
    const db = await migrated();
    expect(tableNames.length).toBeGreaterThan(15);
    expect(await publicTables(db)).toEqual(tableNames);
    expect(await appliedMigrations(db)).toBe(journal.entries.length);
  });

  test("migrating again applies nothing, and the test template is a migrated database", async () => {
    const db = await migrated();
    await migratePostgres(db);
    expect(await appliedMigrations(db)).toBe(journal.entries.length);
    const copy = await copied();
    expect(await publicTables(copy)).toEqual(tableNames);
    expect(await appliedMigrations(copy)).toBe(journal.entries.length);
  });

  test("three nodes migrating one database at once apply each migration once", async () => {
    const url = await database();
    const nodes = [open(url), open(url), open(url)];
    await Promise.all(nodes.map((db) => migratePostgres(db)));
    expect(await publicTables(nodes[0]!)).toEqual(tableNames);
    expect(await appliedMigrations(nodes[0]!)).toBe(journal.entries.length);
  });

  test("a node waits while another holds the migration lock, then finds the schema in place", async () => {
    const url = await database();
    const holder = postgres(url, { max: 1, onnotice: () => {} });
    cleanups.push(() => holder.end());
    await holder`select pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`;

    const db = open(url);
    let finished = false;
    const migrating = migratePostgres(db).then(() => (finished = true));
    // The waiting session shows in pg_locks as an ungranted advisory lock.
    while ((await holder`select 1 from pg_locks where locktype = 'advisory' and not granted`).length === 0) await Bun.sleep(10);
    expect(finished).toBe(false);
    expect(await publicTables(db)).toEqual([]);

    await holder`select pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`;
    await migrating;
    expect(await publicTables(db)).toEqual(tableNames);
  });
});

/** JSON with every object's keys sorted: equal for equal values whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const object = value as Record<string, unknown>;
    return `{${Object.keys(object).sort().map((key) => `${JSON.stringify(key)}:${canonical(object[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

describePg("PostgreSQL round trip through drizzle-orm/postgres-js", () => {
  const ms = 1_764_412_345_678; // 2025-11-29T10:32:25.678Z
  const farFuture = 8_640_000_000_000_000; // the largest Date, beyond int4 and well beyond 2^32

  async function withApp(db: PgDb, id = "app_1", requireVerified = false) {
    await db.insert(pg.apps).values({ id, pk: 1, name: "A", signingSecret: "s", requireVerified, createdAt: ms });
  }

  test("millisecond timestamps in bigint columns come back as the same numbers", async () => {
    const db = await copied();
    await withApp(db);
    await db.insert(pg.apiKeys).values({ id: "key_1", appId: "app_1", secretHash: "h", createdAt: ms, revokedAt: farFuture, lastUsedAt: -1 });
    const [key] = await db.select().from(pg.apiKeys);
    expect(key).toMatchObject({ createdAt: ms, revokedAt: farFuture, lastUsedAt: -1 });
    expect(typeof key!.createdAt).toBe("number");
    const [app] = await db.select().from(pg.apps);
    expect(app!.createdAt).toBe(ms);
  });

  test("booleans come back as booleans, and the column default is false", async () => {
    const db = await copied();
    await withApp(db, "app_t", true);
    await db.insert(pg.apps).values({ id: "app_d", pk: 2, name: "D", signingSecret: "s", createdAt: ms });
    const rows = await db.select({ id: pg.apps.id, requireVerified: pg.apps.requireVerified }).from(pg.apps).orderBy(pg.apps.id);
    expect(rows).toEqual([
      { id: "app_d", requireVerified: false },
      { id: "app_t", requireVerified: true },
    ]);
    const [{ type }] = await db.$client`select pg_typeof(require_verified)::text as type from apps limit 1`;
    expect(type).toBe("boolean");
  });

  test("jsonb attributes round-trip exactly, __proto__ keys and nesting included, and ->> reads into them", async () => {
    const db = await copied();
    await withApp(db);
    // Parsed from JSON as a client's body is: __proto__ is an own key, not the prototype.
    const data = JSON.parse(
      '{"__proto__":{"polluted":true},"name":"Zoë \\"Z\\" 北京","plan":{"tier":"pro","seats":[1,2.5,null]},"n":-0.125,"big":9007199254740991,"ok":false,"empty":{}}',
    ) as Record<string, unknown>;
    const [{ pk }] = await db
      .insert(pg.customers)
      .values({ appId: "app_1", customerId: "cus_1", data, createdAt: ms, updatedAt: ms })
      .returning({ pk: pg.customers.pk });
    expect(pk).toBe(1); // the identity column numbers rows as SQLite's rowid does

    const [row] = await db.select().from(pg.customers).where(eq(pg.customers.pk, pk!));
    expect(canonical(row!.data)).toBe(canonical(data));
    // jsonb keeps no key order (it sorts keys by length, then bytes): unlike SQLite's TEXT, the
    // attributes come back reordered. Nothing in trackd's API promises an order.
    expect(Object.keys(row!.data)).toEqual(["n", "ok", "big", "name", "plan", "empty", "__proto__"]);
    expect(Object.hasOwn(row!.data, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    const [read] = await db
      .select({
        type: sql<string>`jsonb_typeof(${pg.customers.data})`,
        name: sql<string>`${pg.customers.data} ->> 'name'`,
        tier: sql<string>`${pg.customers.data} -> 'plan' ->> 'tier'`,
        proto: sql<string>`${pg.customers.data} -> '__proto__' ->> 'polluted'`,
        big: sql<string>`${pg.customers.data} ->> 'big'`,
      })
      .from(pg.customers);
    expect(read).toEqual({ type: "object", name: 'Zoë "Z" 北京', tier: "pro", proto: "true", big: "9007199254740991" });

    // The name search index's expression finds it.
    const found = await db.select({ pk: pg.customers.pk }).from(pg.customers).where(sql`lower(${pg.customers.data} ->> 'name') like 'zoë%'`);
    expect(found).toEqual([{ pk: 1 }]);
  });

  test("jsonb defaults and arrays: an omitted data is {}, subscription items keep their order and numbers", async () => {
    const db = await copied();
    await withApp(db);
    const [{ pk: customerPk }] = await db
      .insert(pg.customers)
      .values({ appId: "app_1", createdAt: ms, updatedAt: ms })
      .returning({ pk: pg.customers.pk });
    const items = [
      { priceId: "price_1", productId: null, productName: "Pro", quantity: 3, unitAmount: 1999, interval: "month" as const, intervalCount: 1, mrr: 5997 },
      { priceId: null, productId: "prod_2", productName: null, quantity: 1, unitAmount: 12000, interval: "year" as const, intervalCount: 1, mrr: 1000 },
    ];
    await db.insert(pg.subscriptions).values({
      appId: "app_1", provider: "stripe", subscriptionId: "sub_1", customerPk: customerPk!, status: "active", items, discounts: [],
      quantity: 4, currency: "usd", mrr: 6997, cancelAtPeriodEnd: true, sourceUpdatedAt: ms, createdAt: ms, updatedAt: ms,
    });
    const [customer] = await db.select({ data: pg.customers.data }).from(pg.customers);
    expect(customer!.data).toEqual({});
    const [sub] = await db.select().from(pg.subscriptions);
    expect(sub).toMatchObject({ items, discounts: [], cancelAtPeriodEnd: true, mrr: 6997, sourceUpdatedAt: ms });
  });

  test("raw int8 (columns, count) arrive as numbers; numeric aggregates (sum) as strings unless cast", async () => {
    const db = await copied();
    await withApp(db);
    const [raw] = await db.$client`select count(*) as n, sum(created_at) as total, sum(created_at)::float8 as cast from apps`;
    expect(raw).toEqual({ n: 1, total: String(ms), cast: ms });
    const [column] = await db.$client`select created_at as at from apps`;
    expect(column).toEqual({ at: ms });
  });
});

describePg("PostgreSQL migration 0003 (the integer app key) on a database with rows", () => {
  test("numbers the apps and carries every event and count row over to its app's pk", async () => {
    // drizzle-pg/ as it was before 0003: a copy with a shortened journal.
    const dir = mkdtempSync(join(tmpdir(), "trackd-pg-migrations-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const before = join(dir, "drizzle-pg");
    cpSync(join(import.meta.dir, "..", "..", "drizzle-pg"), before, { recursive: true });
    const index = journal.entries.findIndex((entry) => entry.tag === "0003_integer_app_key");
    writeFileSync(join(before, "meta", "_journal.json"), JSON.stringify({ ...journal, entries: journal.entries.slice(0, index) }));
    const db = open(await database());
    await migrate(db, { migrationsFolder: before });
    const run = (text: string) => db.$client.unsafe(text);
    await run("insert into apps (id, name, signing_secret, created_at) values ('app_b', 'B', 's', 2), ('app_a', 'A', 's', 1)");
    await run("insert into customers (pk, app_id, customer_id, created_at, updated_at) values (1, 'app_a', 'c1', 1, 1), (2, 'app_b', 'c2', 1, 1)");
    await run(`insert into events (seq, id, app_id, customer_pk, event, event_date, received_at, source, verified, message_id)
      values (7, 'evt_1', 'app_a', 1, 'E', 86400000, 5, 'server', true, 'm1'), (9, 'evt_2', 'app_b', 2, 'F', 86400000, 6, 'segment', false, null)`);
    await run("insert into customer_event_stats values (1, 'app_a', 'E', 1, 10, 20), (2, 'app_b', 'F', 1, 10, 20)");
    await run("insert into customer_daily_counts values (1, 'app_a', 1, 'E', 1), (2, 'app_b', 1, 'F', 1)");
    await run("insert into customer_daily_totals values (1, 'app_a', 1, 1), (2, 'app_b', 1, 1)");
    await run("insert into app_active_customers values ('app_a', 'day', 1, 1), ('app_b', 'month', 0, 1)");
    await run("insert into app_daily_counts values ('app_a', 1, 'E', 1), ('app_b', 1, 'F', 1)");
    await run("insert into app_event_stats values ('app_a', 'E', 1, 10, 20), ('app_b', 'F', 1, 10, 20)");

    await migratePostgres(db);

    const all = (text: string): Promise<Record<string, unknown>[]> => db.$client.unsafe(text).then((rows) => rows.map((row) => ({ ...row })));
    // Numbered in creation order, whatever order they were inserted in.
    expect(await all("select id, pk::int from apps order by id")).toEqual([{ id: "app_a", pk: 1 }, { id: "app_b", pk: 2 }]);
    expect(await all("select seq::int, id, app_pk::int, customer_pk::int, event, source, verified, message_id from events order by seq")).toEqual([
      { seq: 7, id: "evt_1", app_pk: 1, customer_pk: 1, event: "E", source: "server", verified: true, message_id: "m1" },
      { seq: 9, id: "evt_2", app_pk: 2, customer_pk: 2, event: "F", source: "segment", verified: false, message_id: null },
    ]);
    for (const table of ["customer_event_stats", "customer_daily_counts", "customer_daily_totals"]) {
      expect(await all(`select customer_pk::int, app_pk::int, count::int from ${table} order by 1`)).toEqual([
        { customer_pk: 1, app_pk: 1, count: 1 },
        { customer_pk: 2, app_pk: 2, count: 1 },
      ]);
    }
    expect(await all("select app_pk::int, interval, period::int, customers::int from app_active_customers order by 1")).toEqual([
      { app_pk: 1, interval: "day", period: 1, customers: 1 },
      { app_pk: 2, interval: "month", period: 0, customers: 1 },
    ]);
    for (const table of ["app_daily_counts", "app_event_stats"]) {
      expect(await all(`select app_pk::int, event, count::int from ${table} order by 1`)).toEqual([
        { app_pk: 1, event: "E", count: 1 },
        { app_pk: 2, event: "F", count: 1 },
      ]);
    }
    // The unique index moved with the column: a messageId is still unique within its app.
    await expect(run("insert into events (id, app_pk, customer_pk, event, event_date, received_at, source, verified, message_id) values ('evt_3', 1, 1, 'E', 1, 1, 'server', true, 'm1')")).rejects.toThrow(/duplicate key/);
  });
});
