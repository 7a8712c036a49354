// The CLI as a real process (the compiled binary under TRACKD_TEST_BINARY, else `bun src/index.ts …`),
// each test on a database of its own of the suite's backend (scratch(): a SQLite file or a fresh
// PostgreSQL database). The --help/--version and usage-error tests are about argument handling
// and run on both runs too (about 30 quick processes).
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import journal from "../../drizzle/meta/_journal.json";
import pgJournal from "../../drizzle-pg/meta/_journal.json";
import { version } from "../../package.json";
import { DEFAULT_WEIGHTS } from "../../src/health-weights";
import { createAppJson, ok, queryDb, queryOne, readDb, removeScratches, scratch, tempDir, trackd, withAppOn, type Scratch } from "../support/cli";
import { BACKEND, testSqlite } from "../support/backend";

const API_KEY = /^tk_[0-9a-f]{12}_[0-9a-f]{64}$/;

afterEach(removeScratches);

/** Sends one event to the real app built in-process on the same database; returns the status. */
async function sendEvent(db: string, appId: string, apiKey: string): Promise<number> {
  return withAppOn(db, async (handle) => {
    const response = await handle(
      new Request("http://localhost/v1/api/events/new", {
        method: "POST",
        headers: { "x-ck-api-key": apiKey, "x-ck-app": appId, "content-type": "application/json" },
        body: JSON.stringify({ event: "Test Done", customerId: "cus_1" }),
      }),
    );
    return response.status;
  });
}


describe("trackd apps create", () => {
  test("--json prints exactly one JSON object with appId, apiKey and signingSecret", async () => {
    const s = await scratch();
    const result = trackd(["apps", "create", "--name", "Acme", "--json", "--db", s.db], { cwd: s.dir });
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines).toEqual([expect.stringMatching(/^\{.*\}$/), ""]); // one line, then the final newline
    const created = JSON.parse(lines[0]);
    expect(Object.keys(created).sort()).toEqual(["apiKey", "appId", "signingSecret"]);
    expect(created.apiKey).toMatch(API_KEY);
    expect(created.appId).toMatch(/^app_[0-9a-f]+$/);
    expect(created.signingSecret).toMatch(/^[0-9a-f]{64}$/);
  });

  test("the API key is stored only as a hash, the signing secret is retrievable", async () => {
    const s = await scratch();
    const created = createAppJson(s, "Acme");
    const secretPart = created.apiKey.split("_")[2];
    expect(secretPart).toHaveLength(64);

    const keyRows = await queryDb(s.db, "select * from api_keys");
    const { signing_secret: signingSecret } = (await queryOne<{ signing_secret: string }>(s.db, "select signing_secret from apps where id = ?", [created.appId]))!;
    expect(keyRows).toHaveLength(1);
    for (const row of keyRows) {
      for (const value of Object.values(row)) {
        expect(String(value)).not.toContain(secretPart);
        expect(String(value)).not.toContain(created.apiKey);
      }
    }
    expect(signingSecret).toBe(created.signingSecret);
  });

  // SQLite-only: about the bytes of the database file.
  testSqlite("nor is the API key anywhere in the SQLite file", async () => {
    const s = await scratch();
    const created = createAppJson(s, "Acme");
    const secretPart = created.apiKey.split("_")[2];
    // The CLI has closed the file, so the WAL is checkpointed.
    const bytes = readFileSync(s.db).toString("latin1");
    expect(bytes).not.toContain(secretPart);
    expect(bytes).toContain(created.signingSecret);
  });

  test("the printed key authenticates its app", async () => {
    const s = await scratch();
    const created = createAppJson(s, "Acme");
    expect(await sendEvent(s.db, created.appId, created.apiKey)).toBe(201);
  });

  test("human output shows the app id, the API key and the signing secret", async () => {
    const s = await scratch();
    const result = trackd(["apps", "create", "--name", "Acme", "--db", s.db], { cwd: s.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"Acme"');
    const appId = /App ID:\s+(app_[0-9a-f]+)/.exec(result.stdout)?.[1];
    const apiKey = /API key:\s+(tk_\S+)/.exec(result.stdout)?.[1];
    const secret = /Signing secret:\s+([0-9a-f]{64})/.exec(result.stdout)?.[1];
    expect(appId).toBeDefined();
    expect(apiKey).toMatch(API_KEY);
    expect(secret).toBeDefined();
    const stored = await queryDb(s.db, "select id, signing_secret from apps");
    expect(stored).toEqual([{ id: appId, signing_secret: secret }]);
    expect(await sendEvent(s.db, appId!, apiKey!)).toBe(201);
  });
});

describe("trackd apps list", () => {
  test("--json lists every app with its number of active keys", async () => {
    const s = await scratch();
    const acme = createAppJson(s, "Acme");
    const globex = createAppJson(s, "Globex");
    ok(["keys", "create", "--app", globex.appId], s);

    const result = ok(["apps", "list", "--json"], s);
    const list = JSON.parse(result.stdout);
    expect(list).toEqual([
      { appId: acme.appId, name: "Acme", activeKeys: 1, ...DEFAULT_SETTINGS, createdAt: expect.any(String) },
      { appId: globex.appId, name: "Globex", activeKeys: 2, ...DEFAULT_SETTINGS, createdAt: expect.any(String) },
    ]);
  });

  test("--json on an empty database is an empty array", async () => {
    const s = await scratch();
    ok(["migrate"], s);
    expect(JSON.parse(ok(["apps", "list", "--json"], s).stdout)).toEqual([]);
  });

  test("human output names each app", async () => {
    const s = await scratch();
    const acme = createAppJson(s, "Acme Corp");
    createAppJson(s, "Globex");
    const result = ok(["apps", "list"], s);
    expect(result.stdout).toContain("Acme Corp");
    expect(result.stdout).toContain("Globex");
    expect(result.stdout).toContain(acme.appId);
  });
});

const DEFAULT_SETTINGS = { requireVerified: false, allowedOrigins: ["*"], stripeWebhook: false, healthWeights: DEFAULT_WEIGHTS, retentionDays: null };

describe("trackd apps update", () => {
  test("--require-verified and --allowed-origins change the stored settings", async () => {
    const s = await scratch();
    const { appId } = createAppJson(s, "Acme");
    const result = ok(
      ["apps", "update", appId, "--require-verified", "--allowed-origins", "https://app.acme.com, http://localhost:5173/", "--json"],
      s,
    );
    const expected = { ...DEFAULT_SETTINGS, requireVerified: true, allowedOrigins: ["https://app.acme.com", "http://localhost:5173"] };
    expect(JSON.parse(result.stdout)).toEqual({ appId, ...expected });
    expect(JSON.parse(ok(["apps", "list", "--json"], s).stdout)[0]).toMatchObject(expected);
    const stored = await queryOne(s.db, "select case when require_verified then 1 else 0 end as require_verified, allowed_origins from apps");
    expect(stored).toEqual({ require_verified: 1, allowed_origins: "https://app.acme.com,http://localhost:5173" });
  });

  test("--no-require-verified turns the requirement off and leaves the origins alone", async () => {
    const s = await scratch();
    const { appId } = createAppJson(s, "Acme");
    ok(["apps", "update", appId, "--require-verified", "--allowed-origins", "https://a.com"], s);
    const result = ok(["apps", "update", appId, "--no-require-verified"], s);
    expect(result.stdout).toContain("unsigned browser events accepted, origins https://a.com");
  });

  test("--stripe-webhook-secret stores the secret, never shows it back, and --no-stripe-webhook-secret removes it", async () => {
    const s = await scratch();
    const { appId } = createAppJson(s, "Acme");
    const secret = "whsec_0123456789abcdefABCDEF";
    const result = ok(["apps", "update", appId, "--stripe-webhook-secret", secret, "--json"], s);
    expect(JSON.parse(result.stdout)).toMatchObject({ appId, stripeWebhook: true });
    expect(result.stdout).not.toContain(secret);
    expect(ok(["apps", "list"], s).stdout).toContain("Stripe webhook on");
    expect(await queryOne(s.db, "select stripe_webhook_secret from apps")).toEqual({ stripe_webhook_secret: secret });

    ok(["apps", "update", appId, "--no-stripe-webhook-secret"], s);
    expect(await queryOne(s.db, "select stripe_webhook_secret from apps")).toEqual({ stripe_webhook_secret: null });
  });

  test('"*" among the origins means any origin', async () => {
    const s = await scratch();
    const { appId } = createAppJson(s, "Acme");
    const result = ok(["apps", "update", appId, "--allowed-origins", "https://a.com,*", "--json"], s);
    expect(JSON.parse(result.stdout).allowedOrigins).toEqual(["*"]);
  });

  for (const [args, message] of [
    [["--require-verified", "--no-require-verified"], "contradict each other"],
    [[], "apps update needs a change"],
    [["--allowed-origins", "https://a.com/app"], '"https://a.com/app" is not an origin'],
    [["--allowed-origins", "a.com"], '"a.com" is not an origin'],
    [["--allowed-origins", " , "], "list at least one origin"],
    [["--stripe-webhook-secret", "sk_test_123456789"], "--stripe-webhook-secret must look like whsec_"],
    [["--stripe-webhook-secret", "whsec_0123456789", "--no-stripe-webhook-secret"], "contradict each other"],
  ] as const) {
    test(`${args.join(" ") || "no flags"} exits 2: ${message}`, async () => {
      const s = await scratch();
      const { appId } = createAppJson(s, "Acme");
      const result = trackd(["apps", "update", appId, ...args, "--db", s.db], { cwd: s.dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(JSON.parse(ok(["apps", "list", "--json"], s).stdout)[0]).toMatchObject(DEFAULT_SETTINGS);
    });
  }

  test("an unknown app exits 1", async () => {
    const s = await scratch();
    createAppJson(s, "Acme");
    const result = trackd(["apps", "update", "app_0000", "--require-verified", "--db", s.db], { cwd: s.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no app with id app_0000");
  });
});

describe("trackd keys create", () => {
  test("--json gives a second key that works alongside the first", async () => {
    const s = await scratch();
    const created = createAppJson(s, "Acme");
    const result = ok(["keys", "create", "--app", created.appId, "--json"], s);
    const key = JSON.parse(result.stdout);
    expect(key).toEqual({
      keyId: expect.stringMatching(/^key_[0-9a-f]{12}$/),
      appId: created.appId,
      apiKey: expect.stringMatching(API_KEY),
      scopes: ["ingest", "read", "admin"],
    });
    expect(key.apiKey).not.toBe(created.apiKey);
    expect(await sendEvent(s.db, created.appId, key.apiKey)).toBe(201);
    expect(await sendEvent(s.db, created.appId, created.apiKey)).toBe(201);
  });

  test("a key of one app does not open another app", async () => {
    const s = await scratch();
    const acme = createAppJson(s, "Acme");
    const globex = createAppJson(s, "Globex");
    const key = JSON.parse(ok(["keys", "create", "--app", acme.appId, "--json"], s).stdout);
    expect(await sendEvent(s.db, globex.appId, key.apiKey)).toBe(401);
  });

  test("for an unknown app exits 1 with a message on stderr", async () => {
    const s = await scratch();
    ok(["migrate"], s);
    const result = trackd(["keys", "create", "--app", "app_nope", "--db", s.db], { cwd: s.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("app_nope");
    expect(result.stdout).toBe("");
    expect(await queryOne(s.db, "select count(*) as n from api_keys")).toEqual({ n: 0 });
  });
});

describe("trackd keys create --scope", () => {
  test("a read-only key can read but is refused ingestion with 403", async () => {
    const s = await scratch();
    const created = createAppJson(s, "Acme");
    const key = JSON.parse(ok(["keys", "create", "--app", created.appId, "--scope", "read", "--json"], s).stdout);
    expect(key.scopes).toEqual(["read"]);
    expect(await sendEvent(s.db, created.appId, key.apiKey)).toBe(403);
    expect(await sendEvent(s.db, created.appId, created.apiKey)).toBe(201);
  });

  test.each([["ingest,write"], [""], ["READ"]])("--scope %p exits 2 and lists the valid scopes", async (scope) => {
    const s = await scratch();
    const created = createAppJson(s, "Acme");
    const result = trackd(["keys", "create", "--app", created.appId, "--scope", scope, "--db", s.db], { cwd: s.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("ingest, read, admin");
  });
});

describe("trackd keys revoke", () => {
  test("a revoked key is refused while the app's other key keeps working", async () => {
    const s = await scratch();
    const created = createAppJson(s, "Acme");
    const second = JSON.parse(ok(["keys", "create", "--app", created.appId, "--json"], s).stdout);
    expect(await sendEvent(s.db, created.appId, second.apiKey)).toBe(201);

    const result = trackd(["keys", "revoke", second.keyId, "--db", s.db], { cwd: s.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(second.keyId);

    expect(await sendEvent(s.db, created.appId, second.apiKey)).toBe(401);
    expect(await sendEvent(s.db, created.appId, created.apiKey)).toBe(201);
    expect(JSON.parse(ok(["apps", "list", "--json"], s).stdout)[0].activeKeys).toBe(1);
  });

  test("revoking the same key again exits 1", async () => {
    const s = await scratch();
    createAppJson(s, "Acme");
    const { id } = (await queryOne<{ id: string }>(s.db, "select id from api_keys"))!;
    expect(trackd(["keys", "revoke", id, "--db", s.db], { cwd: s.dir }).code).toBe(0);
    const again = trackd(["keys", "revoke", id, "--db", s.db], { cwd: s.dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(id);
  });

  test("an unknown key id exits 1 and revokes nothing", async () => {
    const s = await scratch();
    const created = createAppJson(s, "Acme");
    const result = trackd(["keys", "revoke", "key_000000000000", "--db", s.db], { cwd: s.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("key_000000000000");
    expect(await sendEvent(s.db, created.appId, created.apiKey)).toBe(201);
  });
});

describe("trackd migrate", () => {
  // SQLite-only: about creating the file and its folder.
  testSqlite("creates the database file, with its folder, on a fresh path", async () => {
    const s = await scratch();
    const path = join(s.dir, "nested", "deeper", "fresh.db");
    const result = trackd(["migrate", "--db", path], { cwd: s.dir });
    expect(result.code).toBe(0);
    expect(existsSync(path)).toBe(true);
    const tables = readDb(path, (db) =>
      (db.query("select name from sqlite_master where type = 'table'").all() as { name: string }[]).map((t) => t.name),
    );
    expect(tables).toEqual(expect.arrayContaining(["apps", "api_keys", "customers", "users", "events"]));
  });

  test("running it again changes nothing and keeps the data", async () => {
    const s = await scratch();
    expect(trackd(["migrate", "--db", s.db], { cwd: s.dir }).code).toBe(0);
    const created = createAppJson(s, "Acme");
    const snapshot = async () => ({
      schema: await queryDb(s.db, BACKEND === "sqlite" ? SQLITE_SCHEMA : PG_SCHEMA),
      migrations: await queryDb(s.db, `select * from ${MIGRATIONS_TABLE}`),
      apps: await queryDb(s.db, "select * from apps"),
    });
    const before = await snapshot();

    expect(trackd(["migrate", "--db", s.db], { cwd: s.dir }).code).toBe(0);
    expect(await snapshot()).toEqual(before);
    expect(before.apps).toEqual([expect.objectContaining({ id: created.appId })]);
  });
});

const SQLITE_SCHEMA = "select type, name, sql from sqlite_master order by name";
const PG_SCHEMA = `select table_schema, table_name, column_name, data_type, column_default, is_nullable from information_schema.columns
  where table_schema in ('public', 'drizzle') order by table_schema, table_name, ordinal_position`;
const MIGRATIONS_TABLE = BACKEND === "sqlite" ? "__drizzle_migrations" : "drizzle.__drizzle_migrations";
const MIGRATIONS = (BACKEND === "sqlite" ? journal : pgJournal).entries.length;

describe("trackd --help and --version", () => {
  test.each([["--help"], ["-h"], ["help"]])("%s prints usage and exits 0", async (flag) => {
    const dir = tempDir();
    const result = trackd([flag], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: trackd");
    for (const command of ["serve", "apps create", "apps list", "keys create", "keys revoke", "migrate"]) {
      expect(result.stdout).toContain(command);
    }
    expect(existsSync(join(dir, "data"))).toBe(false);
  });

  test.each([["--version"], ["-v"], ["version"]])("%s prints the package version and exits 0", async (flag) => {
    const result = trackd([flag], { cwd: tempDir() });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });
});

describe("TRACKD_DB", () => {
  // Each case: prepare the database through --db, run the command with only TRACKD_DB, check its effect.
  test.each<[string, (s: Scratch) => string[] | Promise<string[]>, (s: Scratch, stdout: string) => Promise<void>]>([
    [
      "migrate",
      () => ["migrate"],
      async (s) => expect(await queryOne(s.db, `select count(*) as n from ${MIGRATIONS_TABLE}`)).toEqual({ n: MIGRATIONS }),
    ],
    [
      "apps create",
      () => ["apps", "create", "--name", "FromEnv", "--json"],
      async (s, stdout) => {
        const { appId } = JSON.parse(stdout);
        expect(await queryOne(s.db, "select name from apps where id = ?", [appId])).toEqual({ name: "FromEnv" });
      },
    ],
    [
      "apps list",
      (s) => {
        createAppJson(s, "Listed");
        return ["apps", "list", "--json"];
      },
      async (_, stdout) => expect(JSON.parse(stdout).map((app: { name: string }) => app.name)).toEqual(["Listed"]),
    ],
    [
      "keys create",
      (s) => ["keys", "create", "--app", createAppJson(s, "Acme").appId, "--json"],
      async (s, stdout) => {
        const { keyId } = JSON.parse(stdout);
        expect(await queryOne(s.db, "select count(*) as n from api_keys where id = ?", [keyId])).toEqual({ n: 1 });
      },
    ],
    [
      "keys revoke",
      async (s) => {
        createAppJson(s, "Acme");
        return ["keys", "revoke", (await queryOne<{ id: string }>(s.db, "select id from api_keys"))!.id];
      },
      async (s) => expect(await queryOne(s.db, "select count(*) as n from api_keys where revoked_at is not null")).toEqual({ n: 1 }),
    ],
  ])("%s uses the database named by TRACKD_DB when --db is absent", async (_, prepare, check) => {
    const s = await scratch();
    const args = await prepare(s);
    const result = trackd(args, { cwd: s.dir, env: { TRACKD_DB: s.db } });
    expect(result.code).toBe(0);
    await check(s, result.stdout);
    expect(existsSync(join(s.dir, "data"))).toBe(false); // not the default ./data/trackd.db
  });

  test("--db wins over TRACKD_DB", async () => {
    const s = await scratch();
    const other = join(s.dir, "other.db");
    const result = trackd(["apps", "create", "--name", "Flag", "--json", "--db", s.db], { cwd: s.dir, env: { TRACKD_DB: other } });
    expect(result.code).toBe(0);
    expect(await queryDb(s.db, "select name from apps")).toEqual([{ name: "Flag" }]);
    expect(existsSync(other)).toBe(false);
  });
});

describe("usage errors", () => {
  test.each([
    ["unknown command", ["frobnicate"], "frobnicate"],
    ["unknown apps subcommand", ["apps", "delete"], "delete"],
    ["unknown flag on apps create", ["apps", "create", "--nmae", "x"], "--nmae"],
    ["unknown flag on serve", ["serve", "--prot", "1"], "--prot"],
    ["unknown flag on migrate", ["migrate", "--force"], "--force"],
    ["port out of range", ["serve", "--port", "99999"], "99999"],
    ["port that is not a number", ["serve", "--port", "http"], "http"],
    ["unknown durability", ["serve", "--durability", "sometimes"], "sometimes"],
    ["a negative drain timeout", ["serve", "--drain-timeout", "-1"], "--drain-timeout"],
    ["a queue cap below 100 events", ["serve", "--max-pending", "5"], "--max-pending must be a whole number from 100"],
  ])("%s exits 2 and names the bad word on stderr", async (_, args, word) => {
    const s = await scratch();
    const result = trackd([...args, "--db", s.db], { cwd: s.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(word);
    expect(result.stderr).toContain("--help");
    expect(result.stdout).toBe("");
  });

  test.each([
    ["TRACKD_PORT", "99999"],
    ["TRACKD_DURABILITY", "sometimes"],
  ])("a bad %s from the environment exits 2 and names the variable", async (name, value) => {
    const s = await scratch();
    const result = trackd(["serve", "--db", s.db], { cwd: s.dir, env: { [name]: value } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${name} must be`);
    expect(result.stderr).toContain(value);
  });

  // SQLite-only: about a mistyped file path (a PostgreSQL URL names a server, not a file to create).
  testSqlite.each([
    ["apps list", ["apps", "list"]],
    ["keys create", ["keys", "create", "--app", "app_0000000000000000"]],
    ["keys revoke", ["keys", "revoke", "key_000000000000"]],
  ])("%s on a database that does not exist exits 2 and creates nothing", async (_, args) => {
    const s = await scratch();
    const typo = join(s.dir, "typo.db");
    const result = trackd([...args, "--db", typo], { cwd: s.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no database at ${typo}`);
    expect(existsSync(typo)).toBe(false);
  });

  test.each([
    ["apps create without --name", ["apps", "create"], "--name"],
    ["keys create without --app", ["keys", "create"], "--app"],
    ["keys revoke without a key id", ["keys", "revoke"], "KEY_ID"],
  ])("%s exits 2 and says what is missing", async (_, args, missing) => {
    const s = await scratch();
    const result = trackd([...args, "--db", s.db], { cwd: s.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(missing);
  });
});
