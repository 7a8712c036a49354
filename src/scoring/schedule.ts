// The scheduled pass in the server: the first shortly after start (a fresh server has no scores
// to show, and an upgraded one has stale ones), then `intervalMs` after each pass ends, so
// passes never overlap however long one takes.
import type { Logger } from "../log";
import type { HealthPass } from "./pass";

export function scheduleHealthPasses({ pass, intervalMs, logger }: { pass: HealthPass; intervalMs: number; logger: Logger }) {
  const stopping = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();

  async function runOnce(): Promise<void> {
    try {
      const results = await pass.run({ signal: stopping.signal });
      if (stopping.signal.aborted) return;
      logger.info("health scores updated", {
        apps: results.length,
        customers: results.reduce((sum, result) => sum + result.customersScored, 0),
        changed: results.reduce((sum, result) => sum + result.changed, 0),
        durationMs: results.reduce((sum, result) => sum + result.durationMs, 0),
      });
    } catch (error) {
      // A full write queue or a busy database: the scores stay as they were until the next pass.
      logger.error("health scoring pass failed; the next one retries", { error: String(error) });
    }
    if (!stopping.signal.aborted) timer = setTimeout(start, intervalMs);
  }

  function start(): void {
    running = runOnce();
  }

  timer = setTimeout(start, 0);
  return {
    /** Cancels the next pass and ends the current one at its next range; resolves when it has. */
    async stop(): Promise<void> {
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
