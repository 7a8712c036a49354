// `serve --db postgres://…` (issue 19): connect, apply the embedded migrations under the
// migration lock (several nodes starting together migrate once), and build the PostgreSQL store
// (its cache watcher included). serve.ts runs the same app on it as on SQLite; what differs is
// here: background work takes turns across nodes through a lease row, there is no checkpoint
// worker (PostgreSQL checkpoints itself), and closing drains the applier before the pool ends.
import { openBackend, BackendError } from "../db/backend";
import type { Durability } from "../db";
import type { DbTarget } from "../db/target";
import { pingPostgres } from "../store/pg/health";
import { createPgLease } from "../store/pg/lease";
import { createPgStore } from "../store/pg/store";
import type { Logger } from "../log";
import { CommandError } from "./args";
import type { Serving } from "./serving";

export async function openPgServing(
  target: DbTarget & { kind: "postgres" },
  options: { durability: Durability; maxPending: number; pgPool: number; cachePollMs: number; log: Logger },
): Promise<Serving> {
  const { log } = options;
  let backend;
  try {
    backend = await openBackend(target, { durability: options.durability, pgPool: options.pgPool });
  } catch (error) {
    if (error instanceof BackendError) throw new CommandError(error.message);
    throw error;
  }
  const { db } = backend;
  const server = await pingPostgres(db);
  // Behind a transaction pooler (the URL's ?pooler=transaction) LISTEN would hear nothing: the
  // poll alone carries other nodes' changes, and durability is set per batch.
  const pooled = target.pooler === "transaction";
  const store = await createPgStore({
    db,
    clock: Date.now,
    maxPending: options.maxPending,
    cachePollMs: options.cachePollMs,
    listen: !pooled,
    batchDurability: pooled ? options.durability : undefined,
    // The cache keeps what it has meanwhile; the log says the database stopped answering.
    onWatchError: (error) => log.warn("could not check the key and app-settings version", { error: String(error) }),
  });
  return {
    store,
    lease: createPgLease(db),
    logFields: {
      db: target.display,
      server,
      pool: options.pgPool,
      synchronousCommit: options.durability === "full" ? "on" : "off",
      cachePollMs: options.cachePollMs,
      ...(pooled ? { pooler: "transaction" } : {}),
    },
    close: () => store.close(),
    // What the applier has acknowledged is committed already; the batch in flight is left to
    // PostgreSQL (rolled back when the connection drops, and never acknowledged).
    abandon() {},
  };
}
