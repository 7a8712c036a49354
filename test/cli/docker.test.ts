// The Dockerfile can't be built on these machines (no Docker engine), so what it relies on is
// checked here: the build context it COPYs from, and its HEALTHCHECK run with the image's ENV.
import { afterEach, expect } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { removeScratches, sqliteScratch, trackd } from "../support/cli";
import { freePort, startTrackd } from "../support/process";
import { testSqlite } from "../support/backend";
// SQLite-only (skipped on TRACKD_TEST_BACKEND=postgres): about the image, whose database is the
// SQLite file /data/trackd.db (its ENV TRACKD_DB); the rest reads the Dockerfile and stores nothing,
// so the PostgreSQL run would only repeat it.

afterEach(removeScratches);

const ROOT = join(import.meta.dir, "..", "..");
const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const dockerignore = readFileSync(join(ROOT, ".dockerignore"), "utf8");

/** .dockerignore here is an allowlist: `*`, then `!path` for each path sent. */
const allowed = dockerignore
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line.startsWith("!"))
  .map((line) => line.slice(1));

/** The image's ENV, folded from `ENV A=1 \ B=2` lines. */
function imageEnv(): Record<string, string> {
  const block = /^ENV ((?:.*\\\n)*.*)$/m.exec(dockerfile)![1];
  return Object.fromEntries([...block.matchAll(/([A-Z_]+)=(\S+)/g)].map(([, name, value]) => [name, value]));
}

testSqlite("the build context sends what the Dockerfile COPYs and nothing of data/, node_modules, dist or .git", () => {
  expect(dockerignore.split("\n").map((l) => l.trim())).toContain("*");
  const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap(([, sources]) => sources.trim().split(/\s+/));
  expect(copied.length).toBeGreaterThan(4);
  expect(copied.filter((path) => !allowed.includes(path.replace(/\/$/, "")))).toEqual([]);
  for (const secretOrBulky of ["data", "node_modules", "dist", ".git", "test", "bench"]) expect(allowed).not.toContain(secretOrBulky);
});

testSqlite("every folder `bun run build` embeds with --asset is in the build context and COPYed", () => {
  const build = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { build: string } }).scripts.build;
  const assets = [...build.matchAll(/--asset=(\S+)/g)].map(([, folder]) => folder!);
  expect(assets).toEqual(["drizzle", "drizzle-pg"]);
  for (const folder of assets) {
    expect(allowed).toContain(folder);
    expect(dockerfile).toContain(`COPY ${folder} ./${folder}\n`);
  }
});

testSqlite("the HEALTHCHECK is `trackd healthcheck`, and with the image's ENV it finds a server bound to 0.0.0.0", async () => {
  expect(dockerfile).toMatch(/^HEALTHCHECK .*CMD \["\/usr\/local\/bin\/trackd", "healthcheck"\]$/m);
  const env = imageEnv();
  expect(env).toMatchObject({ TRACKD_HOST: "0.0.0.0", TRACKD_PORT: "3000" });
  const s = sqliteScratch();
  const port = freePort(); // 3000 may be taken here; the image's is free in its container
  const server = await startTrackd(s.db, port, ["--host", "0.0.0.0"]);
  try {
    const { NODE_ENV, TRACKD_DB, ...probeEnv } = env;
    const result = trackd(["healthcheck"], { cwd: s.dir, env: { ...probeEnv, TRACKD_PORT: String(port) } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`http://127.0.0.1:${port}/healthz answered 200`);
  } finally {
    server.kill("SIGTERM");
    await server.exited;
  }
});

testSqlite("the image's drain fits in `docker stop`'s default 10 s grace period", () => {
  expect(Number(imageEnv().TRACKD_DRAIN_TIMEOUT)).toBeLessThan(10);
});
