// WAL checkpoints on a thread of their own. By default SQLite checkpoints inside a commit once
// the log passes 1,000 pages: the commit that crosses the line copies pages into the database
// file and syncs it while every request waits. On the write path that was a third of the time
// per event (in process: 62.7 µs per event with checkpoints off, 91-115 with them in the
// commits; bench/README.md), and where the worst latencies came from. Here the server's connection never checkpoints; a
// worker with its own connection does, every `intervalMs`. It also does fewer copies: a page
// written by many commits between two checkpoints is copied once.
import type { Db, Durability } from ".";

export interface CheckpointerSettings {
  path: string;
  durability: Durability;
  /** How often the worker checkpoints. */
  intervalMs: number;
  /** Log size (pages) past which the worker rewinds the log (see checkpoint-worker.ts). */
  restartFrames: number;
  busyTimeoutMs: number;
}

/** What `PRAGMA wal_checkpoint` answers: pages in the log, and how many are in the database file. */
export interface CheckpointReport {
  busy: number;
  log: number;
  checkpointed: number;
}

export type CheckpointerMessage = { type: "start"; settings: CheckpointerSettings } | { type: "stop" };
type WorkerMessage = { type: "started" } | { type: "stopped" } | { type: "checkpointed"; restarted: boolean };

export interface Checkpointer {
  /** Checkpoints done so far, and how many of them rewound the log. */
  readonly stats: { checkpoints: number; restarts: number };
  /** Ends the worker after its current checkpoint and closes its connection. */
  stop(): Promise<void>;
}

// The binary embeds the worker as a second entry point (see the build script), addressed from
// the bundle's root, which is src/; a source run loads it beside this file.
const WORKER = Bun.isStandaloneExecutable ? "./db/checkpoint-worker.ts" : new URL("./checkpoint-worker.ts", import.meta.url).href;

const DEFAULTS = { intervalMs: 200, restartFrames: 8192, busyTimeoutMs: 100 };

/**
 * Hands checkpoints over to a worker thread. Resolves once the worker's connection is open;
 * if the worker can't start, the connection keeps checkpointing itself and this rejects.
 */
export async function startCheckpointer(
  db: Db,
  settings: Pick<CheckpointerSettings, "path" | "durability"> & Partial<CheckpointerSettings>,
): Promise<Checkpointer> {
  const worker = new Worker(WORKER);
  const stats: Checkpointer["stats"] = { checkpoints: 0, restarts: 0 };
  const started = Promise.withResolvers<void>();
  const stopped = Promise.withResolvers<void>();
  worker.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
    if (data.type === "started") started.resolve();
    else if (data.type === "stopped") stopped.resolve();
    else {
      stats.checkpoints += 1;
      if (data.restarted) stats.restarts += 1;
    }
  };
  worker.onerror = (event) => {
    // Without the worker, the server's own connection goes back to checkpointing in its commits.
    db.$client.run("PRAGMA wal_autocheckpoint = 1000");
    const error = new Error(`checkpoint worker failed: ${event.message}`);
    started.reject(error);
    stopped.resolve();
  };
  worker.postMessage({ type: "start", settings: { ...DEFAULTS, ...settings } } satisfies CheckpointerMessage);
  await started.promise;
  db.$client.run("PRAGMA wal_autocheckpoint = 0");
  return {
    stats,
    async stop() {
      worker.postMessage({ type: "stop" } satisfies CheckpointerMessage);
      await stopped.promise;
      worker.terminate();
    },
  };
}
