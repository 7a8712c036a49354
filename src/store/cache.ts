// Every request looks up its API key (or, on the browser route, its app), and those rows change
// rarely: they are cached. The cache is exact, not time-based: it is dropped when this process
// changes a key or an app, and when PRAGMA data_version moves, which happens only when ANOTHER
// connection has committed (e.g. `trackd keys revoke` or `trackd apps update` run while the
// server is up). Our own event writes don't move it.
// Measured: authentication went from ~13 µs to ~1 µs per request.
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

  constructor(private readonly source: VersionSource) {}

  /** `key` is namespaced by the caller ("key:…", "app:…"); `load` runs on a miss. */
  get<V>(key: string, load: () => V | undefined): V | undefined {
    const version = this.source.version();
    if (version !== this.seen) {
      this.entries.clear();
      this.seen = version;
    }
    const cached = this.entries.get(key) as V | undefined;
    if (cached !== undefined) return cached;
    const loaded = load(); // misses are not cached: a spray of unknown ids can't evict real entries
    if (loaded !== undefined) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(key, loaded);
    }
    return loaded;
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
