// trackd migrate-to (src/db/copy.ts) on a real cluster: a SQLite database filled through the real
// app (events with attributes and messageIds, customers, B2B users, Stripe and provider-neutral
// billing, health scores, dashboard users and sessions, revoked keys, app settings) is copied into
// an empty migrated PostgreSQL database, then every table's rows are compared, with the types
// normalised (SQLite's 0/1 and JSON text against PostgreSQL's booleans and jsonb).
import { afterEach, expect, test } from "bun:test";
import { closePostgres, openPostgres, type PgDb } from "../../src/db/postgres";
import { copyPlan, copySqliteToPostgres, CopyError, NOT_COPIED } from "../../src/db/copy";
import { createHealthPass } from "../../src/scoring/pass";
import { getTableName, is } from "drizzle-orm";
import { SQLiteTable } from "drizzle-orm/sqlite-core";
import * as sqliteSchema from "../../src/db/schema";
import { signIn } from "../accounts/support";
import { T0, setupSqlite, type SqliteHarness } from "../helpers";
import { basicAuth } from "../segment/support";
import { deliver, enableWebhook, stripeEvent, subscriptionObject } from "../support/stripe";
import { describePg, freshDatabase } from "../support/postgres";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function target(): Promise<PgDb> {
  const { url, drop } = await freshDatabase({ migrated: true });
  const db = openPostgres(url);
  cleanups.push(drop, () => closePostgres(db));
  return db;
}

/** A SQLite database with a row in (nearly) every table, written through the routes. */
async function seeded(): Promise<SqliteHarness> {
  const h = await setupSqlite();
  const acme = await h.tenant("acme");
  const other = await h.tenant("other");
  const send = async (path: string, body: unknown, as = acme) => {
    const reply = await h.post(path, as, body);
    if (reply.status >= 300) throw new Error(`${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  };
  for (let i = 0; i < 30; i++) {
    h.clock.now = T0 + i * 3_600_000 + 123; // ms that must survive
    await send("/v1/api/events/new", {
      event: i % 3 === 0 ? "Post Created" : "Logged In",
      customerId: `cus_${i % 7}`,
      uid: `uid_${i % 7}`,
      eventData: { n: i, big: 9007199254740991, frac: -0.125, text: 'Zoë "Z" 北京', nested: { ok: i % 2 === 0, list: [1, null, "x"] } },
      user: { uid: `user_${i % 4}`, data: { role: i % 2 ? "admin" : "member" } },
      customerData: { name: `Customer ${i % 7}`, seats: i, trial: i % 2 === 0, __proto__: { x: 1 } },
      messageId: `m-${i}`,
    });
  }
  await send("/v1/api/events/bulk", [
    { event: "Imported", customerId: "cus_old", eventDate: "2025-05-01" },
    { event: "Imported", customerId: "cus_old", eventDate: "2025-05-02", messageId: "import-2" },
  ]);
  await send("/v1/api/events/customer-update", { customerId: "cus_1", customerEmail: "ops@acme.example", customerData: { plan: "pro" } });
  await send("/v1/api/events/new", { event: "Other App", customerId: "cus_1" }, other);
  const segment = await h.call("POST", "/v1/batch", {
    headers: basicAuth(acme.apiKey),
    body: {
      batch: [
        { type: "track", event: "Segment Event", userId: "cus_2", messageId: "seg-1", properties: { a: 1 } },
        { type: "identify", userId: "cus_2", messageId: "seg-2", traits: { plan: "team" } },
      ],
    },
  });
  expect(segment.status).toBeLessThan(300);
  await send("/v1/api/subscriptions", {
    provider: "chargebee", subscriptionId: "cb_1", customerId: "cus_3", status: "active", currency: "EUR",
    items: [{ priceId: "team", productName: "Team", quantity: 4, unitAmount: 36_000, interval: "year" }], startedAt: "2026-01-01",
  });
  await enableWebhook(h, acme.appId);
  const subscription = subscriptionObject({ id: "sub_1", customer: "cus_4", items: [{ id: "price_1", unitAmount: 1999, interval: "month" } as never], cancelAtPeriodEnd: true });
  const webhook = await deliver(h, acme.appId, stripeEvent("customer.subscription.created", subscription, { created: h.clock.now }));
  expect(webhook.status).toBeLessThan(300);
  await createHealthPass({ store: h.store, clock: () => h.clock.now }).run();
  await signIn(h, "admin@acme.example", "admin");
  await h.apps.updateSettings(acme.appId, { healthWeights: { activity: 50, recency: 10, breadth: 15, seats: 5, billing: 10, trial: 10 }, retentionDays: 400, requireVerified: true });
  await h.apps.revokeKey(other.keyId);
  return h;
}

/** JSON with sorted keys: equal for equal values whatever their key order (jsonb reorders). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const object = value as Record<string, unknown>;
    return `{${Object.keys(object).sort().map((key) => `${JSON.stringify(key)}:${canonical(object[key])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

async function compareEveryTable(h: SqliteHarness, db: PgDb): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of copyPlan()) {
    const fromSqlite = (h.sqlite.db.$client.query(`select * from "${table.name}"`).all() as Record<string, unknown>[]).map((row) => {
      const normal: Record<string, unknown> = {};
      for (const column of table.columns) {
        const value = row[column.name];
        normal[column.name] =
          value === null ? null : column.kind === "boolean" ? value === 1 : column.kind === "json" ? JSON.parse(value as string) : value;
      }
      return canonical(normal);
    });
    // to_jsonb gives bigint as numbers, booleans as booleans and jsonb as itself.
    const fromPg = (await db.$client.unsafe(`select to_jsonb(t)::text as row from "${table.name}" t`)).map((r) => canonical(JSON.parse(r.row as string)));
    expect({ table: table.name, rows: fromPg.sort() }).toEqual({ table: table.name, rows: fromSqlite.sort() });
    counts[table.name] = fromSqlite.length;
  }
  return counts;
}

describePg("trackd migrate-to: SQLite to PostgreSQL", () => {
  test("every table is copied, and every row of every table is the same after normalising types", async () => {
    const h = await seeded();
    const db = await target();
    const reported: string[] = [];
    const copied = await copySqliteToPostgres(h.sqlite.db, db, { onTable: ({ table }) => reported.push(table) });

    // Every table of the SQLite schema but the two coordination tables, parents before children.
    const sqliteTables = Object.values(sqliteSchema).filter((v) => is(v, SQLiteTable)).map((v) => getTableName(v as SQLiteTable));
    expect(reported.sort()).toEqual(sqliteTables.filter((name) => !NOT_COPIED.has(name)).sort());
    const order = copied.map((c) => c.table);
    for (const [child, parent] of [["api_keys", "apps"], ["customers", "apps"], ["users", "customers"], ["subscriptions", "customers"], ["dashboard_sessions", "dashboard_users"]]) {
      expect(order.indexOf(child)).toBeGreaterThan(order.indexOf(parent));
    }

    const counts = await compareEveryTable(h, db);
    expect(Object.fromEntries(copied.map((c) => [c.table, c.rows]))).toEqual(counts);
    // A table left empty would prove nothing: the seed reached each of these.
    for (const name of ["apps", "api_keys", "customers", "users", "events", "customer_event_stats", "customer_daily_counts", "customer_daily_totals",
      "app_active_customers", "app_daily_counts", "app_event_stats", "subscriptions", "billing_events", "provider_events", "segment_messages",
      "app_health_runs", "dashboard_users", "dashboard_sessions"]) {
      expect({ name, rows: counts[name]! > 0 }).toEqual({ name, rows: true });
    }
  });

  test("identity columns continue after the highest copied key, so the next row PostgreSQL numbers doesn't collide", async () => {
    const h = await seeded();
    const db = await target();
    await copySqliteToPostgres(h.sqlite.db, db);
    const [{ max }] = await db.$client`select max(pk)::float8 as max from customers`;
    const [{ pk }] = await db.$client`insert into customers (app_id, customer_id, created_at, updated_at) select id, 'cus_new', 1, 1 from apps limit 1 returning pk::float8 as pk`;
    expect(pk).toBe(max + 1);
    const [{ seq }] = await db.$client`insert into events (id, app_pk, customer_pk, event, event_date, received_at, source, verified)
      values ('evt_new', 1, 1, 'E', 1, 1, 'server', false) returning seq::float8 as seq`;
    const [{ n }] = await db.$client`select count(*)::int as n from events`;
    expect(seq).toBe(n); // the events copied were numbered 1..n-1 (none erased)
  });

  test("a target that already holds rows is refused, and nothing is added to it", async () => {
    const h = await seeded();
    const db = await target();
    await copySqliteToPostgres(h.sqlite.db, db);
    const [{ before }] = await db.$client`select count(*)::int as before from events`;
    const error = await copySqliteToPostgres(h.sqlite.db, db).catch((e) => e);
    expect(error).toBeInstanceOf(CopyError);
    expect(error.message).toContain("not empty (rows in apps, api_keys");
    const [{ after }] = await db.$client`select count(*)::int as after from events`;
    expect(after).toBe(before);
  });

  test("a value PostgreSQL refuses rolls the whole copy back: the target stays empty", async () => {
    const h = await seeded();
    // Text with a NUL character: SQLite stores it, PostgreSQL's text type cannot.
    h.sqlite.db.$client.run("update customers set email = 'a' || char(0) || 'b' where customer_id = 'cus_6'");
    const db = await target();
    await expect(copySqliteToPostgres(h.sqlite.db, db)).rejects.toThrow();
    const [{ n }] = await db.$client`select (select count(*) from apps) + (select count(*) from customers) as n`;
    expect(Number(n)).toBe(0);
  });
});
