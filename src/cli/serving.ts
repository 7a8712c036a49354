// What `trackd serve` runs on, whichever database: the store, who may run background work, and
// how it stops. SQLite's is here; PostgreSQL's is serve-pg.ts.
import type { RunLease } from "../background";
import { closeDatabase, openMigratedDatabase, type Durability } from "../db";
import { startCheckpointer } from "../db/checkpoint";
import { walSync } from "../db/wal-sync";
import type { Logger } from "../log";
import { createSqliteStore } from "../store/sqlite/store";
import type { Store } from "../store/types";
import { Writer } from "../store/writer";

/** What the server runs on: the store, who may run background work, and how it all stops. */
export interface Serving {
  store: Store;
  /** Run-once background work across nodes (PostgreSQL); undefined: this process alone (SQLite). */
  lease?: RunLease;
  /** What the "listening" log line says about the database. */
  logFields: Record<string, unknown>;
  /** Commits what is queued and closes the database. */
  close(): Promise<void>;
  /** A second stop signal: commit what can be committed at once, without waiting. */
  abandon(): void;
}

export function openSqliteServing(path: string, options: { durability: Durability; maxPending: number; log: Logger }): Serving {
  const db = openMigratedDatabase(path, options.durability);
  // The worker starts while the server begins to listen (~6 ms saved from start-up). Until it is
  // up, or if it fails, the connection checkpoints in its commits as SQLite does by default.
  const checkpointer =
    path === ":memory:"
      ? undefined
      : startCheckpointer(db, { path, durability: options.durability }).catch((error: Error) => {
          options.log.error(`${error.message}; checkpoints stay in the commits`);
          return undefined;
        });
  // With durability full, the writer's commits are synced off the main thread (wal-sync.ts).
  const sync = options.durability === "full" && path !== ":memory:" ? walSync(path) : undefined;
  const writer = new Writer(db, { maxPending: options.maxPending, sync });
  // One store for the process: the app, the scoring and retention passes and the first-run
  // setup share its applier (each applier prepares every statement and registers its counts).
  const store = createSqliteStore({ db, writer, clock: Date.now });
  return {
    store,
    logFields: { db: path },
    async close() {
      writer.close();
      // The worker's connection goes first, so that closing the last one checkpoints the rest
      // of the log into the database file and removes it.
      await (await checkpointer)?.stop();
      sync?.close();
      closeDatabase(db, true); // true: finalizes every statement, else the connection lingers open
    },
    abandon: () => writer.close(),
  };
}
