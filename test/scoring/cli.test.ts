// The CLI as a real process: per-app weights (apps update --health-weights), `trackd health
// score`, and the server's scheduled pass (--health-interval).
import { afterEach, describe, expect, test } from "bun:test";
import { DEFAULT_WEIGHTS } from "../../src/health-weights";
import { createAppJson, ok, queryDb, queryOne, removeScratches, scratch, trackd, type Scratch } from "../support/cli";
import { freePort, startTrackd } from "../support/process";
import { testSqlite } from "../support/backend";

afterEach(removeScratches);


/** An app with 20 customers' worth of generated events. */
async function seeded(): Promise<Scratch & { appId: string }> {
  const s = await scratch();
  const { appId } = createAppJson(s, "Acme");
  ok(["dev", "seed", "--app", appId, "--events", "200", "--customers", "20", "--days", "60"], s);
  return { ...s, appId };
}

const scored = async (db: string) => (await queryOne<{ n: number }>(db, "select count(health_score) as n from customers"))!.n;

describe("trackd apps update --health-weights", () => {
  test("named factors change, the others keep their default; apps list shows them; default resets", async () => {
    const s = await scratch();
    const { appId } = createAppJson(s, "Acme");
    const updated = JSON.parse(ok(["apps", "update", appId, "--health-weights", "activity=40, seats=0", "--json"], s).stdout);
    const expected = { ...DEFAULT_WEIGHTS, activity: 40, seats: 0 };
    expect(updated.healthWeights).toEqual(expected);
    expect(JSON.parse(ok(["apps", "list", "--json"], s).stdout)[0].healthWeights).toEqual(expected);
    expect(ok(["apps", "list"], s).stdout).toContain("health weights activity=40,recency=20,breadth=15,seats=0,billing=20,trial=10");

    ok(["apps", "update", appId, "--health-weights", "default"], s);
    expect(await queryOne(s.db, "select health_weights from apps")).toEqual({ health_weights: null });
    expect(JSON.parse(ok(["apps", "list", "--json"], s).stdout)[0].healthWeights).toEqual(DEFAULT_WEIGHTS);
  });

  test("a bad list exits 2 naming --health-weights and the problem, and stores nothing", async () => {
    const s = await scratch();
    const { appId } = createAppJson(s, "Acme");
    for (const [weights, message] of [
      ["usage=10", 'unknown factor "usage"'],
      ["activity=-1", "activity: a weight can't be negative, got -1"],
      ["recency=lots", 'recency: the weight must be a number from 0 to 1000, got "lots"'],
      ["activity=0,recency=0", "activity and recency can't both be 0"],
      ["activity", '"activity" is not factor=weight'],
    ]) {
      const result = trackd(["apps", "update", appId, "--health-weights", weights, "--db", s.db], { cwd: s.dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--health-weights: ${message}`);
    }
    expect(await queryOne(s.db, "select health_weights from apps")).toEqual({ health_weights: null });
  });
});

describe("trackd health score", () => {
  test("scores every customer now and says how many and how long, per app", async () => {
    const s = await seeded();
    const result = ok(["health", "score"], s);
    expect(result.stdout).toMatch(new RegExp(`^${s.appId}: scored 20 customers \\(20 changed, median breadth \\d+\\) in \\d+ ms\\n$`));
    expect(await scored(s.db)).toBe(20);
    const [again] = JSON.parse(ok(["health", "score", "--app", s.appId, "--json"], s).stdout);
    expect(again).toEqual({ appId: s.appId, customersScored: 20, changed: 0, medianBreadth: expect.any(Number), durationMs: expect.any(Number) });
  });

  test("--app limits it to one app", async () => {
    const s = await seeded();
    const other = createAppJson(s, "Other");
    const [only, ...rest] = JSON.parse(ok(["health", "score", "--app", other.appId, "--json"], s).stdout);
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ appId: other.appId, customersScored: 0 });
    expect(await scored(s.db)).toBe(0);
  });

  test.each([
    ["an unknown app exits 1", ["health", "score", "--app", "app_0000"], 1, "no app with id app_0000"],
    ["no subcommand exits 2", ["health"], 2, "health needs a command: score"],
    ["an unknown subcommand exits 2", ["health", "check"], 2, 'unknown health command "check"'],
    ["an unknown flag exits 2", ["health", "score", "--all"], 2, "--all"],
  ])("%s", async (_, args, code, message) => {
    const s = await scratch();
    createAppJson(s, "Acme");
    const result = trackd(args, { cwd: s.dir, env: { TRACKD_DB: s.db } });
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(message);
  });

  // SQLite-only: about a file path that names no database.
  testSqlite("a database that does not exist exits 2 and is not created", async () => {
    const s = await scratch();
    const result = trackd(["health", "score", "--db", s.db], { cwd: s.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no database at ${s.db}`);
  });
});

describe("trackd serve --health-interval", () => {
  test("the server scores every customer at start, and stops cleanly on SIGTERM", async () => {
    const s = await seeded();
    const server = await startTrackd(s.db, freePort());
    const deadline = Date.now() + 5_000;
    while ((await scored(s.db)) < 20 && Date.now() < deadline) await Bun.sleep(25);
    expect(await scored(s.db)).toBe(20);
    server.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(await queryDb(s.db, "select customers_scored from app_health_runs")).toEqual([{ customers_scored: 20 }]);
  });

  test("0 turns the scheduled pass off", async () => {
    const s = await seeded();
    const server = await startTrackd(s.db, freePort(), ["--health-interval", "0"]);
    await Bun.sleep(300);
    server.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(await scored(s.db)).toBe(0);
  });

  test.each([
    [["--health-interval", "5.5"], {}, '--health-interval must be a whole number from 0 to 1440, got "5.5"'],
    [["--health-interval", "1441"], {}, '--health-interval must be a whole number from 0 to 1440, got "1441"'],
    [[], { TRACKD_HEALTH_INTERVAL: "-1" }, 'TRACKD_HEALTH_INTERVAL must be a whole number from 0 to 1440, got "-1"'],
  ])("%p %p exits 2 naming where the value came from", async (args, env, message) => {
    const s = await scratch();
    const result = trackd(["serve", ...args, "--db", s.db], { cwd: s.dir, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
