// The credentials cache on PostgreSQL: what ../cache.ts is for SQLite, with an asynchronous
// loader (a PostgreSQL read is a round trip; SQLite's loader is synchronous, so that class can't
// be reused as it is). Exact, not time-based: dropped when the version source moves (the cache
// watcher, invalidation.ts: any node's change, within its poll bound) and when this node commits
// a change to keys or apps (`clear`, so that the next read on this node sees it at once).
//
// A load that was running when the cache was dropped is answered but not kept: it may have read
// the rows as they were before the change. Misses are not cached (a spray of unknown key ids
// can't evict real entries, and a key created on another node is found at once). Concurrent
// misses for one key share one query. A hit hands back the same settled promise each time, so
// authentication's hot path allocates nothing (as the SQLite store does).
import type { VersionSource } from "../cache";

const MAX_ENTRIES = 10_000;

export class AsyncCredentialsCache {
  private readonly entries = new Map<string, Promise<unknown>>();
  private readonly loading = new Map<string, Promise<unknown>>();
  private seen: number;
  /** Moves on every drop, so a load started before it knows not to fill the cache. */
  private generation = 0;

  constructor(private readonly source: VersionSource) {
    this.seen = source.version();
  }

  /** `key` is namespaced by the caller ("key:…", "app:…"); `load` runs on a miss. */
  get<V>(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    this.check();
    const cached = this.entries.get(key) ?? this.loading.get(key);
    if (cached) return cached as Promise<V | undefined>;
    const generation = this.generation;
    const settle = () => {
      // Only our own entry: after a drop, another caller's newer load may sit there.
      if (this.loading.get(key) === loaded) this.loading.delete(key);
    };
    const loaded: Promise<V | undefined> = load().then(
      (value) => {
        settle();
        this.check();
        if (value !== undefined && generation === this.generation) {
          if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
          this.entries.set(key, Promise.resolve(value));
        }
        return value;
      },
      (error) => {
        settle();
        throw error;
      },
    );
    this.loading.set(key, loaded);
    return loaded;
  }

  clear(): void {
    this.entries.clear();
    // A load in flight may hold the old rows: later callers start their own.
    this.loading.clear();
    this.generation += 1;
  }

  private check(): void {
    const version = this.source.version();
    if (version !== this.seen) {
      this.seen = version;
      this.clear();
    }
  }
}
