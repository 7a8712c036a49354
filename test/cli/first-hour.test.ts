// A new user's first hour with the CLI (the compiled binary under TRACKD_TEST_BINARY): help on
// every command, keys listed and revoked the way they are printed, a closed pipe, a database
// URL, what migrate did, one exit code for "no such app", unique app names, the health probe.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import journal from "../../drizzle/meta/_journal.json";
import { COMMANDS } from "../../src/cli/usage";
import { createAppJson, ok, queryOne, removeScratches, scratch, tempDir, trackd } from "../support/cli";
import { cleanEnv, freePort, startTrackd, TRACKD_COMMAND } from "../support/process";
import { testSqlite } from "../support/backend";
// Each test that stores anything does it on scratch(), the suite's backend. The --help and
// --db-refusal tests touch no database (argument handling): they run on both runs too.

afterEach(removeScratches);

const README = readFileSync(join(import.meta.dir, "..", "..", "README.md"), "utf8");

describe("--help", () => {
  // Every command, with the arguments a user would already have typed when asking for help.
  const invocations: [string, string[]][] = [
    ["serve", ["serve", "--help"]],
    ["serve", ["--port", "4000", "--help"]],
    ["healthcheck", ["healthcheck", "-h"]],
    ["apps create", ["apps", "create", "--help"]],
    ["apps list", ["apps", "list", "--help"]],
    ["apps update", ["apps", "update", "app_0123456789abcdef", "--require-verified", "--help"]],
    ["keys create", ["keys", "create", "--help"]],
    ["keys list", ["keys", "list", "--app", "app_x", "--help"]],
    ["keys revoke", ["keys", "revoke", "--help"]],
    ["export", ["export", "--help"]],
    ["health score", ["health", "score", "--help"]],
    ["migrate", ["migrate", "--help"]],
    ["migrate-to", ["migrate-to", "--help"]],
    ["backup", ["backup", "--help"]],
    ["users create", ["users", "create", "--help"]],
    ["users list", ["users", "list", "--help"]],
    ["users remove", ["users", "remove", "--help"]],
    ["users set-password", ["users", "set-password", "--help"]],
    ["dev seed", ["dev", "seed", "--help"]],
    ["stripe sync", ["stripe", "sync", "--help"]],
  ];

  test("every command has a row here", async () => {
    expect(new Set(invocations.map(([name]) => name))).toEqual(new Set(Object.keys(COMMANDS)));
  });

  test.each(invocations)("%s: `trackd %p` prints that command's usage and exits 0, touching no database", (name, args) => {
    const dir = tempDir();
    const result = trackd(args, { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`trackd ${name}`);
    expect(result.stderr).toBe("");
    expect(existsSync(join(dir, "data"))).toBe(false);
  });

  test.each([["apps"], ["keys"], ["users"]])("`trackd %s --help` lists its subcommands", (group) => {
    const result = trackd([group, "--help"], { cwd: tempDir() });
    expect(result.code).toBe(0);
    for (const name of Object.keys(COMMANDS).filter((n) => n.startsWith(`${group} `))) expect(result.stdout).toContain(`trackd ${name}`);
  });

  test("`trackd frobnicate --help` is still an unknown command: exit 2", () => {
    expect(trackd(["frobnicate", "--help"], { cwd: tempDir() }).code).toBe(2);
  });

  test("`trackd --help` names every flag and command the README's CLI and Configuration sections name", () => {
    const help = trackd(["--help"], { cwd: tempDir() }).stdout;
    const cli = README.slice(README.indexOf("## CLI"), README.indexOf("## Data model"));
    const config = README.slice(README.indexOf("## Configuration"), README.indexOf("## CLI"));
    const flags = new Set([...`${cli}\n${config}`.matchAll(/(?<![\w-])--[a-z][a-z-]+/g)].map(([flag]) => flag));
    expect(flags.size).toBeGreaterThan(30);
    expect([...flags].filter((flag) => !help.includes(flag))).toEqual([]);
    const commands = [...cli.matchAll(/^trackd ((?:[a-z]+)(?: [a-z]+)?)/gm)].map(([, words]) => words);
    expect(commands.filter((command) => !help.includes(`trackd ${command}`))).toEqual([]);
  });
});

describe("trackd keys list and keys revoke", () => {
  test("a key a server accepted is listed with when it was last used", async () => {
    const s = await scratch();
    const app = createAppJson(s, "Acme");
    const port = freePort();
    const server = await startTrackd(s.db, port);
    try {
      const sent = await fetch(`http://127.0.0.1:${port}/v1/api/events/new`, {
        method: "POST",
        headers: { "x-ck-api-key": app.apiKey, "x-ck-app": app.appId },
        body: JSON.stringify({ event: "Key Used", customerId: "cus_1" }),
      });
      expect(sent.status).toBe(201);
      // Recorded after the answer, through the writer: wait for it (bounded by the test's timeout).
      const recorded = async () => (await queryOne<{ at: number | null }>(s.db, "select last_used_at as at from api_keys"))!.at;
      while ((await recorded()) === null) await Bun.sleep(20);
    } finally {
      server.kill("SIGTERM");
      await server.exited; // a clean stop commits what was queued
    }
    const [key] = JSON.parse(ok(["keys", "list", "--app", app.appId, "--json"], s).stdout);
    expect(key.lastUsedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(ok(["keys", "list", "--app", app.appId], s).stdout).toContain(`last used ${key.lastUsedAt}`);
  });

  async function appWithTwoKeys() {
    const s = await scratch();
    const app = createAppJson(s, "Acme");
    const second = JSON.parse(ok(["keys", "create", "--app", app.appId, "--scope", "ingest", "--json"], s).stdout);
    return { s, app, second: second as { keyId: string; apiKey: string } };
  }

  test("--json lists every key of the app with its scopes, creation and revocation, and no secret", async () => {
    const { s, app, second } = await appWithTwoKeys();
    ok(["keys", "revoke", second.keyId], s);
    const result = ok(["keys", "list", "--app", app.appId, "--json"], s);
    const keys = JSON.parse(result.stdout);
    expect(keys).toEqual([
      { keyId: expect.stringMatching(/^key_[0-9a-f]{12}$/), scopes: ["ingest", "read", "admin"], createdAt: expect.any(String), revokedAt: null, lastUsedAt: null },
      {
        keyId: second.keyId,
        scopes: ["ingest"],
        createdAt: expect.any(String),
        revokedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        lastUsedAt: null,
      },
    ]);
    expect(app.apiKey).toContain(keys[0].keyId.slice(4));
    expect(result.stdout).not.toContain(app.apiKey.split("_")[2]);
  });

  test("the text listing shows each key id as `keys revoke` takes it, its scopes and its state", async () => {
    const { s, app, second } = await appWithTwoKeys();
    const listed = ok(["keys", "list", "--app", app.appId], s).stdout.trim().split("\n");
    expect(listed).toHaveLength(2);
    expect(listed[1]).toMatch(new RegExp(`^${second.keyId} +ingest +created \\S+ +never used +active$`));
    const printedId = listed[1].split(" ")[0];
    expect(ok(["keys", "revoke", printedId], s).stdout).toContain(`Revoked key ${second.keyId}`);
    expect(ok(["keys", "list", "--app", app.appId], s).stdout).toMatch(new RegExp(`${second.keyId} .* revoked \\d{4}-`));
  });

  test.each([
    ["key_<12 hex>, as listed", (key: { keyId: string }) => key.keyId],
    ["the 12 hex digits, the middle part of the API key (as the README says)", (key: { apiKey: string }) => key.apiKey.split("_")[1]],
    ["the whole API key", (key: { apiKey: string }) => key.apiKey],
  ])("keys revoke takes %s", async (_, form) => {
    const { s, app, second } = await appWithTwoKeys();
    const result = ok(["keys", "revoke", form(second)], s);
    expect(result.stdout).toBe(`Revoked key ${second.keyId}\n`);
    expect(result.stdout).not.toContain(second.apiKey.split("_")[2]);
    const keys = JSON.parse(ok(["keys", "list", "--app", app.appId, "--json"], s).stdout);
    expect(keys.map((k: { revokedAt: string | null }) => k.revokedAt !== null)).toEqual([false, true]);
  });

  test("a malformed key id is refused without echoing it: it may hold a secret", async () => {
    const { s, second } = await appWithTwoKeys();
    const secret = second.apiKey.split("_")[2];
    for (const given of [`${second.apiKey}x`, `tk_${secret}`, secret]) {
      const result = trackd(["keys", "revoke", given, "--db", s.db], { cwd: s.dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("KEY_ID must be key_ and 12 hex digits");
      expect(result.stderr + result.stdout).not.toContain(secret);
    }
  });

  test("keys list for an unknown app exits 1; without --app exits 2", async () => {
    const s = await scratch();
    createAppJson(s, "Acme");
    expect(trackd(["keys", "list", "--app", "app_nope", "--db", s.db], { cwd: s.dir }).code).toBe(1);
    expect(trackd(["keys", "list", "--db", s.db], { cwd: s.dir }).code).toBe(2);
  });
});

test("`trackd export --out - | head` ends quietly: exit 0, nothing on stderr but progress", async () => {
  const s = await scratch();
  const { appId } = createAppJson(s, "Acme");
  ok(["dev", "seed", "--app", appId, "--events", "20000", "--customers", "50"], s);
  // 20,000 events are megabytes: far past a pipe's buffer once head has gone.
  const command = [...TRACKD_COMMAND, "export", "--app", appId, "--out", "-", "--db", s.db].map((part) => `'${part}'`).join(" ");
  const result = Bun.spawnSync(["bash", "-c", `${command} | head -n 2; echo "exit \${PIPESTATUS[0]}" >&2`], {
    cwd: s.dir,
    env: cleanEnv(),
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderr = result.stderr.toString();
  expect(result.stdout.toString().trim().split("\n")).toHaveLength(2);
  expect(stderr).toContain("exit 0");
  expect(stderr).not.toMatch(/EPIPE|error|at /i);
  expect(stderr).not.toContain("exported 20000");
});

describe("--db", () => {
  // postgres:// URLs select PostgreSQL (test/cli/postgres.test.ts); any other scheme is refused.
  test.each([["mysql://user:hunter2@db.example.com/trackd"], ["sqlite:///tmp/x.db"], ["MySQL://h/db"]])(
    "%s is refused: exit 2, no file or folder made, no password shown",
    (url) => {
      const s = { dir: tempDir() };
      for (const args of [["migrate"], ["apps", "create", "--name", "x"], ["serve", "--port", "0"]]) {
        const result = trackd([...args, "--db", url], { cwd: s.dir });
        expect(result.code).toBe(2);
        expect(result.stderr).toContain("must be a SQLite file path or a postgres:// URL");
        expect(result.stderr).not.toContain("hunter2");
      }
      const env = trackd(["migrate"], { cwd: s.dir, env: { TRACKD_DB: url } });
      expect(env.code).toBe(2);
      expect(env.stderr).toContain("TRACKD_DB must be a SQLite file path or a postgres:// URL");
      expect(readDirNames(s.dir)).toEqual([]);
    },
  );

  // SQLite-only: about creating the file (PostgreSQL's wording: test/pg/cli.test.ts).
  testSqlite("migrate on a new path says it created the database and how many migrations it applied; again, up to date", async () => {
    const s = await scratch();
    const n = journal.entries.length;
    const first = trackd(["migrate", "--db", s.db], { cwd: s.dir });
    expect(first.stdout).toBe(`created ${s.db} and applied ${n} migration${n === 1 ? "" : "s"}\n`);
    const again = trackd(["migrate", "--db", s.db], { cwd: s.dir });
    expect(again.stdout).toBe(`${s.db} is up to date (${n} migrations applied before)\n`);
  });
});

function readDirNames(dir: string): string[] {
  return [...new Bun.Glob("*").scanSync({ cwd: dir, onlyFiles: false })];
}

test.each([
  ["apps update", ["apps", "update", "app_nope", "--require-verified"]],
  ["keys create", ["keys", "create", "--app", "app_nope"]],
  ["keys list", ["keys", "list", "--app", "app_nope"]],
  ["export", ["export", "--app", "app_nope", "--out", "x.ndjson"]],
  ["health score", ["health", "score", "--app", "app_nope"]],
  ["dev seed", ["dev", "seed", "--app", "app_nope", "--events", "1", "--customers", "1"]],
  ["stripe sync", ["stripe", "sync", "--app", "app_nope", "--api-key", "sk_test_x", "--api-base", "http://127.0.0.1:9"]],
])("no app with id: %s exits 1 with the same message", async (_, args) => {
  const s = await scratch();
  createAppJson(s, "Acme");
  const result = trackd([...args, "--db", s.db], { cwd: s.dir });
  expect(result.code).toBe(1);
  expect(result.stderr).toBe("trackd: no app with id app_nope (see 'trackd apps list')\n");
});

test("a second app with the same name is refused (exit 1) and nothing is created", async () => {
  const s = await scratch();
  const first = createAppJson(s, "Acme");
  const result = trackd(["apps", "create", "--name", " Acme ", "--db", s.db], { cwd: s.dir });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`an app named "Acme" already exists (${first.appId})`);
  expect(result.stdout).not.toContain("API key");
  expect(await queryOne(s.db, "select count(*) as n from apps")).toEqual({ n: 1 });
  expect(await queryOne(s.db, "select count(*) as n from api_keys")).toEqual({ n: 1 });
});

describe("trackd healthcheck", () => {
  test("exit 0 when the server answers, found by --port, by TRACKD_PORT, and with host 0.0.0.0 on loopback", async () => {
    const s = await scratch();
    const port = freePort();
    const server = await startTrackd(s.db, port);
    try {
      const runs = [
        trackd(["healthcheck", "--port", String(port)], { cwd: s.dir }),
        trackd(["healthcheck"], { cwd: s.dir, env: { TRACKD_PORT: String(port) } }),
        trackd(["healthcheck"], { cwd: s.dir, env: { TRACKD_PORT: String(port), TRACKD_HOST: "0.0.0.0" } }),
        trackd(["healthcheck", "--host", "127.0.0.1", "--port", String(port)], { cwd: s.dir }),
      ];
      for (const run of runs) {
        expect(run.code).toBe(0);
        expect(run.stdout).toContain(`http://127.0.0.1:${port}/healthz answered 200`);
      }
    } finally {
      server.kill("SIGTERM");
      await server.exited;
    }
  });

  test("exit 1 when nothing answers, naming where it looked", () => {
    const port = freePort();
    const result = trackd(["healthcheck", "--port", String(port)], { cwd: tempDir() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`unhealthy: http://127.0.0.1:${port}/healthz did not answer`);
  });
});
