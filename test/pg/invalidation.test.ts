// The credentials cache across nodes on PostgreSQL (src/store/pg/invalidation.ts): two pools on
// one database stand for two nodes, each with its own cache. A key revoked or an app changed on
// one drops the other's cache: promptly by LISTEN/NOTIFY, and by the poll alone where LISTEN is
// off (a transaction pooler).
import { afterEach, expect, test } from "bun:test";
import { closePostgres, openPostgres, type PgDb } from "../../src/db/postgres";
import { CredentialsCache } from "../../src/store/cache";
import { watchCacheVersion, type CacheVersionWatcher } from "../../src/store/pg/invalidation";
import { describePg, freshDatabase } from "../support/postgres";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function database(): Promise<string> {
  const { url, drop } = await freshDatabase({ migrated: true });
  cleanups.push(drop);
  const db = openPostgres(url);
  try {
    await db.$client`insert into apps (id, pk, name, signing_secret, created_at) values ('app_1', 1, 'A', 's', 1)`;
    await db.$client`insert into api_keys (id, app_id, secret_hash, created_at) values ('key_1', 'app_1', 'h', 1)`;
  } finally {
    await closePostgres(db);
  }
  return url;
}

interface Node {
  db: PgDb;
  watcher: CacheVersionWatcher;
  cache: CredentialsCache;
  /** What the cache returns for key_1, and how many times it had to load it. */
  lookup(): { revoked: boolean; loads: number };
  /** What the loader returns from now on: the database's state as a store would read it. */
  setRow(value: { revoked: boolean }): void;
}

async function node(url: string, options: { listen?: boolean; pollMs?: number } = {}): Promise<Node> {
  const db = openPostgres(url);
  const watcher = await watchCacheVersion(db, { listen: options.listen, pollMs: options.pollMs ?? 60_000 });
  cleanups.push(() => closePostgres(db), () => watcher.close());
  const cache = new CredentialsCache(watcher);
  // The cache's loader is synchronous (as SQLite's is): the row is fetched ahead and handed in.
  let row = { revoked: false };
  let loads = 0;
  return {
    db,
    watcher,
    cache,
    lookup() {
      const cached = cache.get("key:key_1", () => {
        loads += 1;
        return row;
      })!;
      return { revoked: cached.revoked, loads };
    },
    setRow(value) {
      row = value;
    },
  };
}

async function until(condition: () => boolean): Promise<number> {
  const started = performance.now();
  while (!condition()) await Bun.sleep(5);
  return performance.now() - started;
}

describePg("the credentials cache across nodes", () => {
  test("a key revoked through one node drops the other node's cache through LISTEN/NOTIFY (the poll is an hour away)", async () => {
    const url = await database();
    const a = await node(url);
    const b = await node(url, { pollMs: 3_600_000 });
    await until(() => b.watcher.listening);
    expect(b.lookup()).toEqual({ revoked: false, loads: 1 });
    expect(b.lookup()).toEqual({ revoked: false, loads: 1 }); // cached

    b.setRow({ revoked: true });
    await a.db.$client`update api_keys set revoked_at = 2 where id = 'key_1'`;
    await until(() => b.lookup().loads === 2);
    expect(b.lookup()).toEqual({ revoked: true, loads: 2 });
  });

  test("with LISTEN off, the poll alone drops the cache; before the poll nothing moves it", async () => {
    const url = await database();
    const a = await node(url, { listen: false });
    const b = await node(url, { listen: false, pollMs: 3_600_000 });
    expect(b.watcher.listening).toBe(false);
    expect(b.lookup().loads).toBe(1);

    b.setRow({ revoked: true });
    await a.db.$client`update apps set require_verified = true where id = 'app_1'`;
    await Bun.sleep(50);
    expect(b.lookup()).toEqual({ revoked: false, loads: 1 }); // no notification heard, no poll yet: still cached
    await b.watcher.poll();
    expect(b.lookup()).toEqual({ revoked: true, loads: 2 });
  });

  test("with LISTEN off, the timer's poll drops the cache within its interval", async () => {
    const url = await database();
    const a = await node(url, { listen: false });
    const b = await node(url, { listen: false, pollMs: 50 });
    expect(b.lookup().loads).toBe(1);
    b.setRow({ revoked: true });
    await a.db.$client`insert into api_keys (id, app_id, secret_hash, created_at) values ('key_2', 'app_1', 'h', 1)`;
    await until(() => b.lookup().loads === 2);
    expect(b.lookup().revoked).toBe(true);
  });

  test.each([
    ["a key's revocation", "update api_keys set revoked_at = 5 where id = 'key_1'", 1],
    ["a key's scopes", "update api_keys set scopes = 'read' where id = 'key_1'", 1],
    ["a new key", "insert into api_keys (id, app_id, secret_hash, created_at) values ('key_9', 'app_1', 'h', 1)", 1],
    ["an app's settings", "update apps set allowed_origins = 'https://a.example' where id = 'app_1'", 1],
    ["a key's last use (not cached)", "update api_keys set last_used_at = 7 where id = 'key_1'", 0],
    ["an event (not cached)", "insert into events (id, app_pk, customer_pk, event, event_date, received_at, source, verified) values ('e', 1, 1, 'E', 1, 1, 'server', false)", 0],
  ])("%s moves the stored version by %i", async (_, statement, moves) => {
    const url = await database();
    const a = await node(url, { listen: false });
    const version = async () => Number((await a.db.$client`select coalesce(max(version), 0) as v from cache_versions`)[0]!.v);
    const before = await version();
    await a.db.$client.unsafe(statement);
    expect(await version()).toBe(before + (moves as number));
  });
});
