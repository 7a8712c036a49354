// The real migrations on a real database file (not :memory:), and the pragmas every connection gets.
import { Database } from "bun:sqlite";
import { afterEach, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import journal from "../../drizzle/meta/_journal.json";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { migrateDatabase, openDatabase, openMigratedDatabase, type Db, type Durability } from "../../src/db";
import { periodOf } from "../../src/periods";
import { describeSqlite } from "../support/backend";
// SQLite-only (skipped on TRACKD_TEST_BACKEND=postgres): SQLite's migrations and connection settings (PostgreSQL's: test/db/postgres.test.ts).

const tempDirs: string[] = [];
const open: Db[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.$client.close();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "trackd-db-"));
  tempDirs.push(dir);
  return join(dir, "trackd.db");
}

/**
 * A new database migrated as far as the migration named `tag`, not including it: the migrations
 * as they were then, from a copy of drizzle/ with a shortened journal. The test then fills it and
 * runs the rest, to see the migration carry existing rows over.
 */
function migratedUpTo(tag: string): Db {
  const before = join(mkdtempSync(join(tmpdir(), "trackd-migrations-")), "drizzle");
  tempDirs.push(join(before, ".."));
  cpSync(join(import.meta.dir, "..", "..", "drizzle"), before, { recursive: true });
  const index = journal.entries.findIndex((entry) => entry.tag === tag);
  if (index === -1) throw new Error(`no migration ${tag} in drizzle/meta/_journal.json`);
  writeFileSync(join(before, "meta", "_journal.json"), JSON.stringify({ ...journal, entries: journal.entries.slice(0, index) }));
  const db = openDatabase(freshPath());
  open.push(db);
  migrate(db, { migrationsFolder: before });
  return db;
}

function openAt(path: string, durability?: Durability): Db {
  const db = openMigratedDatabase(path, durability);
  open.push(db);
  return db;
}

/** Everything migrating could touch: the schema, its version, the migration log and some data. */
function snapshot(client: Database) {
  return {
    schemaVersion: client.query("pragma schema_version").get(),
    schema: client.query("select type, name, tbl_name, sql from sqlite_master order by type, name").all(),
    migrations: client.query("select * from __drizzle_migrations order by id").all(),
    apps: client.query("select * from apps order by id").all(),
  };
}

describeSqlite("migrations on a file database", () => {
  test("openMigratedDatabase creates the file, every table and the migration log", () => {
    const path = freshPath();
    const db = openAt(path);
    expect(existsSync(path)).toBe(true);
    const tables = (db.$client.query("select name from sqlite_master where type = 'table'").all() as { name: string }[]).map(
      (row) => row.name,
    );
    expect(tables).toEqual(expect.arrayContaining(["apps", "api_keys", "customers", "users", "events", "__drizzle_migrations"]));
    expect(db.$client.query("select count(*) as n from __drizzle_migrations").get()).toEqual({ n: journal.entries.length });
  });

  test("the indexes that uniqueness and lookups rely on exist", () => {
    const db = openAt(freshPath());
    const indexes = (db.$client.query("select name from sqlite_master where type = 'index'").all() as { name: string }[]).map(
      (row) => row.name,
    );
    expect(indexes).toEqual(
      expect.arrayContaining(["events_app_message_id_uq", "customers_app_customer_id_uq", "users_customer_uid_uq"]),
    );
    // Dropped by 0007: nothing looks an event up by its public id.
    expect(indexes).not.toContain("events_id_uq");
  });

  test("migrating a second time on the same connection changes nothing", () => {
    const db = openAt(freshPath());
    db.$client.run("insert into apps (id, name, signing_secret, created_at) values ('app_1', 'Acme', 's', 1)");
    const before = snapshot(db.$client);
    const changesBefore = db.$client.query("select total_changes() as n").get();

    migrateDatabase(db);

    expect(snapshot(db.$client)).toEqual(before);
    expect(db.$client.query("select total_changes() as n").get()).toEqual(changesBefore);
  });

  test("reopening a migrated file changes nothing and keeps the data", () => {
    const path = freshPath();
    const first = openAt(path);
    first.$client.run("insert into apps (id, name, signing_secret, created_at) values ('app_1', 'Acme', 's', 1)");
    const before = snapshot(first.$client);
    first.$client.close();
    open.splice(open.indexOf(first), 1);

    const again = openAt(path);
    expect(snapshot(again.$client)).toEqual(before);
    expect(before.apps).toHaveLength(1);
  });
});

describeSqlite("connection settings", () => {
  test.each<{ label: string; durability: Durability | undefined; synchronous: number }>([
    { label: "by default", durability: undefined, synchronous: 2 },
    { label: "with durability full", durability: "full", synchronous: 2 },
    { label: "with durability normal", durability: "normal", synchronous: 1 },
  ])("$label: journal_mode is wal and synchronous is $synchronous", ({ durability, synchronous }) => {
    const path = freshPath();
    const db = openAt(path, durability);
    expect(db.$client.query("pragma journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(db.$client.query("pragma synchronous").get()).toEqual({ synchronous });
  });

  test("WAL mode is stored in the file, so any other connection sees it", () => {
    const path = freshPath();
    openAt(path);
    const other = new Database(path, { readonly: true });
    try {
      expect(other.query("pragma journal_mode").get()).toEqual({ journal_mode: "wal" });
    } finally {
      other.close();
    }
  });

  test("foreign keys are enforced", () => {
    const db = openAt(freshPath());
    expect(db.$client.query("pragma foreign_keys").get()).toEqual({ foreign_keys: 1 });
    expect(() =>
      db.$client.run("insert into api_keys (id, app_id, secret_hash, created_at) values ('key_1', 'app_missing', 'h', 1)"),
    ).toThrow(/FOREIGN KEY/);
  });
});

describeSqlite("0003, 0004 and 0005 (the counts) on a database that already holds events", () => {
  test("backfill the per-customer, per-day and per-app counts from the events", () => {
    const db = migratedUpTo("0003_event_counts");
    const day = 86_400_000;
    db.$client.run("insert into apps (id, name, signing_secret, created_at) values ('app_1', 'Acme', 's', 1)");
    db.$client.run("insert into customers (pk, app_id, customer_id, created_at, updated_at) values (1, 'app_1', 'cus_1', 1, 1), (2, 'app_1', 'cus_2', 1, 1)");
    const insert = db.$client.prepare(
      "insert into events (id, app_id, customer_pk, event, event_date, received_at, source, verified) values (?, 'app_1', ?, ?, ?, 0, 'server', 1)",
    );
    const t = 20_000 * day;
    [[1, "A Done", t], [1, "A Done", t + 5], [1, "A Done", t + day], [1, "B Done", t], [2, "A Done", t + 2 * day]].forEach(
      ([customerPk, event, date], i) => insert.run(`evt_${i}`, customerPk, event, date),
    );

    migrateDatabase(db);

    const all = (sql: string) => db.$client.query(sql).all();
    expect(all("select customer_pk, event, count, first_seen, last_seen from customer_event_stats order by 1, 2")).toEqual([
      { customer_pk: 1, event: "A Done", count: 3, first_seen: t, last_seen: t + day },
      { customer_pk: 1, event: "B Done", count: 1, first_seen: t, last_seen: t },
      { customer_pk: 2, event: "A Done", count: 1, first_seen: t + 2 * day, last_seen: t + 2 * day },
    ]);
    expect(all("select customer_pk, day, event, count from customer_daily_counts order by 1, 2, 3")).toEqual([
      { customer_pk: 1, day: 20_000, event: "A Done", count: 2 },
      { customer_pk: 1, day: 20_000, event: "B Done", count: 1 },
      { customer_pk: 1, day: 20_001, event: "A Done", count: 1 },
      { customer_pk: 2, day: 20_002, event: "A Done", count: 1 },
    ]);
    expect(all("select day, event, count from app_daily_counts order by 1, 2")).toEqual([
      { day: 20_000, event: "A Done", count: 2 },
      { day: 20_000, event: "B Done", count: 1 },
      { day: 20_001, event: "A Done", count: 1 },
      { day: 20_002, event: "A Done", count: 1 },
    ]);
    // 0004 derives the per-app stats from the per-customer ones.
    // (0013 keys the count tables by the app's integer pk: app_1 is the first app, pk 1.)
    expect(all("select app_pk, event, count, first_seen, last_seen from app_event_stats order by 2")).toEqual([
      { app_pk: 1, event: "A Done", count: 4, first_seen: t, last_seen: t + 2 * day },
      { app_pk: 1, event: "B Done", count: 1, first_seen: t, last_seen: t },
    ]);
    // 0005: per-customer day totals, and distinct active customers per day, week and month.
    expect(all("select customer_pk, day, count from customer_daily_totals order by 1, 2")).toEqual([
      { customer_pk: 1, day: 20_000, count: 3 },
      { customer_pk: 1, day: 20_001, count: 1 },
      { customer_pk: 2, day: 20_002, count: 1 },
    ]);
    // Day 20,000 is Friday 2024-10-04: its week began on day 19,996, its month on day 19,997.
    expect([periodOf(20_000, "week").start, periodOf(20_000, "month").start]).toEqual([19_996, 19_997]);
    expect(all("select interval, period, customers from app_active_customers order by 1, 2")).toEqual([
      { interval: "day", period: 20_000, customers: 1 },
      { interval: "day", period: 20_001, customers: 1 },
      { interval: "day", period: 20_002, customers: 1 },
      { interval: "month", period: 19_997, customers: 2 },
      { interval: "week", period: 19_996, customers: 2 },
    ]);
  });
});

describeSqlite("0013 (the integer app key) on a database that already holds events and counts", () => {
  test("numbers the apps and carries every event and count row over to its app's pk", () => {
    const db = migratedUpTo("0013_integer_app_key");
    const run = (sql: string) => db.$client.run(sql);
    run("insert into apps (id, name, signing_secret, created_at) values ('app_a', 'A', 's', 1), ('app_b', 'B', 's', 2)");
    run("insert into customers (pk, app_id, customer_id, created_at, updated_at) values (1, 'app_a', 'c1', 1, 1), (2, 'app_b', 'c2', 1, 1)");
    run(`insert into events (seq, id, app_id, customer_pk, event, event_date, received_at, source, verified, message_id)
         values (7, 'evt_1', 'app_a', 1, 'E', 86400000, 5, 'server', 1, 'm1'), (9, 'evt_2', 'app_b', 2, 'F', 86400000, 6, 'segment', 0, null)`);
    run("insert into customer_event_stats values (1, 'app_a', 'E', 1, 86400000, 86400000), (2, 'app_b', 'F', 1, 86400000, 86400000)");
    run("insert into customer_daily_counts values (1, 'app_a', 1, 'E', 1), (2, 'app_b', 1, 'F', 1)");
    run("insert into customer_daily_totals values (1, 'app_a', 1, 1), (2, 'app_b', 1, 1)");
    run("insert into app_active_customers values ('app_a', 'day', 1, 1), ('app_b', 'month', 0, 1)");
    run("insert into app_daily_counts values ('app_a', 1, 'E', 1), ('app_b', 1, 'F', 1)");
    run("insert into app_event_stats values ('app_a', 'E', 1, 86400000, 86400000), ('app_b', 'F', 1, 86400000, 86400000)");

    migrateDatabase(db);

    const all = (sql: string) => db.$client.query(sql).all();
    expect(all("select id, pk from apps order by id")).toEqual([{ id: "app_a", pk: 1 }, { id: "app_b", pk: 2 }]);
    expect(all("select seq, id, app_pk, customer_pk, event, event_date, received_at, source, verified, message_id from events order by seq")).toEqual([
      { seq: 7, id: "evt_1", app_pk: 1, customer_pk: 1, event: "E", event_date: 86400000, received_at: 5, source: "server", verified: 1, message_id: "m1" },
      { seq: 9, id: "evt_2", app_pk: 2, customer_pk: 2, event: "F", event_date: 86400000, received_at: 6, source: "segment", verified: 0, message_id: null },
    ]);
    expect(all("select * from customer_event_stats order by customer_pk")).toEqual([
      { customer_pk: 1, app_pk: 1, event: "E", count: 1, first_seen: 86400000, last_seen: 86400000 },
      { customer_pk: 2, app_pk: 2, event: "F", count: 1, first_seen: 86400000, last_seen: 86400000 },
    ]);
    expect(all("select * from customer_daily_counts order by customer_pk")).toEqual([
      { customer_pk: 1, app_pk: 1, day: 1, event: "E", count: 1 },
      { customer_pk: 2, app_pk: 2, day: 1, event: "F", count: 1 },
    ]);
    expect(all("select * from customer_daily_totals order by customer_pk")).toEqual([
      { customer_pk: 1, app_pk: 1, day: 1, count: 1 },
      { customer_pk: 2, app_pk: 2, day: 1, count: 1 },
    ]);
    expect(all("select * from app_active_customers order by app_pk")).toEqual([
      { app_pk: 1, interval: "day", period: 1, customers: 1 },
      { app_pk: 2, interval: "month", period: 0, customers: 1 },
    ]);
    expect(all("select * from app_daily_counts order by app_pk")).toEqual([
      { app_pk: 1, day: 1, event: "E", count: 1 },
      { app_pk: 2, day: 1, event: "F", count: 1 },
    ]);
    expect(all("select * from app_event_stats order by app_pk")).toEqual([
      { app_pk: 1, event: "E", count: 1, first_seen: 86400000, last_seen: 86400000 },
      { app_pk: 2, event: "F", count: 1, first_seen: 86400000, last_seen: 86400000 },
    ]);
    // The keys moved with the column: a messageId is still unique within its app.
    expect(() => run("insert into events (id, app_pk, customer_pk, event, event_date, received_at, source, verified, message_id) values ('evt_3', 1, 1, 'E', 1, 1, 'server', 1, 'm1')")).toThrow(/UNIQUE/);
    expect(all("pragma foreign_key_check")).toEqual([]);
  });
});
