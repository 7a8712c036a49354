// The Segment tracking API (POST /v1/batch, /v1/track, /v1/identify, /v1/group, /v1/page,
// /v1/screen, /v1/alias), so that a team's Segment SDKs send to trackd by changing only their
// host and write key. Each route runs the steps of ./pipeline.ts (authentication among them),
// then answers what SDKs expect.
import { Elysia } from "elysia";
import type { AppsService } from "../apps/service";
import type { IngestService } from "../ingest/service";
import { runSteps, withWarnings } from "../ingest/service";
import type { Logger } from "../log";
import type { Monitoring } from "../monitoring/service";
import type { RejectionHook, Route } from "./model";
import { segmentRequest, segmentSteps, type SegmentResult } from "./pipeline";

export type { RejectionHook };

export interface SegmentDeps {
  apps: AppsService;
  ingest: IngestService;
  clock: () => number;
  logger: Logger;
  onRejected?: RejectionHook;
  monitoring?: Monitoring;
}

export function segmentRoutes(deps: SegmentDeps) {
  // Always logged; the hook (the Live page's feed) is told as well.
  const log = logRejections(deps.logger);
  const onRejected: RejectionHook = (appId, route, rejected, accepted) => {
    log(appId, route, rejected, accepted);
    deps.onRejected?.(appId, route, rejected, accepted);
  };
  const steps = segmentSteps({ apps: deps.apps, ingest: deps.ingest, onRejected, monitoring: deps.monitoring });

  const handle = (route: Route) => async ({ request }: { request: Request }) => {
    const { result } = await runSteps(segmentRequest(request, route, deps.clock()), steps);
    return reply(result!);
  };

  return new Elysia({ name: "segment" })
    .post("/v1/batch", handle("batch"), { parse: "none" })
    .post("/v1/track", handle("track"), { parse: "none" })
    .post("/v1/identify", handle("identify"), { parse: "none" })
    .post("/v1/group", handle("group"), { parse: "none" })
    .post("/v1/page", handle("page"), { parse: "none" })
    .post("/v1/screen", handle("screen"), { parse: "none" })
    .post("/v1/alias", handle("alias"), { parse: "none" });
}

/**
 * 200 {"success": true} when every message is stored (or was already). When some are rejected
 * and others stored: still 200, since any 4xx makes an SDK treat the stored ones as failed
 * (and a caller that re-sends them with new messageIds would store them twice); the body says
 * `"success": false` and lists each rejection. When nothing is stored the `verdict` step has
 * already refused the request with a 400, so that the SDK reports the failure.
 */
function reply({ accepted, rejected, warnings }: SegmentResult) {
  if (rejected.length === 0) return { success: true, ...withWarnings(warnings) };
  return { success: false, accepted, rejected, ...withWarnings(warnings) };
}

function logRejections(logger: Logger): RejectionHook {
  return (appId, route, rejected) => {
    const first = rejected[0];
    logger.info("segment messages rejected", { appId, route, rejected: rejected.length, first: { index: first.index, code: first.code, message: first.message } });
  };
}
