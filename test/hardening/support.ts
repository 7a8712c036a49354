// Shared by the hardening and property tests: a fingerprint of every row of every table, to
// show that a refused request changed nothing at all (not just that no event was added).
import { expect } from "bun:test";
import { createHash } from "node:crypto";
import { setup, type Harness } from "../helpers";

const TABLES = {
  sqlite: "select name from sqlite_master where type = 'table' order by name",
  postgres: "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name",
};
// Storage order: a row that did not change keeps its place (a rolled-back update leaves ctid as it was).
const ROW_ORDER = { sqlite: "rowid", postgres: "ctid" };

export async function fingerprint(h: Harness): Promise<string> {
  const tables = await h.sql.all<{ name: string }>(TABLES[h.backend]);
  const hash = createHash("sha256");
  for (const { name } of tables) {
    hash.update(name);
    for (const row of await h.sql.all(`select * from "${name}" order by ${ROW_ORDER[h.backend]}`)) hash.update(JSON.stringify(row));
  }
  return hash.digest("hex");
}

/** The one error shape, with a field or a reason: what every 4xx must look like. */
export function expectErrorShape(body: unknown): { code: string; message: string; details?: { path: string; message: string }[] } {
  if (typeof body !== "object" || body === null || !("error" in body)) throw new Error(`not the error shape: ${JSON.stringify(body)}`);
  const error = (body as { error: { code: unknown; message: unknown; details?: unknown } }).error;
  if (typeof error.code !== "string" || typeof error.message !== "string" || error.message.length === 0) {
    throw new Error(`not the error shape: ${JSON.stringify(body)}`);
  }
  if (error.details !== undefined) {
    if (!Array.isArray(error.details) || error.details.length === 0) throw new Error(`empty details: ${JSON.stringify(body)}`);
    for (const detail of error.details) {
      if (typeof detail?.path !== "string" || typeof detail?.message !== "string") throw new Error(`a detail without path or message: ${JSON.stringify(body)}`);
    }
  }
  return error as ReturnType<typeof expectErrorShape>;
}

/** A harness with one tenant, for tests that send one request and look at what it left. */
export async function world() {
  const h = await setup();
  return { h, acme: await h.tenant() };
}

/** A 400 that names `path` among its details, and no row of any table changed. */
export async function refusedAndUnchanged(h: Harness, send: () => Promise<{ status: number; body: any }>, path: string) {
  const before = await fingerprint(h);
  const res = await send();
  expect(res.status).toBe(400);
  expect(res.body.error.details.map((detail: { path: string }) => detail.path)).toContain(path);
  expect(await fingerprint(h)).toBe(before);
  return res;
}
