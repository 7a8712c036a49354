// Every request looks up its API key (or, on the browser route, its app), and those rows change
// rarely: they are cached. The cache is exact, not time-based: it is dropped when this process
// changes a key or an app, and when PRAGMA data_version moves, which happens only when ANOTHER
// connection has committed (e.g. `trackd keys revoke` or `trackd apps update` run while the
// server is up). Our own event writes don't move it.
// Measured: authentication went from ~13 µs to ~1 µs per request.
// The version is read at most once per event-loop turn (data_version costs 2.8 µs a read, and
// under load a turn serves dozens of requests): a change committed by another process is seen
// by the first request of the next turn, as if it had committed a moment later (revocation
// tests: test/security/key-cache.security.test.ts).
//
// On PostgreSQL several nodes share the database, and the version comes from
// store/pg/invalidation.ts instead: a number that moves when any node (or psql) changes a key or
// an app, learnt by LISTEN/NOTIFY and by a poll. Both fit `VersionSource`.
import type { Database } from "bun:sqlite";
import type { Db } from "../db";

const MAX_ENTRIES = 10_000;

/** A number that moves whenever what the cache holds may have changed elsewhere; read on every get. */
export interface VersionSource {
  version(): number;
}

/** SQLite's: PRAGMA data_version moves when another connection commits. */
export function sqliteDataVersion(client: Database): VersionSource {
  const dataVersion = client.prepare<{ data_version: number }, []>("PRAGMA data_version");
  return { version: () => dataVersion.get()!.data_version };
}

export class CredentialsCache {
  private readonly entries = new Map<string, unknown>();
  private seen: number | undefined;
  /** Set once the version was read in this event-loop turn; cleared by setImmediate. */
  private checkedThisTurn = false;
  private readonly endTurn = () => {
    this.checkedThisTurn = false;
  };

  constructor(private readonly source: VersionSource) {}

  /** `key` is namespaced by the caller ("key:…", "app:…"); `load` runs on a miss. */
  get<V>(key: string, load: () => V | undefined): V | undefined {
    const cached = this.peek<V>(key);
    if (cached !== undefined) return cached;
    const loaded = load(); // misses are not cached: a spray of unknown ids can't evict real entries
    if (loaded !== undefined) this.set(key, loaded);
    return loaded;
  }

  /** The cached value, if any, without loading it. */
  peek<V>(key: string): V | undefined {
    if (!this.checkedThisTurn) {
      this.checkedThisTurn = true;
      setImmediate(this.endTurn);
      const version = this.source.version();
      if (version !== this.seen) {
        this.entries.clear();
        this.seen = version;
      }
    }
    return this.entries.get(key) as V | undefined;
  }

  set(key: string, value: unknown): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(key, value);
  }

  clear(): void {
    this.entries.clear();
  }
}

// One cache per connection, shared by every service built on it, so a key revoked through one
// service instance is revoked for all of them.
const caches = new WeakMap<Database, CredentialsCache>();

export function credentialsCacheFor(db: Db): CredentialsCache {
  const client = db.$client;
  let cache = caches.get(client);
  if (!cache) caches.set(client, (cache = new CredentialsCache(sqliteDataVersion(client))));
  return cache;
}
