import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { cleanEnv, ENTRY } from "../support/process";
import { queryOne, removeScratches, scratch, type Scratch } from "../support/cli";

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

test("users create reads the password from stdin and stores only an argon2id hash", async () => {
  const s = await scratch();
  const created = users(s, ["create", "--email", "Ada@Example.com", "--role", "admin", "--password-stdin"], "a long enough password\n");
  expect(created).toMatchObject({ code: 0, stdout: "Created admin ada@example.com\n" });
  const row = (await queryOne<{ email: string; role: string; password_hash: string }>(s.db, "select email, role, password_hash from dashboard_users"))!;
  expect(row).toMatchObject({ email: "ada@example.com", role: "admin" });
  expect(row.password_hash).toStartWith("$argon2id$");
  expect(await Bun.password.verify("a long enough password", row.password_hash)).toBe(true);
});

test("users list, set-password and remove", async () => {
  const s = await scratch();
  users(s, ["create", "--email", "a@example.com", "--role", "admin", "--password-stdin"], "first password!");
  users(s, ["create", "--email", "v@example.com", "--role", "viewer", "--password-stdin"], "first password!");
  const listed = JSON.parse(users(s, ["list", "--json"]).stdout) as { email: string; role: string }[];
  expect(listed.map(({ email, role }) => [email, role])).toEqual([["a@example.com", "admin"], ["v@example.com", "viewer"]]);
  expect(users(s, ["set-password", "v@example.com", "--password-stdin"], "second password!").code).toBe(0);
  const hash = (await queryOne<{ password_hash: string }>(s.db, "select password_hash from dashboard_users where email = ?", ["v@example.com"]))!.password_hash;
  expect(await Bun.password.verify("second password!", hash)).toBe(true);
  expect(users(s, ["remove", "v@example.com"]).code).toBe(0);
  expect(users(s, ["remove", "v@example.com"])).toMatchObject({ code: 1, stderr: "trackd: no dashboard user with email v@example.com\n" });
  expect(users(s, ["list"]).stdout).not.toContain("v@example.com");
});

test.each([
  [["create", "--email", "a@example.com", "--role", "owner", "--password-stdin"], "long password here", "role must be admin or viewer"],
  [["create", "--email", "a@example.com", "--role", "admin", "--password-stdin"], "short", "password must be 10 to 1024 characters"],
  [["create", "--email", "not-an-email", "--role", "admin", "--password-stdin"], "long password here", "email must be an address"],
  [["create", "--email", "a@example.com", "--role", "admin"], undefined, "needs --password-stdin"],
])("users %p is refused with exit 2, naming the problem", async (args, stdin, message) => {
  const s = await scratch();
  const result = users(s, args, stdin);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(message);
});

test("a second account with the same email is refused", async () => {
  const s = await scratch();
  users(s, ["create", "--email", "a@example.com", "--role", "admin", "--password-stdin"], "long password here");
  const again = users(s, ["create", "--email", "A@example.com", "--role", "viewer", "--password-stdin"], "long password here");
  expect(again.code).toBe(2);
  expect(again.stderr).toContain("an account with the email a@example.com exists");
});
