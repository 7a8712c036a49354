import { afterEach, expect, setDefaultTimeout } from "bun:test";
import { Database } from "bun:sqlite";
import { cleanEnv, ENTRY } from "../support/process";
import { removeScratches, scratch, type Scratch } from "../support/cli";
import { testSqlite } from "../support/backend";
// SQLite-only (skipped on TRACKD_TEST_BACKEND=postgres): runs trackd or its CLI as a process on a SQLite file (--db PATH), which TRACKD_TEST_BACKEND does not reach; on PostgreSQL the same would only repeat the SQLite run (the CLI and server on a PostgreSQL URL: test/pg/cli.test.ts, test/pg/multi-node.test.ts).

// Each sign-in verifies an argon2id hash (memory-hard on purpose): seconds on a loaded machine.
setDefaultTimeout(30_000);

afterEach(removeScratches);

function users(s: Scratch, args: string[], stdin?: string) {
  const result = Bun.spawnSync([process.execPath, ENTRY, "users", ...args, "--db", s.db], {
    cwd: s.dir,
    env: cleanEnv(),
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

testSqlite("users create reads the password from stdin and stores only an argon2id hash", async () => {
  const s = scratch();
  const created = users(s, ["create", "--email", "Ada@Example.com", "--role", "admin", "--password-stdin"], "a long enough password\n");
  expect(created).toMatchObject({ code: 0, stdout: "Created admin ada@example.com\n" });
  const row = new Database(s.db).query("select email, role, password_hash from dashboard_users").get() as { email: string; role: string; password_hash: string };
  expect(row).toMatchObject({ email: "ada@example.com", role: "admin" });
  expect(row.password_hash).toStartWith("$argon2id$");
  expect(await Bun.password.verify("a long enough password", row.password_hash)).toBe(true);
});

testSqlite("users list, set-password and remove", async () => {
  const s = scratch();
  users(s, ["create", "--email", "a@example.com", "--role", "admin", "--password-stdin"], "first password!");
  users(s, ["create", "--email", "v@example.com", "--role", "viewer", "--password-stdin"], "first password!");
  const listed = JSON.parse(users(s, ["list", "--json"]).stdout) as { email: string; role: string }[];
  expect(listed.map(({ email, role }) => [email, role])).toEqual([["a@example.com", "admin"], ["v@example.com", "viewer"]]);
  expect(users(s, ["set-password", "v@example.com", "--password-stdin"], "second password!").code).toBe(0);
  const hash = (new Database(s.db).query("select password_hash from dashboard_users where email = 'v@example.com'").get() as { password_hash: string }).password_hash;
  expect(await Bun.password.verify("second password!", hash)).toBe(true);
  expect(users(s, ["remove", "v@example.com"]).code).toBe(0);
  expect(users(s, ["remove", "v@example.com"])).toMatchObject({ code: 1, stderr: "trackd: no dashboard user with email v@example.com\n" });
  expect(users(s, ["list"]).stdout).not.toContain("v@example.com");
});

testSqlite.each([
  [["create", "--email", "a@example.com", "--role", "owner", "--password-stdin"], "long password here", "role must be admin or viewer"],
  [["create", "--email", "a@example.com", "--role", "admin", "--password-stdin"], "short", "password must be 10 to 1024 characters"],
  [["create", "--email", "not-an-email", "--role", "admin", "--password-stdin"], "long password here", "email must be an address"],
  [["create", "--email", "a@example.com", "--role", "admin"], undefined, "needs --password-stdin"],
])("users %p is refused with exit 2, naming the problem", (args, stdin, message) => {
  const s = scratch();
  const result = users(s, args, stdin);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(message);
});

testSqlite("a second account with the same email is refused", () => {
  const s = scratch();
  users(s, ["create", "--email", "a@example.com", "--role", "admin", "--password-stdin"], "long password here");
  const again = users(s, ["create", "--email", "A@example.com", "--role", "viewer", "--password-stdin"], "long password here");
  expect(again.code).toBe(2);
  expect(again.stderr).toContain("an account with the email a@example.com exists");
});
