// The CLI with --db postgres://… (the compiled binary under TRACKD_TEST_BINARY): what works on
// PostgreSQL (migrate, migrate-to, serve as far as the database), what says plainly that it
// can't yet, and that a password in the URL is shown nowhere.
import { afterEach, describe, expect, test } from "bun:test";
import postgres from "postgres";
import journal from "../../drizzle-pg/meta/_journal.json";
import { closePostgres, openPostgres } from "../../src/db/postgres";
import { createAppJson, ok, removeScratches, scratch, trackdAsync } from "../support/cli";
import { describePg, freshDatabase } from "../support/postgres";

const PASSWORD = "Hunter2-not-for-logs";
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  removeScratches();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh database's URL with a password in it (the test cluster trusts any password). */
async function databaseUrl(options: { migrated?: boolean } = {}): Promise<string> {
  const { url, drop } = await freshDatabase(options);
  cleanups.push(drop);
  const withPassword = new URL(url);
  withPassword.password = PASSWORD;
  return withPassword.toString();
}

async function run(args: string[], env: Record<string, string> = {}) {
  const result = await trackdAsync(args, { cwd: scratch().dir, env });
  expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  return result;
}

async function query<T>(url: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

describePg("the CLI on PostgreSQL", () => {
  test("migrate applies the embedded migrations, then finds the database up to date; the URL is shown with ***", async () => {
    const url = await databaseUrl();
    const shown = url.replace(PASSWORD, "***");
    const n = journal.entries.length;
    const first = await run(["migrate", "--db", url]);
    expect(first).toMatchObject({ code: 0, stdout: `${shown}: applied ${n} migrations (${n} in all)\n` });
    const again = await run(["migrate"], { TRACKD_DB: url });
    expect(again).toMatchObject({ code: 0, stdout: `${shown} is up to date (${n} migrations applied before)\n` });
  });

  test("serve migrates and checks the database, then exits 1 saying the PostgreSQL store is not built yet", async () => {
    const url = await databaseUrl();
    const result = await run(["serve", "--db", url, "--port", "0", "--durability", "normal", "--pg-pool", "3"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("PostgreSQL migrated and reachable");
    expect(result.stderr).toContain('"synchronousCommit":"off"');
    expect(result.stderr).toContain("serve on PostgreSQL stops here");
    expect(result.stderr).toContain("PostgreSQL store (the reads and the write applier) is not built yet (issue 19)");
    const applied = await query(url, (sql) => sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    expect(applied[0]!.n).toBe(journal.entries.length);
  });

  test("an unreachable server: exit 1 (migrate) or 2 (serve), naming the address and never the password", async () => {
    const url = `postgres://trackd:${PASSWORD}@127.0.0.1:1/trackd`;
    const migrate = await run(["migrate", "--db", url]);
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toContain("could not migrate PostgreSQL at postgres://trackd:***@127.0.0.1:1/trackd");
    const serve = await run(["serve", "--db", url]);
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain("could not connect to or migrate PostgreSQL at postgres://trackd:***@127.0.0.1:1/trackd");
  });

  test.each([
    ["apps create", ["apps", "create", "--name", "x"]],
    ["apps list", ["apps", "list"]],
    ["apps update", ["apps", "update", "app_0123456789abcdef", "--require-verified"]],
    ["keys create", ["keys", "create", "--app", "app_x"]],
    ["keys list", ["keys", "list", "--app", "app_x"]],
    ["keys revoke", ["keys", "revoke", "key_0123456789ab"]],
    ["users create", ["users", "create", "--email", "a@b.example", "--role", "admin", "--password-stdin"]],
    ["users list", ["users", "list"]],
    ["users set-password", ["users", "set-password", "a@b.example", "--password-stdin"]],
    ["users remove", ["users", "remove", "a@b.example"]],
    ["export", ["export", "--app", "app_x", "--out", "x.ndjson"]],
    ["health score", ["health", "score"]],
    ["dev seed", ["dev", "seed", "--app", "app_x", "--events", "1", "--customers", "1"]],
    ["stripe sync", ["stripe", "sync", "--app", "app_x", "--api-key", "sk_test_x"]],
  ])("%s exits 1 naming itself and what is missing", async (name, args) => {
    const url = `postgres://trackd:${PASSWORD}@127.0.0.1:1/trackd`; // never reached: refused before connecting
    const result = await run([...args, "--db", url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`'trackd ${name}' does not run on PostgreSQL yet (postgres://trackd:***@127.0.0.1:1/trackd)`);
    expect(result.stderr).toContain("PostgreSQL store, which is not built yet (issue 19)");
  });

  test("backup says to use pg_dump or the provider's backups", async () => {
    const result = await run(["backup", "--db", `postgres://trackd:${PASSWORD}@127.0.0.1:1/trackd`, "--out", "x.db"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("backup copies a SQLite file and does not apply to PostgreSQL");
    expect(result.stderr).toContain("pg_dump --format=custom");
    expect(result.stderr).toContain("provider's snapshots");
  });

  test("--durability normal maps to synchronous_commit = off for the pool's sessions; full keeps the server's on", async () => {
    const url = await databaseUrl();
    for (const [durability, expected] of [["normal", "off"], ["full", "on"]] as const) {
      const db = openPostgres(url, { durability });
      try {
        const [row] = await db.$client`show synchronous_commit`;
        expect(row!.synchronous_commit).toBe(expected);
      } finally {
        await closePostgres(db);
      }
    }
  });
});

describePg("trackd migrate-to", () => {
  test("copies a seeded SQLite file, prints each table's count, and refuses a second run into the same database", async () => {
    const s = scratch();
    const { appId } = createAppJson(s, "Acme");
    ok(["dev", "seed", "--app", appId, "--events", "3000", "--customers", "40"], s);
    const url = await databaseUrl();
    const first = await run(["migrate-to", "--db", s.db, "--to", url]);
    expect(first.stderr).toContain("every table's row count matches the source");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^events +3000$/m);
    expect(first.stdout).toMatch(/^customers +40$/m);
    expect(first.stdout).toMatch(/^apps +1$/m);
    const events = await query(url, (sql) => sql`select count(*)::int as n from events`);
    expect(events[0]!.n).toBe(3000);

    const again = await run(["migrate-to", "--db", s.db, "--to", url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("the PostgreSQL database is not empty");
  });

  describe("usage errors (exit 2)", () => {
    test.each([
      ["no --to", (db: string) => ["migrate-to", "--db", db], "migrate-to needs --to postgres://"],
      ["--to not a postgres URL", (db: string) => ["migrate-to", "--db", db, "--to", "/tmp/x.db"], "--to must be a postgres:// URL"],
      ["--db a URL", () => ["migrate-to", "--db", `postgres://u:${PASSWORD}@h/db`, "--to", "postgres://h/db"], "copies FROM a SQLite file"],
      ["--db missing", () => ["migrate-to", "--db", "/nonexistent/trackd.db", "--to", "postgres://127.0.0.1:1/db"], "no database at /nonexistent/trackd.db"],
    ])("%s", async (_, args, message) => {
      const s = scratch();
      ok(["migrate"], s);
      const result = await run(args(s.db));
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    });
  });
});
