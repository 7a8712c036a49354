// Retention purges in the server: at start, then every `intervalMs` after the last one ended.
import { repeatInBackground, type RunLease } from "../background";
import type { Logger } from "../log";
import type { RetentionPass } from "./pass";

export function scheduleRetention({ pass, intervalMs, logger, lease }: { pass: RetentionPass; intervalMs: number; logger: Logger; lease?: RunLease }) {
  return repeatInBackground({
    name: "retention purge",
    intervalMs,
    logger,
    lease,
    async run(signal) {
      for (const result of await pass.run({ signal })) {
        if (result.events + result.dayRows === 0) continue; // nothing was due: no log line every hour
        logger.info("retention purge", {
          appId: result.appId,
          before: new Date(result.horizon).toISOString(),
          events: result.events,
          dayRows: result.dayRows,
          steps: result.steps,
        });
      }
    },
  });
}
