// Cache invalidation across nodes on PostgreSQL (issue 19). Each node caches API keys and app
// settings (store/cache.ts); a key revoked or a setting changed through one node, `trackd`, or
// psql must reach every node's cache. A trigger (drizzle-pg/0002) bumps cache_versions in the
// change's own transaction and NOTIFYs trackd_cache on commit. A node learns of it two ways:
//
// - LISTEN trackd_cache on a connection of its own: prompt (a notification arrives within
//   milliseconds of the commit), but a transaction-mode pooler (PgBouncer) can't deliver it, and
//   a notification sent while the listener reconnects is lost;
// - a poll of cache_versions every `pollMs`: works through any pooler, catches what LISTEN missed.
//
// The bound, then: a change applies on every node within pollMs (plus one poll query) of its
// commit, and usually within milliseconds; a request that had already passed authentication
// when the change arrived still completes. `version()` is synchronous, as the cache reads it on
// every request: it returns a local counter that the listener and the poll move.
import type { PgDb } from "../../db/postgres";
import type { VersionSource } from "../cache";

export const CACHE_CHANNEL = "trackd_cache";
export const DEFAULT_CACHE_POLL_MS = 1_000;

export interface CacheVersionWatcher extends VersionSource {
  /** Calls `listener` after each change seen; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
  /** Reads the stored version now (the timer does this every pollMs). */
  poll(): Promise<void>;
  /** Whether LISTEN is in place (false when turned off, or until the listener has connected). */
  readonly listening: boolean;
  close(): Promise<void>;
}

export interface WatchOptions {
  pollMs?: number;
  /** False behind a transaction-mode pooler, where LISTEN connects but hears nothing: the poll alone. */
  listen?: boolean;
  /** Told about a failed poll (the database unreachable); the cache keeps what it has meanwhile. */
  onError?: (error: unknown) => void;
  /** Which version row: "credentials" is the one the trigger bumps. */
  name?: string;
}

export async function watchCacheVersion(db: PgDb, options: WatchOptions = {}): Promise<CacheVersionWatcher> {
  const { pollMs = DEFAULT_CACHE_POLL_MS, listen = true, onError = () => {}, name = "credentials" } = options;
  const sql = db.$client;
  const listeners = new Set<() => void>();
  let local = 0;
  let stored = await readVersion();
  let listening = false;

  async function readVersion(): Promise<number> {
    const [row] = await sql<{ version: number }[]>`select version::float8 as version from cache_versions where name = ${name}`;
    return row?.version ?? 0;
  }

  function changed(): void {
    local += 1;
    for (const listener of listeners) listener();
  }

  async function poll(): Promise<void> {
    const version = await readVersion();
    if (version !== stored) {
      stored = version;
      changed();
    }
  }

  // postgres-js keeps the LISTEN connection apart from the pool and re-listens after a reconnect;
  // onlisten runs each time it is (re)established, when a notification may have been missed.
  let unlisten: (() => Promise<void>) | undefined;
  if (listen) {
    const subscription = await sql.listen(
      CACHE_CHANNEL,
      (payload) => {
        if (payload === name) changed();
      },
      () => {
        if (listening) void poll().catch(onError);
        listening = true;
      },
    );
    unlisten = subscription.unlisten;
  }
  const timer = setInterval(() => void poll().catch(onError), pollMs);
  timer.unref?.();

  return {
    version: () => local,
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    poll,
    get listening() {
      return listening;
    },
    async close() {
      clearInterval(timer);
      await unlisten?.().catch(() => {});
    },
  };
}
