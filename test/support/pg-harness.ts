// setup() (../helpers.ts) on PostgreSQL: a fresh migrated database (a copy of the migrated
// template), the real PostgreSQL store, the real app through app.handle, a clock the test
// controls. Asynchronous where setup() is synchronous: making a tenant is a command through the
// applier, and counting rows is a query. `close()` drains the store and drops the database.
import { createHttpApp, type AppDeps } from "../../src/app";
import { AppNameTaken, createAppsService, newApp } from "../../src/apps/service";
import { DEFAULT_CLIENT_OPTIONS, type ClientOptions } from "../../src/client/model";
import { openPostgres } from "../../src/db/postgres";
import { silentLogger } from "../../src/log";
import { createPgStore } from "../../src/store/pg/store";
import { callerFor, T0, type Tenant } from "../helpers";
import { freshDatabase } from "./postgres";

export async function setupPg(
  options: { now?: number; client?: Partial<ClientOptions>; dashboard?: AppDeps["dashboard"]; metricsToken?: string; recordKeyUse?: boolean; cachePollMs?: number } = {},
) {
  const clock = { now: options.now ?? T0 };
  const database = await freshDatabase({ migrated: true });
  const db = openPostgres(database.url, { max: 4 });
  const store = await createPgStore({ db, clock: () => clock.now, cachePollMs: options.cachePollMs });
  const app = createHttpApp({
    store,
    clock: () => clock.now,
    logger: silentLogger,
    client: { ...DEFAULT_CLIENT_OPTIONS, ...options.client },
    dashboard: options.dashboard,
    metricsToken: options.metricsToken,
    recordKeyUse: options.recordKeyUse,
  });
  const apps = createAppsService(store, () => clock.now);
  const call = callerFor(app);

  let tenants = 0;
  async function tenant(name = `test-${++tenants}`): Promise<Tenant> {
    const { command, created } = newApp(name, clock.now);
    const taken = await store.apply(command);
    if (taken) throw new AppNameTaken(name, taken.takenBy);
    return {
      appId: created.appId,
      apiKey: created.apiKey,
      keyId: created.keyId,
      signingSecret: created.signingSecret,
      headers: { "x-ck-api-key": created.apiKey, "x-ck-app": created.appId },
    };
  }

  /** Rows straight from PostgreSQL, to check what was (not) stored independently of the read API. */
  async function count(table: "events" | "customers" | "users", where = "1=1"): Promise<number> {
    const [row] = await db.$client.unsafe(`select count(*)::int as n from ${table} where ${where}`);
    return row!.n as number;
  }

  return {
    app,
    db,
    url: database.url,
    store,
    apps,
    clock,
    tenant,
    call,
    count,
    post: (path: string, as: Tenant, body: unknown) => call("POST", path, { as, body }),
    get: (path: string, as: Tenant) => call("GET", path, { as }),
    async close() {
      await store.close();
      await database.drop();
    },
  };
}

export type PgHarness = Awaited<ReturnType<typeof setupPg>>;
