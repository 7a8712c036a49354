// `trackd dev seed` as a real process, each test on its own temporary database file.
import { Database } from "bun:sqlite";
import { afterEach, expect, test } from "bun:test";
import { createAppJson, readDb, removeScratches, scratch, trackd } from "../support/cli";
import { describeSqlite } from "../support/backend";
// SQLite-only (skipped on TRACKD_TEST_BACKEND=postgres): runs trackd or its CLI as a process on a SQLite file (--db PATH), which TRACKD_TEST_BACKEND does not reach; on PostgreSQL the same would only repeat the SQLite run (the CLI and server on a PostgreSQL URL: test/pg/cli.test.ts, test/pg/multi-node.test.ts).

afterEach(removeScratches);

/** A fresh database file with one app in it, and `seed(...flags)` to run the command on it. */
function withApp() {
  const s = scratch();
  const { appId } = createAppJson(s, "Seeded");
  const seed = (...args: string[]) => trackd(["dev", "seed", "--app", appId, "--db", s.db, ...args], { cwd: s.dir });
  return { ...s, appId, seed };
}


const number = (db: Database, sql: string) => (db.query(sql).get() as { n: number }).n;

/** Everything generated, with dates relative to the newest event (the history ends at "now"). */
function fingerprint(path: string): string {
  const rows = readDb(path, (db) =>
    db
      .query(
        `select c.customer_id, c.data, u.uid, e.event, e.event_date - (select max(event_date) from events) as age, e.event_data
         from events e join customers c on c.pk = e.customer_pk left join users u on u.pk = e.user_pk
         order by c.customer_id, age, e.event, e.event_data, u.uid`,
      )
      .values(),
  );
  return new Bun.CryptoHasher("sha256").update(JSON.stringify(rows)).digest("hex");
}

describeSqlite("trackd dev seed", () => {
  test("writes the events and customers asked for, with users, skew and Title Case names", () => {
    const s = withApp();
    const result = s.seed("--events", "3000", "--customers", "100", "--days", "90");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^seeded 3000 events for 100 customers \(\d+ users\) in [\d.]+ s: \d+ events\/s\n$/);
    expect(result.stderr).toContain("100%");

    readDb(s.db, (db) => {
      expect(number(db, `select count(*) as n from events where app_pk = (select pk from apps where id = '${s.appId}') and source = 'bulk'`)).toBe(3000);
      expect(number(db, "select count(*) as n from customers")).toBe(100);
      expect(number(db, "select count(*) as n from customers where customer_id not glob 'cus_[0-9a-z]*'")).toBe(0);
      expect(number(db, "select count(*) as n from users")).toBeGreaterThan(0);
      expect(number(db, "select max(n) as n from (select count(*) as n from users group by customer_pk)")).toBeLessThanOrEqual(20);

      const perCustomer = (db.query("select event_count as n from customers order by n").all() as { n: number }[]).map((r) => r.n);
      expect(Math.min(...perCustomer)).toBeGreaterThanOrEqual(1);
      expect(perCustomer.at(-1)!).toBeGreaterThan(10 * perCustomer[50]);

      const names = (db.query("select distinct event from events").all() as { event: string }[]).map((r) => r.event);
      expect(names.length).toBeGreaterThanOrEqual(24);
      for (const name of names) expect(name).toMatch(/^[A-Z][A-Za-z]*( [A-Z][A-Za-z]*)+$/);

      const span = db.query("select min(event_date) as first, max(event_date) as last from events").get() as { first: number; last: number };
      expect(span.last).toBeLessThanOrEqual(Date.now());
      expect(span.first).toBeGreaterThanOrEqual(Date.now() - 90 * 86_400_000 - 60_000);

      const attributes = db.query("select data, email from customers").all() as { data: string; email: string }[];
      for (const { data, email } of attributes) {
        expect(Object.keys(JSON.parse(data)).sort()).toEqual(["email", "name", "plan"]);
        expect(email).toMatch(/^\S+@\S+\.\w+$/);
      }
    });
  });

  test("write-time counters agree with the events table", () => {
    const s = withApp();
    expect(s.seed("--events", "2000", "--customers", "60").code).toBe(0);
    readDb(s.db, (db) => {
      for (const table of ["customer_event_stats", "customer_daily_counts", "app_daily_counts"]) {
        expect(number(db, `select sum(count) as n from ${table}`)).toBe(2000);
      }
      expect(number(db, "select sum(event_count) as n from customers")).toBe(2000);
      expect(number(db, "select sum(event_count) as n from users")).toBe(number(db, "select count(*) as n from events where user_pk is not null"));
      // first/last seen follow the events' dates.
      const mismatched = `select count(*) as n from customers c join (
          select customer_pk, min(event_date) as first, max(event_date) as last, count(*) as events from events group by customer_pk
        ) e on e.customer_pk = c.pk
        where c.first_seen != e.first or c.last_seen != e.last or c.event_count != e.events`;
      expect(number(db, mismatched)).toBe(0);
    });
  });

  test("the same --seed gives the same data, another seed different data", () => {
    const [a, b, c] = [withApp(), withApp(), withApp()];
    for (const [s, seed] of [[a, "7"], [b, "7"], [c, "8"]] as const) {
      expect(s.seed("--events", "1500", "--customers", "50", "--seed", seed).code).toBe(0);
    }
    expect(fingerprint(a.db)).toBe(fingerprint(b.db));
    expect(fingerprint(a.db)).not.toBe(fingerprint(c.db));
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
  ])("%s exits 2 with a clear message and writes nothing", (_, args, message) => {
    const s = withApp();
    const result = s.seed(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe("");
    expect(readDb(s.db, (db) => number(db, "select count(*) as n from events"))).toBe(0);
  });

  test.each([
    ["no --app (a usage error)", [], "dev seed needs --app APP_ID", 2],
    ["an unknown app (as from every command)", ["--app", "app_nope"], "no app with id app_nope", 1],
  ] as const)("%s exits %#: says so and writes nothing", (_, appArgs, message, code) => {
    const s = withApp();
    const result = trackd(["dev", "seed", ...appArgs, "--events", "10", "--customers", "1", "--db", s.db], { cwd: s.dir });
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(message);
    expect(readDb(s.db, (db) => number(db, "select count(*) as n from customers"))).toBe(0);
  });

  test("an unknown dev command exits 2", () => {
    const s = withApp();
    const result = trackd(["dev", "reset", "--db", s.db], { cwd: s.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown dev command "reset"');
  });
});
