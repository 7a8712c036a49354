// The scheduled pass in the server: the first shortly after start (a fresh server has no scores
// to show, and an upgraded one has stale ones), then `intervalMs` after each pass ends.
import { repeatInBackground, type RunLease } from "../background";
import type { Logger } from "../log";
import type { HealthPass, PassResult } from "./pass";

export function scheduleHealthPasses({
  pass,
  intervalMs,
  logger,
  onPass,
  lease,
}: {
  pass: HealthPass;
  intervalMs: number;
  logger: Logger;
  /** Called with each completed pass's results (the Prometheus metrics observe them). */
  onPass?: (results: PassResult[]) => void;
  /** Several nodes on PostgreSQL: one of them scores at a time. */
  lease?: RunLease;
}) {
  return repeatInBackground({
    name: "health scoring pass",
    intervalMs,
    logger,
    lease,
    async run(signal) {
      const results = await pass.run({ signal });
      if (signal.aborted) return;
      onPass?.(results);
      logger.info("health scores updated", {
        apps: results.length,
        customers: results.reduce((sum, result) => sum + result.customersScored, 0),
        changed: results.reduce((sum, result) => sum + result.changed, 0),
        durationMs: results.reduce((sum, result) => sum + result.durationMs, 0),
      });
    },
  });
}
