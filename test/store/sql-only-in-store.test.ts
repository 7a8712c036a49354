// The storage layer's rule (README, "Storage layer"): SQL lives in src/store/ (and the
// connection, migration and backup plumbing in src/db/), nowhere else in src/, so a second
// backend is one folder of work. dependency-cruiser (.dependency-cruiser.cjs) checks the
// imports; this checks what an import rule cannot see: SQL written inline.
import { describe, expect, test } from "bun:test";
import { Glob } from "bun";
import { join } from "node:path";

const SRC = join(import.meta.dir, "..", "..", "src");

// Each names a way SQL reaches the database: drizzle-orm's builders and sql tag, bun:sqlite,
// the raw connection, a prepared or immediate statement, and SQL keywords in a string.
const SQL_SIGNS: [string, RegExp][] = [
  ["drizzle-orm import", /from "drizzle-orm/],
  ["bun:sqlite import", /from "bun:sqlite"/],
  ["the raw connection ($client)", /\$client\b/],
  ["a prepared statement", /\.prepare(<[^>]*>)?\(/],
  ["a query builder on db", /\bdb\s*\.\s*(select|selectDistinct|insert|update|delete|transaction|run|all|get)\b/],
  ["an SQL string", /["'`]\s*(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|PRAGMA|BEGIN|COMMIT)\b/i],
];

function sqlOutsideStore(files: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [path, text] of Object.entries(files)) {
    if (path.startsWith("store/") || path.startsWith("db/")) continue;
    for (const [what, sign] of SQL_SIGNS) if (sign.test(text)) found.push(`${path}: ${what}`);
  }
  return found;
}

describe("SQL lives only in src/store and src/db", () => {
  test("no file elsewhere in src/ writes SQL or reaches the connection", async () => {
    const files: Record<string, string> = {};
    for await (const path of new Glob("**/*.{ts,tsx}").scan(SRC)) files[path] = await Bun.file(join(SRC, path)).text();
    expect(Object.keys(files).length).toBeGreaterThan(50);
    expect(sqlOutsideStore(files)).toEqual([]);
  });

  // The check itself: each sign is caught outside the store and allowed inside it.
  test.each([
    ['import { eq } from "drizzle-orm";'],
    ['import { Database } from "bun:sqlite";'],
    ["const c = db.$client;"],
    ['const s = client.prepare<never, []>("x");'],
    ["db.select().from(apps).all();"],
    ['run("DELETE FROM events WHERE seq = 1");'],
    ["const q = `SELECT 1`;"],
  ])("%s is found outside the store", (line) => {
    expect(sqlOutsideStore({ "apps/service.ts": line })).toHaveLength(1);
    expect(sqlOutsideStore({ "store/apps.ts": line, "db/index.ts": line })).toEqual([]);
  });
});
