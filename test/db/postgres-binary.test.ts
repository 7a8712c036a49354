// The PostgreSQL migrations embedded in a compiled binary: test/support/pg-migrate-entry.ts built
// with `bun run build`'s flags and `--asset=drizzle-pg`, run from a directory with no source
// tree, migrates a fresh database from the embedded folder alone.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres from "postgres";
import journal from "../../drizzle-pg/meta/_journal.json";
import { describePg, freshDatabase } from "../support/postgres";

const ROOT = resolve(import.meta.dir, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "trackd-pg-binary-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describePg("the compiled binary and PostgreSQL", () => {
  test("a binary built with --asset=drizzle-pg migrates a fresh database from the embedded migrations", async () => {
    const binary = join(dir, "pg-migrate");
    const build = Bun.spawnSync(
      [process.execPath, "build", "--compile", "--minify", "--bytecode", "--format=esm", "--asset=drizzle-pg", "test/support/pg-migrate-entry.ts", "--outfile", binary],
      { cwd: ROOT, stdin: "ignore" },
    );
    expect(build.stderr.toString()).toBe("");
    expect(build.exitCode).toBe(0);

    const { url, drop } = await freshDatabase();
    try {
      const run = Bun.spawnSync([binary, url], { cwd: dir, stdin: "ignore", timeout: 30_000 });
      expect(run.stderr.toString()).toBe("");
      expect(JSON.parse(run.stdout.toString())).toEqual({ standalone: true });
      const client = postgres(url, { max: 1 });
      try {
        const [{ tables }] = await client`select count(*)::int as tables from pg_tables where schemaname = 'public'`;
        const [{ applied }] = await client`select count(*)::int as applied from drizzle.__drizzle_migrations`;
        expect(tables).toBeGreaterThan(15);
        expect(applied).toBe(journal.entries.length);
      } finally {
        await client.end();
      }
    } finally {
      await drop();
    }
  });
});
