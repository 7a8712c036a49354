// Background work in the server (health scoring, retention purges): the first run shortly after
// start, then `intervalMs` after each run ends, so runs never overlap however long one takes.
// A run that throws (a full write queue, a busy database) is logged; the next one retries.
//
// With several nodes on one PostgreSQL database, a `lease` makes it run-once: each node's timer
// still fires, but only the node holding the lease runs (store/pg/lease.ts). On SQLite there is
// one process, and ONE_PROCESS, the default, always lets it run, as it always did.
import type { Logger } from "./log";

/** Permission to run a piece of background work on this node now. */
export interface RunLease {
  /**
   * Runs `work` if this node holds or takes the lease `name`, and resolves to whether it ran.
   * `work`'s signal aborts when `signal` does or when the lease is lost mid-run. After a run
   * the lease is kept for `cooldownMs`, so the other nodes' timers skip until the next run is due.
   */
  tryRun(name: string, work: (signal: AbortSignal) => Promise<void>, options: { cooldownMs: number; signal: AbortSignal }): Promise<boolean>;
}

/** SQLite's counterpart: one process, nobody to take turns with. */
export const ONE_PROCESS: RunLease = {
  async tryRun(_name, work, { signal }) {
    await work(signal);
    return true;
  },
};

export interface Repeating {
  /** Cancels the next run and aborts the current one's signal; resolves when it has ended. */
  stop(): Promise<void>;
}

export function repeatInBackground({
  name,
  run,
  intervalMs,
  logger,
  lease = ONE_PROCESS,
}: {
  /** For the log line of a failed run, and the lease's name: "health scoring pass". */
  name: string;
  run: (signal: AbortSignal) => Promise<void>;
  intervalMs: number;
  logger: Logger;
  /** Several nodes: only the lease's holder runs. */
  lease?: RunLease;
}): Repeating {
  const stopping = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();

  async function runOnce(): Promise<void> {
    try {
      if (!(await lease.tryRun(name, run, { cooldownMs: intervalMs, signal: stopping.signal }))) {
        logger.debug(`${name} skipped: another node holds its lease`);
      }
    } catch (error) {
      logger.error(`${name} failed; the next one retries`, { error: String(error) });
    }
    if (!stopping.signal.aborted) timer = setTimeout(start, intervalMs);
  }

  function start(): void {
    running = runOnce();
  }

  timer = setTimeout(start, 0);
  return {
    async stop(): Promise<void> {
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
