// The drift check between the two schemas (issue 19): schema.ts (SQLite) and schema.pg.ts
// (PostgreSQL) must hold the same tables, columns (name, type through a fixed mapping,
// nullability, default, key), keys and indexes (name, columns, unique, predicate); and for
// each dialect `drizzle-kit generate` must find nothing that the committed migrations lack.
// The cases at the end show the comparison catching each kind of drift.
import { describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { getTableName, is, sql, SQL } from "drizzle-orm";
import { getTableConfig as pgConfig, PgDialect, PgTable, pgTable, bigint, boolean as pgBoolean, index as pgIndex, jsonb, text as pgText, uniqueIndex as pgUniqueIndex } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig, index as sqliteIndex, integer, SQLiteSyncDialect, SQLiteTable, sqliteTable, text as sqliteText, uniqueIndex as sqliteUniqueIndex } from "drizzle-orm/sqlite-core";
import sqliteKitConfig from "../../drizzle.config";
import pgKitConfig from "../../drizzle.pg.config";
import * as sqliteSchema from "../../src/db/schema";
import * as pgSchema from "../../src/db/schema.pg";

const ROOT = resolve(import.meta.dir, "..", "..");

// Each dialect's column types, as one shared vocabulary. A type missing here reads as
// "unmapped:…" and fails the comparison until someone decides what it mirrors.
const SQLITE_TYPES: Record<string, string> = { SQLiteInteger: "int", SQLiteBoolean: "boolean", SQLiteText: "text", SQLiteTextJson: "json" };
const PG_TYPES: Record<string, string> = { PgBigInt53: "int", PgBoolean: "boolean", PgText: "text", PgJsonb: "json" };

type Dialect = "sqlite" | "pg";
const renderers = { sqlite: new SQLiteSyncDialect(), pg: new PgDialect() };

/** An index expression or predicate as text. SQLite's JSON paths ('$.name') are PostgreSQL's plain keys. */
function render(dialect: Dialect, expression: SQL): string {
  const { sql, params } = renderers[dialect].sqlToQuery(expression);
  const text = dialect === "sqlite" ? sql.replace(/->> '\$\.([^']*)'/g, "->> '$1'") : sql;
  return params.length ? `${text} ${JSON.stringify(params)}` : text;
}

// Loosely typed on purpose: the two dialects' column and table classes share no TypeScript type.
function describeTable(dialect: Dialect, table: any) {
  const config: any = dialect === "sqlite" ? sqliteConfig(table) : pgConfig(table);
  const types = dialect === "sqlite" ? SQLITE_TYPES : PG_TYPES;
  const columns: Record<string, unknown> = {};
  for (const column of config.columns as any[]) {
    // A database-assigned row key: SQLite's INTEGER PRIMARY KEY (the rowid), PostgreSQL's identity.
    const rowKey = dialect === "sqlite" ? column.primary && column.columnType === "SQLiteInteger" : Boolean(column.generatedIdentity);
    columns[column.name] = {
      type: types[column.columnType] ?? `unmapped:${column.columnType}`,
      notNull: column.notNull,
      default: rowKey || column.default === undefined ? null : is(column.default, SQL) ? render(dialect, column.default) : JSON.stringify(column.default),
      enum: column.enumValues ?? null,
      rowKey,
      unique: column.isUnique ? column.uniqueName : null,
    };
  }
  const primaryKey = [
    ...(config.columns as any[]).filter((column) => column.primary).map((column) => column.name),
    ...(config.primaryKeys as any[]).flatMap((key) => key.columns.map((column: any) => column.name)),
  ];
  const foreignKeys = (config.foreignKeys as any[])
    .map((key) => {
      const { columns: from, foreignColumns, foreignTable } = key.reference();
      const to = `${getTableName(foreignTable)}(${foreignColumns.map((c: any) => c.name).join(",")})`;
      return `${from.map((c: any) => c.name).join(",")} -> ${to} on delete ${key.onDelete ?? "no action"}`;
    })
    .sort();
  const indexes: Record<string, unknown> = {};
  for (const { config: index } of config.indexes as any[]) {
    indexes[index.name] = {
      columns: (index.columns as any[]).map((column) => (is(column, SQL) ? render(dialect, column) : column.name)),
      unique: Boolean(index.unique),
      where: index.where ? render(dialect, index.where) : null,
    };
  }
  const uniqueConstraints = (config.uniqueConstraints as any[]).map((u) => `${u.getName()}(${u.columns.map((c: any) => c.name).join(",")})`).sort();
  return { columns, primaryKey, foreignKeys, indexes, uniqueConstraints };
}

function describeSchema(dialect: Dialect, module: Record<string, unknown>) {
  const tables: Record<string, ReturnType<typeof describeTable>> = {};
  for (const value of Object.values(module)) {
    if (dialect === "sqlite" ? is(value, SQLiteTable) : is(value, PgTable)) tables[getTableName(value as any)] = describeTable(dialect, value);
  }
  return tables;
}

const sqlite = describeSchema("sqlite", sqliteSchema);
const pg = describeSchema("pg", pgSchema);

describe("schema.ts and schema.pg.ts hold the same tables", () => {
  test("the same table names on both sides", () => {
    expect(Object.keys(sqlite).length).toBeGreaterThan(15);
    expect(Object.keys(pg).sort()).toEqual(Object.keys(sqlite).sort());
  });

  test.each([...new Set([...Object.keys(sqlite), ...Object.keys(pg)])].sort())("%s: same columns, keys and indexes", (table) => {
    expect(pg[table]).toEqual(sqlite[table]!);
  });
});

// drizzle-kit 0.31 writes into `out` and has no dry run, and `drizzle-kit check` only checks the
// migration folder against itself, not against the schema. So each check generates into a
// copy of the committed folder, in a temporary directory (drizzle-kit prefixes `out` with "./",
// so it runs there), and expects nothing new. drizzle-kit exits 0 even when it fails: the
// check reads its words and the folder, never its exit code alone.
describe("the committed migrations are what drizzle-kit would generate", () => {
  test.each([
    ["SQLite", sqliteKitConfig],
    ["PostgreSQL", pgKitConfig],
  ])("%s: drizzle-kit generate finds no schema change", (_name, config) => {
    const dir = mkdtempSync(join(tmpdir(), "trackd-kit-"));
    try {
      cpSync(join(ROOT, config.out!), join(dir, "out"), { recursive: true });
      const before = readdirSync(join(dir, "out"), { recursive: true }).sort();
      const kit = Bun.spawnSync(
        [join(ROOT, "node_modules", ".bin", "drizzle-kit"), "generate", "--dialect", config.dialect, "--schema", join(ROOT, config.schema as string), "--out", "./out"],
        { cwd: dir, stdin: "ignore", timeout: 60_000 },
      );
      const output = `${kit.stdout.toString()}${kit.stderr.toString()}`;
      expect(output).toContain("No schema changes, nothing to migrate");
      expect(readdirSync(join(dir, "out"), { recursive: true }).sort()).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The check itself: each kind of drift between two otherwise equal tables is seen.
describe("the comparison catches drift", () => {
  const sqliteBase = () => ({ id: sqliteText("id").primaryKey(), name: sqliteText("name").notNull(), at: integer("at"), on: integer("on", { mode: "boolean" }).notNull() });
  const pgBase = () => ({ id: pgText("id").primaryKey(), name: pgText("name").notNull(), at: bigint("at", { mode: "number" }), on: pgBoolean("on").notNull() });
  const same = describeTable("sqlite", sqliteTable("t", sqliteBase(), (t) => [sqliteIndex("t_at_idx").on(t.name, t.at)]));

  test("equal tables compare equal", () => {
    expect(describeTable("pg", pgTable("t", pgBase(), (t) => [pgIndex("t_at_idx").on(t.name, t.at)]))).toEqual(same);
  });

  test.each([
    ["a column on one side only", pgTable("t", { ...pgBase(), extra: pgText("extra") }, (t) => [pgIndex("t_at_idx").on(t.name, t.at)])],
    ["a nullability change", pgTable("t", { ...pgBase(), name: pgText("name") }, (t) => [pgIndex("t_at_idx").on(t.name, t.at)])],
    ["a type change", pgTable("t", { ...pgBase(), at: pgText("at") }, (t) => [pgIndex("t_at_idx").on(t.name, t.at)])],
    ["a default on one side only", pgTable("t", { ...pgBase(), on: pgBoolean("on").notNull().default(true) }, (t) => [pgIndex("t_at_idx").on(t.name, t.at)])],
    ["an index missing", pgTable("t", pgBase())],
    ["an index's columns reordered", pgTable("t", pgBase(), (t) => [pgIndex("t_at_idx").on(t.at, t.name)])],
    ["an index made unique", pgTable("t", pgBase(), (t) => [pgUniqueIndex("t_at_idx").on(t.name, t.at)])],
    ["an extra index", pgTable("t", pgBase(), (t) => [pgIndex("t_at_idx").on(t.name, t.at), pgIndex("t_name_idx").on(t.name)])],
  ])("%s", (_what, table) => {
    expect(describeTable("pg", table)).not.toEqual(same);
  });

  test("a partial unique index and a JSON-path index compare equal across dialects, and a different predicate does not", () => {
    const s = sqliteTable("u", { data: sqliteText("data", { mode: "json" }), k: sqliteText("k") }, (t) => [
      sqliteUniqueIndex("u_k_uq").on(t.k).where(sql`${t.k} is not null`),
      sqliteIndex("u_name_idx").on(sql`lower(data ->> '$.name')`),
    ]);
    const p = (where: string) =>
      pgTable("u", { data: jsonb("data"), k: pgText("k") }, (t) => [
        pgUniqueIndex("u_k_uq").on(t.k).where(sql`${t.k} ${sql.raw(where)}`),
        pgIndex("u_name_idx").on(sql`lower(data ->> 'name')`),
      ]);
    expect(describeTable("pg", p("is not null"))).toEqual(describeTable("sqlite", s));
    expect(describeTable("pg", p("is null"))).not.toEqual(describeTable("sqlite", s));
  });
});
