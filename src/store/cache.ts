// Every request looks up its API key (or, on the browser route, its app), and those rows change
// rarely: they are cached. The cache is exact, not time-based: it is dropped when this process
// changes a key or an app, and when PRAGMA data_version moves, which happens only when ANOTHER
// connection has committed (e.g. `trackd keys revoke` or `trackd apps update` run while the
// server is up). Our own event writes don't move it.
// Measured: authentication went from ~13 µs to ~1 µs per request.
// data_version is read at most once per event-loop turn (2.8 µs a read, and under load a turn
// serves dozens of requests): a change committed by another process is seen by the first
// request of the next turn, as if it had committed a moment later (revocation tests:
// test/security/key-cache.security.test.ts).
import type { Database } from "bun:sqlite";
import type { Db } from "../db";

const MAX_ENTRIES = 10_000;

export class CredentialsCache {
  private readonly entries = new Map<string, unknown>();
  private readonly dataVersion;
  private version: number | undefined;
  /** Set once data_version was read in this event-loop turn; cleared by setImmediate. */
  private checkedThisTurn = false;
  private readonly endTurn = () => {
    this.checkedThisTurn = false;
  };

  constructor(client: Database) {
    this.dataVersion = client.prepare<{ data_version: number }, []>("PRAGMA data_version");
  }

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
      const version = this.dataVersion.get()!.data_version;
      if (version !== this.version) {
        this.entries.clear();
        this.version = version;
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
  if (!cache) caches.set(client, (cache = new CredentialsCache(client)));
  return cache;
}
