// The CLI with --db postgres://… (the compiled binary under TRACKD_TEST_BINARY): every command
// that takes --db works on PostgreSQL (serve, migrate, migrate-to and the store commands),
// backup says what to use instead, and a password in the URL is shown nowhere.
import { afterEach, describe, expect, test } from "bun:test";
import postgres from "postgres";
import journal from "../../drizzle-pg/meta/_journal.json";
import { closePostgres, openPostgres } from "../../src/db/postgres";
import { createAppJson, ok, removeScratches, sqliteScratch, tempDir, trackdAsync } from "../support/cli";
import { cleanEnv, freePort, TRACKD_COMMAND, untilHealthy } from "../support/process";
import { describePg, freshDatabase } from "../support/postgres";

const PASSWORD = "Hunter2-not-for-logs";
const METRICS_TOKEN = "metrics-token-for-the-test";
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await removeScratches();
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
  const result = await trackdAsync(args, { cwd: tempDir(), env });
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

  test("serve serves: ingest, reads, /healthz and /metrics on PostgreSQL, and a graceful stop", async () => {
    const url = await databaseUrl();
    const created = JSON.parse((await run(["apps", "create", "--name", "Acme", "--json", "--db", url])).stdout);
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = Bun.spawn([...TRACKD_COMMAND, "serve", "--db", url, "--port", String(port), "--durability", "normal", "--pg-pool", "3", "--metrics-token", METRICS_TOKEN], {
      env: cleanEnv(),
      stdout: "pipe",
      stderr: "pipe",
    });
    cleanups.push(async () => void proc.kill("SIGKILL"));
    await untilHealthy(base, proc, 20_000);
    const headers = { "x-ck-api-key": created.apiKey, "x-ck-app": created.appId, "content-type": "application/json" };
    const sent = await fetch(`${base}/v1/api/events/new`, { method: "POST", headers, body: JSON.stringify({ event: "Login", customerId: "cus_1", messageId: "m1" }) });
    expect(sent.status).toBe(201);
    const again = await fetch(`${base}/v1/api/events/new`, { method: "POST", headers, body: JSON.stringify({ event: "Login", customerId: "cus_1", messageId: "m1" }) });
    expect(again.status).toBe(200);
    expect(await (await fetch(`${base}/v1/api/customers/cus_1`, { headers })).json()).toMatchObject({ customerId: "cus_1", eventCount: 1 });
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("trackd_");
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    const stderr = await new Response(proc.stderr).text();
    expect(stderr).not.toContain(PASSWORD);
    expect(stderr).toContain('"synchronousCommit":"off"');
    expect(stderr).toContain("stopped");
    const stored = await query(url, (sql) => sql`select count(*)::int as n from events`);
    expect(stored[0]!.n).toBe(1);
  });

  test("an unreachable server: exit 1 (migrate, serve, a store command), naming the address and never the password", async () => {
    const url = `postgres://trackd:${PASSWORD}@127.0.0.1:1/trackd`;
    const migrate = await run(["migrate", "--db", url]);
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toContain("could not migrate PostgreSQL at postgres://trackd:***@127.0.0.1:1/trackd");
    const serve = await run(["serve", "--db", url]);
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain("could not connect to or migrate PostgreSQL at postgres://trackd:***@127.0.0.1:1/trackd");
    const list = await run(["apps", "list", "--db", url]);
    expect(list.code).toBe(1);
    expect(list.stderr).toContain("trackd apps list: could not connect to or migrate PostgreSQL at postgres://trackd:***@127.0.0.1:1/trackd");
  });

  // About a dozen trackd processes one after the other, each starting Bun and connecting: past
  // bun:test's 5 s default when this 2-core machine is busy, hence the longer timeout.
  test("every store command runs on PostgreSQL: apps, keys, users, health, export, dev seed; stripe sync reaches the store", async () => {
    const url = await databaseUrl();
    const at = (args: string[], stdin?: string) => trackdAsync([...args, "--db", url], { cwd: tempDir(), stdin });
    const expectOk = async (args: string[], stdin?: string) => {
      const result = await at(args, stdin);
      expect(result.stdout + result.stderr).not.toContain(PASSWORD);
      if (result.code !== 0) throw new Error(`trackd ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
      return result;
    };
    const { appId } = JSON.parse((await expectOk(["apps", "create", "--name", "Acme", "--json"])).stdout);
    expect((await at(["apps", "create", "--name", "Acme"])).code).toBe(1); // the name is taken
    expect(JSON.parse((await expectOk(["apps", "list", "--json"])).stdout)).toEqual([expect.objectContaining({ appId, name: "Acme" })]);
    await expectOk(["apps", "update", appId, "--require-verified"]);
    const key = JSON.parse((await expectOk(["keys", "create", "--app", appId, "--scope", "read", "--json"])).stdout);
    expect((await expectOk(["keys", "list", "--app", appId])).stdout).toContain(key.keyId);
    await expectOk(["keys", "revoke", key.keyId]);
    await expectOk(["users", "create", "--email", "a@b.example", "--role", "admin", "--password-stdin"], "a long enough password\n");
    await expectOk(["users", "set-password", "a@b.example", "--password-stdin"], "another long password\n");
    expect((await expectOk(["users", "list"])).stdout).toContain("a@b.example");
    await expectOk(["dev", "seed", "--app", appId, "--events", "300", "--customers", "20"]);
    await expectOk(["health", "score"]);
    const dir = tempDir();
    const exported = await trackdAsync(["export", "--app", appId, "--out", "all.ndjson", "--db", url], { cwd: dir });
    expect(exported.code).toBe(0);
    expect((await Bun.file(`${dir}/all.ndjson`).text()).trim().split("\n")).toHaveLength(300);
    await expectOk(["users", "remove", "a@b.example"]);
    const stripe = await at(["stripe", "sync", "--app", "app_none", "--api-key", "sk_test_x"]);
    expect(stripe).toMatchObject({ code: 1, stderr: expect.stringContaining("no app with id app_none") });
    const rows = await query(url, (sql) => sql`select (select count(*)::int from events) as events, (select count(*)::int from api_keys where revoked_at is not null) as revoked,
      (select count(*)::int from customers where health_score is not null) as scored, (select require_verified from apps) as verified`);
    expect(rows[0]).toEqual({ events: 300, revoked: 1, scored: 20, verified: true });
  }, 60_000);

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
    const s = sqliteScratch(); // migrate-to copies FROM a SQLite file
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
      const s = sqliteScratch(); // migrate-to copies FROM a SQLite file
      ok(["migrate"], s);
      const result = await run(args(s.db));
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    });
  });
});
