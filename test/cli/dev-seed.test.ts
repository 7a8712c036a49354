// `trackd dev seed` as a real process, each test on a database of its own of the suite's backend.
import { afterEach, describe, expect, test } from "bun:test";
import { createAppJson, queryDb, removeScratches, scratch, trackd } from "../support/cli";

afterEach(removeScratches);

/** A fresh database file with one app in it, and `seed(...flags)` to run the command on it. */
async function withApp() {
  const s = await scratch();
  const { appId } = createAppJson(s, "Seeded");
  const seed = (...args: string[]) => trackd(["dev", "seed", "--app", appId, "--db", s.db, ...args], { cwd: s.dir });
  return { ...s, appId, seed };
}


// Number(): PostgreSQL's sum() of a bigint is a numeric, which comes back as a string.
const number = async (db: string, sql: string) => Number((await queryDb<{ n: unknown }>(db, sql))[0]!.n);
// customers.data is text on SQLite, jsonb on PostgreSQL.
const parsed = (data: unknown) => (typeof data === "string" ? JSON.parse(data) : data) as Record<string, unknown>;

/** Everything generated, with dates relative to the newest event (the history ends at "now"). */
async function fingerprint(db: string): Promise<string> {
  const rows = (
    await queryDb(
      db,
      `select c.customer_id, c.data, u.uid, e.event, e.event_date - (select max(event_date) from events) as age, e.event_data
       from events e join customers c on c.pk = e.customer_pk left join users u on u.pk = e.user_pk
       order by c.customer_id, age, e.event, e.event_data, u.uid`,
    )
  ).map((row) => Object.values(row));
  return new Bun.CryptoHasher("sha256").update(JSON.stringify(rows)).digest("hex");
}

describe("trackd dev seed", () => {
  test("writes the events and customers asked for, with users, skew and Title Case names", async () => {
    const s = await withApp();
    const result = s.seed("--events", "3000", "--customers", "100", "--days", "90");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^seeded 3000 events for 100 customers \(\d+ users\) in [\d.]+ s: \d+ events\/s\n$/);
    expect(result.stderr).toContain("100%");

    {
      const db = s.db;
      expect(await number(db, `select count(*) as n from events where app_pk = (select pk from apps where id = '${s.appId}') and source = 'bulk'`)).toBe(3000);
      expect(await number(db, "select count(*) as n from customers")).toBe(100);
      const ids = (await queryDb<{ customer_id: string }>(db, "select customer_id from customers")).map((r) => r.customer_id);
      expect(ids.filter((id) => !/^cus_[0-9a-z]/.test(id))).toEqual([]);
      expect(await number(db, "select count(*) as n from users")).toBeGreaterThan(0);
      expect(await number(db, "select max(n) as n from (select count(*) as n from users group by customer_pk) as per_customer")).toBeLessThanOrEqual(20);

      const perCustomer = (await queryDb<{ n: number }>(db, "select event_count as n from customers order by n")).map((r) => r.n);
      expect(Math.min(...perCustomer)).toBeGreaterThanOrEqual(1);
      expect(perCustomer.at(-1)!).toBeGreaterThan(10 * perCustomer[50]);

      const names = (await queryDb<{ event: string }>(db, "select distinct event from events")).map((r) => r.event);
      expect(names.length).toBeGreaterThanOrEqual(24);
      for (const name of names) expect(name).toMatch(/^[A-Z][A-Za-z]*( [A-Z][A-Za-z]*)+$/);

      const [span] = await queryDb<{ first: number; last: number }>(db, "select min(event_date) as first, max(event_date) as last from events");
      expect(span.last).toBeLessThanOrEqual(Date.now());
      expect(span.first).toBeGreaterThanOrEqual(Date.now() - 90 * 86_400_000 - 60_000);

      const attributes = await queryDb<{ data: unknown; email: string }>(db, "select data, email from customers");
      for (const { data, email } of attributes) {
        expect(Object.keys(parsed(data)).sort()).toEqual(["email", "name", "plan"]);
        expect(email).toMatch(/^\S+@\S+\.\w+$/);
      }
    }
  });

  test("write-time counters agree with the events table", async () => {
    const s = await withApp();
    expect(s.seed("--events", "2000", "--customers", "60").code).toBe(0);
    {
      const db = s.db;
      for (const table of ["customer_event_stats", "customer_daily_counts", "app_daily_counts"]) {
        expect(await number(db, `select sum(count) as n from ${table}`)).toBe(2000);
      }
      expect(await number(db, "select sum(event_count) as n from customers")).toBe(2000);
      expect(await number(db, "select sum(event_count) as n from users")).toBe(await number(db, "select count(*) as n from events where user_pk is not null"));
      // first/last seen follow the events' dates.
      const mismatched = `select count(*) as n from customers c join (
          select customer_pk, min(event_date) as first, max(event_date) as last, count(*) as events from events group by customer_pk
        ) e on e.customer_pk = c.pk
        where c.first_seen != e.first or c.last_seen != e.last or c.event_count != e.events`;
      expect(await number(db, mismatched)).toBe(0);
    }
  });

  test("the same --seed gives the same data, another seed different data", async () => {
    const [a, b, c] = [await withApp(), await withApp(), await withApp()];
    for (const [s, seed] of [[a, "7"], [b, "7"], [c, "8"]] as const) {
      expect(s.seed("--events", "1500", "--customers", "50", "--seed", seed).code).toBe(0);
    }
    expect(await fingerprint(a.db)).toBe(await fingerprint(b.db));
    expect(await fingerprint(a.db)).not.toBe(await fingerprint(c.db));
  });

  test.each([
    ["without --events", ["--customers", "1"], "dev seed needs --events N"],
    ["without --customers", ["--events", "10"], "dev seed needs --customers N"],
    ["--events 0", ["--events", "0", "--customers", "1"], '--events must be a whole number from 1 to 20000000, got "0"'],
    ["--events abc", ["--events", "abc", "--customers", "1"], '--events must be a whole number from 1 to 20000000, got "abc"'],
    ["--events 1.5", ["--events", "1.5", "--customers", "1"], 'got "1.5"'],
    ["--days 0", ["--events", "10", "--customers", "1", "--days", "0"], '--days must be a whole number from 1 to 3650, got "0"'],
    ["--seed -1", ["--events", "10", "--customers", "1", "--seed=-1"], '--seed must be a whole number from 0 to 4294967295, got "-1"'],
    ["more customers than events", ["--events", "10", "--customers", "11"], "--customers (11) must not exceed --events (10)"],
    ["an unknown flag", ["--events", "10", "--customers", "1", "--users", "5"], "--users"],
  ])("%s exits 2 with a clear message and writes nothing", async (_, args, message) => {
    const s = await withApp();
    const result = s.seed(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe("");
    expect(await number(s.db, "select count(*) as n from events")).toBe(0);
  });

  test.each([
    ["no --app (a usage error)", [], "dev seed needs --app APP_ID", 2],
    ["an unknown app (as from every command)", ["--app", "app_nope"], "no app with id app_nope", 1],
  ] as const)("%s exits %#: says so and writes nothing", async (_, appArgs, message, code) => {
    const s = await withApp();
    const result = trackd(["dev", "seed", ...appArgs, "--events", "10", "--customers", "1", "--db", s.db], { cwd: s.dir });
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(message);
    expect(await number(s.db, "select count(*) as n from customers")).toBe(0);
  });

  test("an unknown dev command exits 2", async () => {
    const s = await withApp();
    const result = trackd(["dev", "reset", "--db", s.db], { cwd: s.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown dev command "reset"');
  });
});
