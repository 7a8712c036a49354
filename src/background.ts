// Background work in the server (health scoring, retention purges): the first run shortly after
// start, then `intervalMs` after each run ends, so runs never overlap however long one takes.
// A run that throws (a full write queue, a busy database) is logged; the next one retries.
import type { Logger } from "./log";

export interface Repeating {
  /** Cancels the next run and aborts the current one's signal; resolves when it has ended. */
  stop(): Promise<void>;
}

export function repeatInBackground({
  name,
  run,
  intervalMs,
  logger,
}: {
  /** For the log line of a failed run: "health scoring pass". */
  name: string;
  run: (signal: AbortSignal) => Promise<void>;
  intervalMs: number;
  logger: Logger;
}): Repeating {
  const stopping = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();

  async function runOnce(): Promise<void> {
    try {
      await run(stopping.signal);
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
