// The Store (../types.ts) on PostgreSQL: the applier (applier.ts, batches through batcher.ts),
// the reads (reads/), and a cache in front of authentication's reads (keyWithApp, app,
// allowedOriginLists) that every node drops when any node changes a key or an app
// (invalidation.ts: the triggers of drizzle-pg/0002, LISTEN/NOTIFY plus a poll every
// `cachePollMs`, which is the bound on how long another node's change takes to apply here).
// A change committed through this store is seen by this node's next read (the cache is dropped
// once the command has committed, as on SQLite).
//
// Durability: --durability normal is the pool's own setting (db/postgres.ts sets
// synchronous_commit = off on every session it opens), so the batcher is not asked to repeat it
// per transaction, except behind a transaction pooler (batchDurability).
import type { Durability } from "../../db";
import { closePostgres, type PgDb } from "../../db/postgres";
import { CREDENTIAL_COMMANDS, type Command, type ResultOf } from "../commands";
import type { ApiKeyRow, AppRow, Store } from "../types";
import { createPgApplier, type PgApplier } from "./applier";
import { AsyncCredentialsCache } from "./credentials-cache";
import { watchCacheVersion, type CacheVersionWatcher } from "./invalidation";
import { createPgReads } from "./reads";

export interface PgStoreOptions {
  db: PgDb;
  clock: () => number;
  /** The write queue's cap in events (503 + Retry-After past it), as --max-pending. */
  maxPending?: number;
  /** How often the cache watcher polls the stored version (ms): the cross-node bound. */
  cachePollMs?: number;
  /** False behind a transaction-mode pooler, where LISTEN hears nothing: the poll alone. */
  listen?: boolean;
  /**
   * Set per batch (`set local synchronous_commit`) rather than by the pool: behind a transaction
   * pooler, which refuses it as a startup parameter (db/postgres.ts).
   */
  batchDurability?: Durability;
  /** Told about a failed poll of the cache version (the database unreachable). */
  onWatchError?: (error: unknown) => void;
}

export interface PgStore extends Store {
  readonly applier: PgApplier;
  readonly watcher: CacheVersionWatcher;
  /** The applier commits what is queued, the watcher stops, then the pool ends. */
  close(): Promise<void>;
}

export async function createPgStore({ db, clock, maxPending, cachePollMs, listen, batchDurability, onWatchError }: PgStoreOptions): Promise<PgStore> {
  // The store owns the pool from here: if the watcher can't start, the pool is ended too.
  const watcher = await watchCacheVersion(db, { pollMs: cachePollMs, listen, onError: onWatchError }).catch(async (error) => {
    await closePostgres(db, 0).catch(() => {});
    throw error;
  });
  const applier = createPgApplier({ sql: db.$client, clock, maxPending, durability: batchDurability });
  const reads = createPgReads(db);
  const cache = new AsyncCredentialsCache(watcher);
  const uncached = reads.credentials;
  let closing: Promise<void> | undefined;

  return {
    ...reads,
    applier,
    watcher,
    queue: {
      get pending() {
        return applier.pending;
      },
      observe: (observer) => applier.observe(observer),
    },
    apply<C extends Command>(command: C): Promise<ResultOf<C>> {
      const applied = applier.apply(command);
      if (!CREDENTIAL_COMMANDS.has(command.type)) return applied;
      // Dropped after the commit: a read between the job and the COMMIT would refill it with the old rows.
      return applied.finally(() => cache.clear());
    },
    credentials: {
      ...uncached,
      keyWithApp: (keyId) => cache.get<{ key: ApiKeyRow; app: AppRow }>(`key:${keyId}`, () => uncached.keyWithApp(keyId)),
      app: (appId) => cache.get<AppRow>(`app:${appId}`, () => uncached.app(appId)),
      allowedOriginLists: async () => (await cache.get("origins", () => uncached.allowedOriginLists())) ?? [],
    },
    close() {
      closing ??= (async () => {
        await applier.close();
        await watcher.close();
        await closePostgres(db);
      })();
      return closing;
    },
  };
}
