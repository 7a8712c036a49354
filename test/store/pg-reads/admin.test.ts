// The administrative commands on PostgreSQL (src/store/pg/admin.ts) settle with what SQLite's
// settle with, and leave the same rows behind: each step is applied to both (SQLite through its
// store, PostgreSQL through the handler in a transaction), results compared, then every read
// of apps, keys, accounts and sessions compared. Plus what only several nodes can do: two
// transactions creating the same app name at once.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { closePostgres, openPostgres, type PgDb } from "../../../src/db/postgres";
import type { AdminCommand, ResultOf } from "../../../src/store/commands";
import { pgAdminHandlers } from "../../../src/store/pg/admin";
import { createPgReads, type StoreReads } from "../../../src/store/pg/reads";
import { setupSqlite, T0, type SqliteHarness } from "../../helpers";
import { describePg, freshDatabase, type TestDatabase } from "../../support/postgres";

let database: TestDatabase;
let pgDb: PgDb;
let pg: StoreReads;
let h: SqliteHarness;

function onPg<C extends AdminCommand>(command: C): Promise<ResultOf<C>> {
  const handler = pgAdminHandlers[command.type] as unknown as (tx: unknown, command: C) => Promise<ResultOf<C>>;
  return pgDb.$client.begin((tx) => handler(tx, command)) as Promise<ResultOf<C>>;
}

/** Applies the command to both backends; the results must be equal. */
async function both<C extends AdminCommand>(command: C): Promise<ResultOf<C>> {
  const expected = await h.store.apply(command);
  expect(await onPg(command)).toEqual(expected as never);
  return expected;
}

const APPS = ["app_1", "app_2", "app_taken", "nope"];
const KEYS = ["key_1", "key_2", "key_3", "key_taken", "nope"];
const USERS = ["usr_1", "usr_2", "usr_dup", "nope"];
const TOKENS = ["t1", "t2", "t3", "nope"];

/** Every read of the admin tables, on both backends. */
async function sameRows(): Promise<void> {
  const read = async (store: StoreReads) => ({
    apps: await Promise.all(APPS.map((id) => store.credentials.app(id))),
    keys: await Promise.all(KEYS.map((id) => store.credentials.keyWithApp(id))),
    keysOf: await Promise.all(APPS.map((id) => store.credentials.keysOf(id))),
    active: await store.credentials.appsWithActiveKeys(),
    origins: (await store.credentials.allowedOriginLists()).sort(),
    users: await store.accounts.listUsers(),
    rows: await Promise.all(USERS.map((id) => store.accounts.userById(id))),
    admins: await store.accounts.countAdmins(),
    sessions: await Promise.all(TOKENS.map((token) => store.accounts.session(token))),
  });
  expect(await read(pg)).toEqual(await read(h.store));
}

const key = (id: string, appId: string, createdAt = T0) => ({ id, appId, secretHash: `hash-${id}`, scopes: "ingest,read", createdAt });

describePg("admin commands on PostgreSQL", () => {
  beforeAll(async () => {
    database = await freshDatabase({ migrated: true });
    pgDb = openPostgres(database.url, { max: 4 });
    pg = createPgReads(pgDb);
    h = await setupSqlite({ now: T0, shared: true });
  });
  afterAll(async () => {
    await h.close();
    await closePostgres(pgDb);
    await database.drop();
  });

  test("one sequence of every command: the same results and the same rows after each", async () => {
    expect(await both({ type: "CreateApp", app: { id: "app_1", name: "alpha", signingSecret: "s1", createdAt: T0 }, key: key("key_1", "app_1") })).toBeNull();
    // The name is taken: nothing written, the holder named.
    expect(await both({ type: "CreateApp", app: { id: "app_taken", name: "alpha", signingSecret: "s", createdAt: T0 }, key: key("key_taken", "app_taken") })).toEqual({
      takenBy: "app_1",
    });
    await both({ type: "CreateApp", app: { id: "app_2", name: "beta", signingSecret: "s2", createdAt: T0 + 1 }, key: key("key_2", "app_2", T0 + 1) });
    expect(await both({ type: "CreateKey", key: key("key_3", "app_1", T0 + 2) })).toBe(true);
    expect(await both({ type: "CreateKey", key: key("key_x", "nope") })).toBe(false);
    await sameRows();

    expect(await both({ type: "RevokeKey", keyId: "key_3", at: T0 + 3, appId: "app_2" })).toBe(false);
    expect(await both({ type: "RevokeKey", keyId: "key_3", at: T0 + 3, appId: "app_1" })).toBe(true);
    expect(await both({ type: "RevokeKey", keyId: "key_3", at: T0 + 4 })).toBe(false);
    expect(await both({ type: "RevokeKey", keyId: "key_2", at: T0 + 5 })).toBe(true);
    await sameRows();

    const updated = await both({
      type: "UpdateAppSettings",
      appId: "app_1",
      fields: { requireVerified: true, allowedOrigins: "https://a.example,https://b.example", stripeWebhookSecret: "whsec", healthWeights: { usage: 3 }, retentionDays: 30 },
    });
    expect(updated).toMatchObject({ requireVerified: true, healthWeights: { usage: 3 }, retentionDays: 30 });
    expect(await both({ type: "UpdateAppSettings", appId: "app_1", fields: { healthWeights: null, stripeWebhookSecret: null } })).toMatchObject({
      healthWeights: null,
      stripeWebhookSecret: null,
      retentionDays: 30,
    });
    expect(await both({ type: "UpdateAppSettings", appId: "nope", fields: { retentionDays: 1 } })).toBeNull();
    expect(await both({ type: "SetSigningSecret", appId: "app_2", signingSecret: "s2b" })).toBe(true);
    expect(await both({ type: "SetSigningSecret", appId: "nope", signingSecret: "x" })).toBe(false);
    await sameRows();

    expect(await both({ type: "CreateUser", user: { id: "usr_1", email: "one@x.io", role: "admin", passwordHash: "ph1", createdAt: T0 } })).toEqual({
      id: "usr_1",
      email: "one@x.io",
      role: "admin",
      createdAt: T0,
    });
    await both({ type: "CreateUser", user: { id: "usr_2", email: "two@x.io", role: "viewer", passwordHash: "ph2", createdAt: T0 } });
    expect(await both({ type: "CreateUser", user: { id: "usr_dup", email: "one@x.io", role: "viewer", passwordHash: "ph", createdAt: T0 } })).toBeNull();
    for (const [tokenHash, userId] of [["t1", "usr_1"], ["t2", "usr_1"], ["t3", "usr_2"]] as const) {
      await both({ type: "StartSession", session: { tokenHash, userId, createdAt: T0, lastSeenAt: T0 } });
    }
    await both({ type: "TouchSession", tokenHash: "t3", at: T0 + 100 });
    await both({ type: "TouchSession", tokenHash: "nope", at: T0 + 100 });
    await both({ type: "EndSession", tokenHash: "t2" });
    await sameRows();

    // A new password ends the account's sessions.
    expect(await both({ type: "SetUserPassword", userId: "usr_1", passwordHash: "ph1b", at: T0 + 10 })).toBe(true);
    expect(await pg.accounts.session("t1")).toBeUndefined();
    expect(await both({ type: "SetUserPassword", userId: "nope", passwordHash: "x", at: T0 })).toBe(false);
    expect(await both({ type: "SetUserRole", userId: "usr_2", role: "admin", at: T0 + 11 })).toBe(true);
    expect(await both({ type: "SetUserRole", userId: "nope", role: "admin", at: T0 })).toBe(false);
    await both({ type: "StartSession", session: { tokenHash: "t1", userId: "usr_1", createdAt: T0 + 20, lastSeenAt: T0 + 20 } });
    await sameRows();

    // Idle since before T0 + 50: t3 (touched at T0 + 100) and t1 (T0 + 20): only t1 goes.
    expect(await both({ type: "RemoveExpiredSessions", idleBefore: T0 + 50, createdBefore: 0 })).toBe(1);
    expect(await both({ type: "RemoveExpiredSessions", idleBefore: 0, createdBefore: T0 + 1 })).toBe(1);
    await both({ type: "StartSession", session: { tokenHash: "t2", userId: "usr_2", createdAt: T0 + 30, lastSeenAt: T0 + 30 } });
    // The account's sessions go with it.
    expect(await both({ type: "RemoveUser", userId: "usr_2" })).toBe(true);
    expect(await both({ type: "RemoveUser", userId: "usr_2" })).toBe(false);
    await sameRows();
    expect(await pg.accounts.countUsers()).toBe(1);
  });

  test("nothing to change: the app as it stands", async () => {
    const app = await pg.credentials.app("app_1");
    expect(await onPg({ type: "UpdateAppSettings", appId: "app_1", fields: {} })).toEqual(app!);
    expect(await onPg({ type: "UpdateAppSettings", appId: "nope", fields: {} })).toBeNull();
  });

  test("two nodes creating one name at once: one app, and the other told who holds it", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let created!: () => void;
    const firstCreated = new Promise<void>((resolve) => (created = resolve));
    const first = pgDb.$client.begin(async (tx) => {
      const result = await pgAdminHandlers.CreateApp(tx, { type: "CreateApp", app: { id: "app_r1", name: "race", signingSecret: "s", createdAt: T0 }, key: key("key_r1", "app_r1") });
      created();
      await held; // still uncommitted while the second looks for the name
      return result;
    });
    try {
      await firstCreated;
      const second = pgDb.$client.begin((tx) =>
        pgAdminHandlers.CreateApp(tx, { type: "CreateApp", app: { id: "app_r2", name: "race", signingSecret: "s", createdAt: T0 }, key: key("key_r2", "app_r2") }),
      );
      // The second waits on the name's lock, held by the first until it commits: without the
      // lock it would find no "race" (not yet committed) and create a second one.
      const raced = await Promise.race([second.then(() => "second finished"), Bun.sleep(300).then(() => "waiting")]);
      expect(raced).toBe("waiting");
      release();
      expect(await first).toBeNull();
      expect(await second).toEqual({ takenBy: "app_r1" });
    } finally {
      release();
      await first.catch(() => {});
    }
    const [row] = await pgDb.$client`select count(*)::int as n from apps where name = 'race'`;
    expect(row!.n).toBe(1);
  });
});
