// Test harness: each call to setup() gives a fresh in-memory database migrated with the real
// migrations, a real writer, the real app (called through app.handle, no port), and a clock
// the test controls.
import { createHttpApp, type AppDeps } from "../src/app";
import { DEFAULT_CLIENT_OPTIONS, type ClientOptions } from "../src/client/model";
import { AppNameTaken, createAppsService, newApp } from "../src/apps/service";
import { generateKey, SCOPES, type Scope } from "../src/apps/keys";
import { openMigratedDatabase } from "../src/db";
import { silentLogger } from "../src/log";
import { createSqliteStore, type SqliteStore } from "../src/store/sqlite/store";
import type { Db } from "../src/db";
import { Writer, type WriterOptions } from "../src/store/writer";

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

/** Requests to the app through app.handle (no port), answers parsed: shared by setup() and setupPg(). */
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

export function setup(
  options: { now?: number; writer?: WriterOptions; client?: Partial<ClientOptions>; dashboard?: AppDeps["dashboard"]; metricsToken?: string; recordKeyUse?: boolean } = {},
) {
  const clock = { now: options.now ?? T0 };
  const db = openMigratedDatabase(":memory:");
  const writer = new Writer(db.$client, options.writer);
  const client = { ...DEFAULT_CLIENT_OPTIONS, ...options.client };
  const store = createSqliteStore({ db, writer, clock: () => clock.now });
  const app = createHttpApp({
    store,
    clock: () => clock.now,
    logger: silentLogger,
    client,
    dashboard: options.dashboard,
    metricsToken: options.metricsToken,
    recordKeyUse: options.recordKeyUse,
  });
  const apps = createAppsService(store, () => clock.now);

  let tenants = 0;
  // App names are unique: a test asking for two tenants by default gets two names. Synchronous
  // (the app's own CreateApp command, applied at once rather than through the writer), so a
  // test can make its tenants before anything else.
  function tenant(name = `test-${++tenants}`): Tenant {
    const created = createAppNow(store, name, clock.now);
    return {
      appId: created.appId,
      apiKey: created.apiKey,
      keyId: created.keyId,
      signingSecret: created.signingSecret,
      headers: { "x-ck-api-key": created.apiKey, "x-ck-app": created.appId },
    };
  }

  const call = callerFor(app);

  /** Rows straight from SQLite, to check what was (not) stored independently of the read API. */
  function count(table: "events" | "customers" | "users", where = "1=1"): number {
    return (db.$client.query(`select count(*) as n from ${table} where ${where}`).get() as { n: number }).n;
  }

  return {
    app,
    db,
    writer,
    store,
    apps,
    clock,
    tenant,
    call,
    count,
    post: (path: string, as: Tenant, body: unknown) => call("POST", path, { as, body }),
    get: (path: string, as: Tenant) => call("GET", path, { as }),
  };
}

export type Harness = ReturnType<typeof setup>;
