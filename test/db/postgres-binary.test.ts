// The PostgreSQL migrations embedded in a compiled binary: test/support/pg-migrate-entry.ts built
// with `bun run build`'s flags and `--asset=drizzle-pg`, run from a directory with no source
// tree, migrates a fresh database from the embedded folder alone: three of them at once apply
// each migration once.
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
  test("three processes of a binary built with --asset=drizzle-pg migrate one fresh database once, from the embedded migrations", async () => {
    const binary = join(dir, "pg-migrate");
    const build = Bun.spawnSync(
      [process.execPath, "build", "--compile", "--minify", "--bytecode", "--format=esm", "--asset=drizzle-pg", "test/support/pg-migrate-entry.ts", "--outfile", binary],
      { cwd: ROOT, stdin: "ignore" },
    );
    expect(build.stderr.toString()).toBe("");
    expect(build.exitCode).toBe(0);

    const { url, drop } = await freshDatabase();
    try {
      // Three processes at once, as three nodes starting together would.
      const nodes = [1, 2, 3].map(() => Bun.spawn([binary, url], { cwd: dir, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 30_000 }));
      for (const node of nodes) {
        expect(await new Response(node.stderr).text()).toBe("");
        expect(JSON.parse(await new Response(node.stdout).text())).toEqual({ standalone: true });
        expect(await node.exited).toBe(0);
      }
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
