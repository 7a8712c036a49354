// The CLI as a real process (the compiled binary under TRACKD_TEST_BINARY, else `bun src/index.ts …`),
// each test in its own temporary folder, on a database of its own of the suite's backend
// (TRACKD_TEST_BACKEND, ./backend.ts): a SQLite file in that folder, or a fresh PostgreSQL database.
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHttpApp } from "../../src/app";
import { openMigratedDatabase } from "../../src/db";
import { closePostgres, openPostgres } from "../../src/db/postgres";
import { silentLogger } from "../../src/log";
import { createPgStore } from "../../src/store/pg/store";
import { createSqliteStore } from "../../src/store/sqlite/store";
import type { Store } from "../../src/store/types";
import { Writer } from "../../src/store/writer";
import { BACKEND } from "./backend";
import { freshDatabase } from "./postgres";
import { cleanEnv, TRACKD_COMMAND } from "./process";

export interface Scratch {
  dir: string;
  /** What --db / TRACKD_DB take: a SQLite file path, or a postgres:// URL. */
  db: string;
}

const tempDirs: string[] = [];
const drops: (() => Promise<void>)[] = [];

/** For afterEach: removes every folder and drops every database made by scratch() so far. */
export async function removeScratches(): Promise<void> {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  await Promise.all(drops.splice(0).map((drop) => drop()));
}

/** A fresh folder for one test, removed by removeScratches(): the CLI runs with it as cwd. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "trackd-cli-"));
  tempDirs.push(dir);
  return dir;
}

/** A folder and a SQLite file in it, whatever the backend: for tests about the file itself (SQLite-only). */
export function sqliteScratch(): Scratch {
  const dir = tempDir();
  return { dir, db: join(dir, "trackd.db") };
}

/**
 * A folder and "a database" on the suite's backend: a SQLite file in the folder (not created
 * yet), or a fresh PostgreSQL database dropped by removeScratches(). That one is a copy of the
 * migrated template (a third faster over a file of CLI tests than each command migrating it;
 * the CLI migrating an empty PostgreSQL database is test/pg/cli.test.ts's).
 */
export async function scratch(): Promise<Scratch> {
  if (BACKEND === "sqlite") return sqliteScratch();
  const dir = tempDir();
  const { url, drop } = await freshDatabase({ migrated: true });
  drops.push(drop);
  return { dir, db: url };
}

type RunOptions = { cwd: string; env?: Record<string, string>; stdin?: string };

const spawnOptions = (options: RunOptions) =>
  ({
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
    timeout: 15_000,
  }) as const;

export function trackd(args: string[], options: RunOptions) {
  const result = Bun.spawnSync([...TRACKD_COMMAND, ...args], spawnOptions(options));
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/** As trackd(), leaving this process free to answer: for a test that serves what the CLI calls. */
export async function trackdAsync(args: string[], options: RunOptions) {
  const proc = Bun.spawn([...TRACKD_COMMAND, ...args], spawnOptions(options));
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** Runs a command against the scratch database and expects it to succeed. */
export function ok(args: string[], s: Scratch) {
  const result = trackd([...args, "--db", s.db], { cwd: s.dir });
  if (result.code !== 0) throw new Error(`trackd ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  return result;
}

export function createAppJson(s: Scratch, name: string) {
  return JSON.parse(ok(["apps", "create", "--name", name, "--json"], s).stdout) as {
    appId: string;
    apiKey: string;
    signingSecret: string;
  };
}

/**
 * Rows of one query on the database a command wrote (a SQLite path or a postgres:// URL), read
 * only, the connection closed again. Write it in SQL both speak, with `?` parameters. PostgreSQL's
 * bigint columns and count(*) come back as numbers, as SQLite's do; booleans and JSON columns stay
 * each backend's own (0/1 against true/false, text against jsonb): select `case when b then 1 else 0 end`.
 */
export async function queryDb<T = Record<string, unknown>>(target: string, sql: string, params: unknown[] = []): Promise<T[]> {
  if (!isPostgresUrl(target)) {
    const db = new Database(target, { readonly: true });
    try {
      return db.query(sql).all(...(params as never[])) as T[];
    } finally {
      db.close();
    }
  }
  let n = 0;
  // `?` outside string literals becomes $1..$n.
  const numbered = sql.replace(/'(?:[^']|'')*'|\?/g, (match) => (match === "?" ? `$${++n}` : match));
  const db = openPostgres(target, { max: 1 }); // int8 comes back as a number (db/postgres.ts)
  try {
    return (await db.$client.unsafe(numbered, params as never[])) as unknown as T[];
  } finally {
    await closePostgres(db);
  }
}

export const isPostgresUrl = (target: string) => /^postgres(ql)?:\/\//.test(target);

/**
 * The real store of the database's backend (a SQLite path or a postgres:// URL), opened in this
 * process for `use` and closed after: to prepare what a process under test will serve.
 */
export async function withStoreOn<T>(target: string, use: (store: Store) => Promise<T>): Promise<T> {
  if (isPostgresUrl(target)) {
    const store = await createPgStore({ db: openPostgres(target, { max: 2 }), clock: Date.now }); // closes its pool on close()
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  }
  const db = openMigratedDatabase(target);
  try {
    return await use(createSqliteStore({ db, writer: new Writer(db.$client), clock: Date.now }));
  } finally {
    db.$client.close();
  }
}

/** The real app built in this process on that database (withStoreOn): `use` gets its `handle`. */
export function withAppOn<T>(target: string, use: (handle: (request: Request) => Promise<Response>) => Promise<T>): Promise<T> {
  return withStoreOn(target, (store) => use((request) => createHttpApp({ store, logger: silentLogger }).handle(request)));
}

/** The first row of queryDb(), or undefined. */
export async function queryOne<T = Record<string, unknown>>(target: string, sql: string, params: unknown[] = []): Promise<T | undefined> {
  return (await queryDb<T>(target, sql, params))[0];
}

/** Reads a SQLite file directly, read-only, and closes it again: for tests about the file (SQLite-only). */
export function readDb<T>(path: string, read: (db: Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}
