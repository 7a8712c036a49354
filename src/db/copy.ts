// `trackd migrate-to` (issue 19): copies a SQLite database into an empty, migrated PostgreSQL
// one. Both are at the same schema version (the binary migrates both first), and schema.pg.ts
// mirrors schema.ts table for table (test/db/schema-parity.test.ts), so every table is copied
// column for column:
//
// - tables in foreign-key order (parents first), each in batches of multi-row INSERTs (up to
//   1,000 rows, under PostgreSQL's 65,535 parameters), keys included;
// - values converted by the PostgreSQL column's type: SQLite's 0/1 to booleans, JSON text to
//   jsonb (parsed by PostgreSQL itself, so numbers and strings stay exact), integers as sent;
// - identity columns (the rowid keys) restarted past the highest key copied, so the next row
//   PostgreSQL numbers doesn't collide;
// - all of it in ONE PostgreSQL transaction, reading ONE SQLite snapshot: a failure leaves the
//   target empty, and a server still writing to the SQLite file doesn't tear the copy;
// - counted at the end, table by table, against the source, before the commit.
//
// cache_versions and leases are left out: they hold the PostgreSQL nodes' coordination state
// (and the cache trigger writes cache_versions while apps are copied), never data.
import { getTableName, is } from "drizzle-orm";
import { getTableConfig, PgTable, type PgColumn } from "drizzle-orm/pg-core";
import type postgres from "postgres";
import type { Db } from "./index";
import type { PgDb } from "./postgres";
import * as pgSchema from "./schema.pg";

export class CopyError extends Error {}

export const NOT_COPIED = new Set(["cache_versions", "leases"]);
const MAX_PARAMETERS = 65_000;
const MAX_BATCH_ROWS = 1_000;

interface TablePlan {
  name: string;
  columns: { name: string; kind: "boolean" | "json" | "other"; identity: boolean }[];
}

/** Every table of schema.pg.ts, parents before the tables whose foreign keys point at them. */
export function copyPlan(): TablePlan[] {
  const tables = (Object.values(pgSchema) as unknown[]).filter((value): value is PgTable => is(value, PgTable));
  const byName = new Map<string, PgTable>(tables.map((table) => [getTableName(table), table]));
  const ordered: TablePlan[] = [];
  const placed = new Set<string>();
  const place = (name: string, path: string[] = []) => {
    if (placed.has(name)) return;
    if (path.includes(name)) throw new CopyError(`foreign keys loop through ${[...path, name].join(" -> ")}`);
    const config = getTableConfig(byName.get(name)!);
    for (const key of config.foreignKeys) {
      const parent = getTableName(key.reference().foreignTable);
      if (parent !== name) place(parent, [...path, name]);
    }
    placed.add(name);
    ordered.push({
      name,
      columns: config.columns.map((column: PgColumn) => ({
        name: column.name,
        kind: column.columnType === "PgBoolean" ? "boolean" : column.columnType === "PgJsonb" ? "json" : "other",
        identity: Boolean(column.generatedIdentity),
      })),
    });
  };
  for (const name of [...byName.keys()].sort()) place(name);
  return ordered.filter((table) => !NOT_COPIED.has(table.name));
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/** The tables of the target that hold rows (coordination tables aside). */
export async function nonEmptyTables(target: PgDb): Promise<string[]> {
  const found: string[] = [];
  for (const { name } of copyPlan()) {
    const rows = await target.$client.unsafe(`select 1 from ${quote(name)} limit 1`);
    if (rows.length > 0) found.push(name);
  }
  return found;
}

export interface CopiedTable {
  table: string;
  rows: number;
}

export async function copySqliteToPostgres(
  source: Db,
  target: PgDb,
  options: { onTable?: (copied: CopiedTable) => void } = {},
): Promise<CopiedTable[]> {
  const plan = copyPlan();
  checkColumns(source, plan);
  const taken = await nonEmptyTables(target);
  if (taken.length > 0) {
    throw new CopyError(`the PostgreSQL database is not empty (rows in ${taken.join(", ")}): migrate-to only fills an empty, migrated database`);
  }
  const client = source.$client;
  client.run("BEGIN"); // one read snapshot of the SQLite file, from the first read to the end
  try {
    return await target.$client.begin(async (tx) => {
      const copied: CopiedTable[] = [];
      for (const table of plan) {
        const rows = await copyTable(source, tx, table);
        const [{ n: expected }] = client.query(`select count(*) as n from ${quote(table.name)}`).all() as { n: number }[];
        const [{ n: stored }] = await tx.unsafe(`select count(*)::float8 as n from ${quote(table.name)}`);
        if (rows !== expected || stored !== expected) {
          throw new CopyError(`${table.name}: the source has ${expected} rows, ${rows} were read and ${stored} stored; nothing was committed`);
        }
        copied.push({ table: table.name, rows });
        options.onTable?.({ table: table.name, rows });
      }
      return copied;
    });
  } finally {
    client.run("COMMIT");
  }
}

/** The SQLite file must have the columns the PostgreSQL schema has, by name. */
function checkColumns(source: Db, plan: TablePlan[]): void {
  for (const table of plan) {
    const have = new Set((source.$client.query(`select name from pragma_table_info(?)`).all(table.name) as { name: string }[]).map((row) => row.name));
    const missing = table.columns.filter((column) => !have.has(column.name)).map((column) => column.name);
    if (missing.length > 0) throw new CopyError(`the SQLite database lacks ${table.name}.${missing.join(", ")}: is it from a newer or older trackd?`);
  }
}

type Tx = postgres.TransactionSql;

async function copyTable(source: Db, tx: Tx, table: TablePlan): Promise<number> {
  const names = table.columns.map((column) => quote(column.name));
  const perBatch = Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMETERS / table.columns.length)));
  const read = source.$client.query(`select ${names.join(", ")} from ${quote(table.name)}`);
  let batch: unknown[][] = [];
  let rows = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const params: unknown[] = [];
    const tuples = batch.map((row) => `(${row.map((value) => `$${params.push(value)}`).join(", ")})`);
    await tx.unsafe(`insert into ${quote(table.name)} (${names.join(", ")}) values ${tuples.join(", ")}`, params as never[]);
    rows += batch.length;
    batch = [];
  };
  for (const row of read.iterate() as IterableIterator<Record<string, unknown>>) {
    batch.push(table.columns.map((column) => convert(row[column.name], column.kind)));
    if (batch.length === perBatch) await flush();
  }
  await flush();
  for (const column of table.columns.filter((c) => c.identity)) {
    // The next key PostgreSQL assigns: one past the highest copied (1 for an empty table).
    await tx.unsafe(
      `select setval(pg_get_serial_sequence($1, $2), coalesce((select max(${quote(column.name)}) from ${quote(table.name)}), 0) + 1, false)`,
      [table.name, column.name],
    );
  }
  return rows;
}

/** SQLite's value as PostgreSQL's column wants it. JSON stays text: PostgreSQL parses it exactly. */
function convert(value: unknown, kind: "boolean" | "json" | "other"): unknown {
  if (value === null || value === undefined) return null;
  if (kind === "boolean") return value === 1 || value === true;
  if (typeof value === "bigint") return value.toString();
  return value;
}
