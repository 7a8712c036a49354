// Test harness: each call to setup() gives a fresh migrated database on the backend
// TRACKD_TEST_BACKEND picks (test/support/backend.ts), the real store, the real app (called
// through app.handle, no port), and a clock the test controls.
import { createHttpApp, type AppDeps } from "../src/app";
import { DEFAULT_CLIENT_OPTIONS, type ClientOptions } from "../src/client/model";
import { AppNameTaken, createAppsService, newApp } from "../src/apps/service";
import { generateKey, SCOPES, type Scope } from "../src/apps/keys";
import { openMigratedDatabase } from "../src/db";
import { silentLogger } from "../src/log";
import { createSqliteStore, type SqliteStore } from "../src/store/sqlite/store";
import type { Db } from "../src/db";
import { Writer, type WriterOptions } from "../src/store/writer";
import type { SQLQueryBindings } from "bun:sqlite";
import type postgres from "postgres";
import { openPostgres, type PgDb } from "../src/db/postgres";
import { createPgStore } from "../src/store/pg/store";
import type { Store } from "../src/store/types";
import { BACKEND, type Backend } from "./support/backend";
import { track } from "./support/harnesses";
import { harnessDatabase } from "./support/postgres";

export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

export interface Tenant {
  appId: string;
  apiKey: string;
  keyId: string;
  signingSecret: string;
  headers: Record<string, string>;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is when a string (to test broken JSON), else JSON-encoded. */
  headers?: Record<string, string>;
  as?: Tenant;
}

/** A store on `db` with a writer of its own (another connection's server, or the CLI). */
export function sqliteStore(db: Db, clock: () => number = Date.now): SqliteStore {
  return createSqliteStore({ db, writer: new Writer(db.$client), clock });
}

/** An app and its first key, created at once (not through the writer): for harnesses that cannot await. */
export function createAppNow(store: SqliteStore, name: string, now = Date.now()) {
  const { command, created } = newApp(name, now);
  const taken = store.applyNow(command);
  if (taken) throw new AppNameTaken(name, taken.takenBy);
  return created;
}

/** A further key of the app, created at once (not through the writer): for helpers that cannot await. */
export function createKeyNow(store: SqliteStore, appId: string, scopes: readonly Scope[] = SCOPES, now = Date.now()) {
  const key = generateKey();
  if (!store.applyNow({ type: "CreateKey", key: { id: key.keyId, appId, secretHash: key.secretHash, scopes: scopes.join(","), createdAt: now } })) {
    throw new Error(`no app ${appId}`);
  }
  return { keyId: key.keyId, appId, apiKey: key.apiKey, scopes: [...scopes] };
}

/** Requests to the app through app.handle (no port), answers parsed: for setup() and the tests that build their own app. */
export function callerFor(app: { handle(request: Request): Promise<Response> }) {
  return async function call(method: string, path: string, options: CallOptions = {}) {
    const headers: Record<string, string> = { ...options.as?.headers, ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    const response = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
    const text = await response.text();
    // JSON bodies parsed; anything else (an NDJSON or CSV export) as text.
    const json = response.headers.get("content-type")?.startsWith("application/json");
    return { status: response.status, headers: response.headers, body: text ? (json ? JSON.parse(text) : text) : undefined };
  };
}

export interface SetupOptions {
  now?: number;
  /**
   * The write queue. `maxPending` (and `maxBatch`) map to the PostgreSQL batcher; `schedule` and
   * `sync` are the SQLite writer's own, so a test passing them is SQLite-only (testSqlite).
   */
  writer?: WriterOptions;
  client?: Partial<ClientOptions>;
  dashboard?: AppDeps["dashboard"];
  metricsToken?: string;
  recordKeyUse?: boolean;
  /** PostgreSQL only: how often the cache watcher polls the stored version (ms). */
  cachePollMs?: number;
  /** The backend, when not TRACKD_TEST_BACKEND's: the PostgreSQL-only tests ask for "postgres". */
  backend?: Backend;
  /**
   * Made in beforeAll and used by every test of a file: closed by the caller (afterAll), not by
   * the global afterEach after the first test.
   */
  shared?: boolean;
}

/**
 * Raw SQL beside the read API, to check what was (not) stored. `?` placeholders (translated to
 * $1..$n on PostgreSQL); write in the subset both dialects share. Counts and sums come back as
 * numbers on both, and `get` answers null when there is no row, as bun:sqlite does.
 */
export interface RawSql {
  all<T = Record<string, unknown>>(query: string, ...params: unknown[]): Promise<T[]>;
  get<T = Record<string, unknown>>(query: string, ...params: unknown[]): Promise<T | null>;
  run(query: string, ...params: unknown[]): Promise<void>;
}

/** The same harness on both backends; `sqlite` holds SQLite's own parts (absent on PostgreSQL). */
export interface Harness {
  backend: Backend;
  app: ReturnType<typeof createHttpApp>;
  store: Store;
  apps: ReturnType<typeof createAppsService>;
  clock: { now: number };
  tenant(name?: string): Promise<Tenant>;
  call: ReturnType<typeof callerFor>;
  /** Rows straight from the database, independently of the read API. */
  count(table: "events" | "customers" | "users", where?: string): Promise<number>;
  sql: RawSql;
  /** Transactions the write queue has committed (the SQLite writer's or the PostgreSQL batcher's). */
  batches(): number;
  post(path: string, as: Tenant, body: unknown): ReturnType<ReturnType<typeof callerFor>>;
  get(path: string, as: Tenant): ReturnType<ReturnType<typeof callerFor>>;
  /** Closed by the global afterEach (test/support/preload.ts); calling it again is harmless. */
  close(): Promise<void>;
  sqlite?: { db: Db; writer: Writer; store: SqliteStore };
}

/** A harness on SQLite whatever the backend: for SQLite-only tests that reach the writer or the connection. */
export type SqliteHarness = Harness & { sqlite: NonNullable<Harness["sqlite"]> };

/**
 * A fresh migrated database (SQLite in memory, or on PostgreSQL a copy of the migrated
 * template), the real store and app (called through app.handle, no port), and a clock the
 * test controls. Closed after the test by the global afterEach.
 */
export async function setup(options: SetupOptions = {}): Promise<Harness> {
  const backend = options.backend ?? BACKEND;
  const clock = { now: options.now ?? T0 };
  const parts = backend === "postgres" ? await postgresParts(options, clock) : sqliteParts(options, clock);
  const app = createHttpApp({
    store: parts.store,
    clock: () => clock.now,
    logger: silentLogger,
    client: { ...DEFAULT_CLIENT_OPTIONS, ...options.client },
    dashboard: options.dashboard,
    metricsToken: options.metricsToken,
    recordKeyUse: options.recordKeyUse,
  });
  const call = callerFor(app);

  // App names are unique: a test asking for two tenants by default gets two names.
  let tenants = 0;
  async function tenant(name = `test-${++tenants}`): Promise<Tenant> {
    const created = await parts.createApp(name, clock.now);
    return {
      appId: created.appId,
      apiKey: created.apiKey,
      keyId: created.keyId,
      signingSecret: created.signingSecret,
      headers: { "x-ck-api-key": created.apiKey, "x-ck-app": created.appId },
    };
  }

  const harness: Harness = {
    backend,
    app,
    store: parts.store,
    apps: createAppsService(parts.store, () => clock.now),
    clock,
    tenant,
    call,
    count: async (table, where = "1=1") => (await parts.sql.get<{ n: number }>(`select count(*) as n from ${table} where ${where}`))!.n,
    sql: parts.sql,
    batches: parts.batches,
    post: (path, as, body) => call("POST", path, { as, body }),
    get: (path, as) => call("GET", path, { as }),
    close: parts.close,
    sqlite: parts.sqlite,
  };
  return options.shared ? harness : track(harness);
}

/** setup() on SQLite whatever TRACKD_TEST_BACKEND says, with the writer and connection in reach. */
export async function setupSqlite(options: Omit<SetupOptions, "backend" | "cachePollMs"> = {}): Promise<SqliteHarness> {
  return (await setup({ ...options, backend: "sqlite" })) as SqliteHarness;
}

interface Parts {
  store: Store;
  sql: RawSql;
  batches(): number;
  createApp(name: string, now: number): Promise<{ appId: string; apiKey: string; keyId: string; signingSecret: string }>;
  close(): Promise<void>;
  sqlite?: Harness["sqlite"];
}

function sqliteParts(options: SetupOptions, clock: { now: number }): Parts {
  const db = openMigratedDatabase(":memory:");
  const writer = new Writer(db.$client, options.writer);
  const store = createSqliteStore({ db, writer, clock: () => clock.now });
  let closed = false;
  return {
    store,
    sqlite: { db, writer, store },
    batches: () => writer.stats.batches,
    sql: {
      all: async <T>(query: string, ...params: unknown[]) => db.$client.query(query).all(...(params as SQLQueryBindings[])) as T[],
      get: async <T>(query: string, ...params: unknown[]) => db.$client.query(query).get(...(params as SQLQueryBindings[])) as T | null,
      run: async (query: string, ...params: unknown[]) => void db.$client.query(query).run(...(params as SQLQueryBindings[])),
    },
    // At once rather than through the writer (the app's own CreateApp command), so a test whose
    // writer holds its flushes can still make tenants.
    createApp: async (name, now) => createAppNow(store, name, now),
    close: async () => {
      if (closed) return;
      closed = true;
      writer.close();
      db.$client.close();
    },
  };
}

async function postgresParts(options: SetupOptions, clock: { now: number }): Promise<Parts> {
  const { schedule, sync, ...mapped } = options.writer ?? {};
  if (schedule || sync) throw new Error("writer.schedule and writer.sync are the SQLite writer's own: mark the test testSqlite / describeSqlite");
  const database = await harnessDatabase();
  const db = openPostgres(database.url, { max: 4 });
  const store = await createPgStore({ db, clock: () => clock.now, cachePollMs: options.cachePollMs, ...mapped });
  let closing: Promise<void> | undefined;
  return {
    store,
    sql: pgRawSql(db.$client),
    batches: () => store.applier.stats.batches,
    createApp: async (name, now) => {
      const { command, created } = newApp(name, now);
      const taken = await store.apply(command);
      if (taken) throw new AppNameTaken(name, taken.takenBy);
      return created;
    },
    close: () =>
      (closing ??= (async () => {
        await store.close();
        await database.drop();
      })()),
  };
}

const NUMERIC = 1700;

function pgRawSql(client: PgDb["$client"]): RawSql {
  async function all<T>(query: string, ...params: unknown[]): Promise<T[]> {
    let n = 0;
    // `?` outside string literals becomes $1..$n.
    const text = query.replace(/'(?:[^']|'')*'|\?/g, (match) => (match === "?" ? `$${++n}` : match));
    const rows = await client.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
    // int8 is a number already (db/postgres.ts); numeric (sum, avg) would be a string.
    const numeric = (rows.columns ?? []).filter((c) => c.type === NUMERIC).map((c) => c.name);
    return rows.map((row) => {
      const copy: Record<string, unknown> = { ...row };
      for (const name of numeric) if (copy[name] !== null) copy[name] = Number(copy[name]);
      return copy as T;
    });
  }
  return {
    all,
    get: async <T>(query: string, ...params: unknown[]) => (await all<T>(query, ...params))[0] ?? null,
    run: async (query: string, ...params: unknown[]) => void (await all(query, ...params)),
  };
}
