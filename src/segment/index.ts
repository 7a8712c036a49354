// The Segment tracking API (POST /v1/batch, /v1/track, /v1/identify, /v1/group, /v1/page,
// /v1/screen, /v1/alias), so that a team's Segment SDKs send to trackd by changing only their
// host and write key. Each route: authenticate (the write key) → read the body → the pipeline
// in ./service.ts → the reply SDKs expect.
import { Elysia } from "elysia";
import type { AppsService } from "../apps/service";
import { AppError } from "../errors";
import type { IngestService } from "../ingest/service";
import { withWarnings } from "../ingest/service";
import type { Logger } from "../log";
import type { Monitoring } from "../monitoring/service";
import { appOfWriteKey, writeKeyOfBody, writeKeyOfHeader } from "./auth";
import { readSegmentBody } from "./body";
import { BATCH_LIMIT, MESSAGE_LIMIT, type Rejection, type Route } from "./model";
import { createSegmentService, type SegmentResult } from "./service";

/**
 * Where every rejected message goes besides the reply: THE place to wire the live view and the
 * metrics to. Called once per request that rejected any message, before the reply is sent.
 */
export type RejectionHook = (appId: string, route: Route, rejected: Rejection[], accepted: number) => void;

export interface SegmentDeps {
  apps: AppsService;
  ingest: IngestService;
  clock: () => number;
  logger: Logger;
  onRejected?: RejectionHook;
  monitoring?: Monitoring;
}

export function segmentRoutes(deps: SegmentDeps) {
  const service = createSegmentService(deps);
  // Always logged; the hook (the Live page's feed) is told as well.
  const log = logRejections(deps.logger);
  const onRejected: RejectionHook = (appId, route, rejected, accepted) => {
    log(appId, route, rejected, accepted);
    deps.onRejected?.(appId, route, rejected, accepted);
  };

  const handle = (route: Route) => async ({ request }: { request: Request }) => {
    const headerKey = writeKeyOfHeader(request.headers.get("authorization"));
    // With the key in the header, a wrong key is refused before the body is read.
    const app = headerKey === undefined ? undefined : await appOfWriteKey(deps.apps, headerKey);
    const body = await readSegmentBody(request, route === "batch" ? BATCH_LIMIT : MESSAGE_LIMIT);
    const bodyKey = writeKeyOfBody(body);
    if (headerKey !== undefined && bodyKey !== undefined && bodyKey !== headerKey) {
      throw new AppError("UNAUTHORIZED", "writeKey in the body differs from the Authorization header's; send one key");
    }
    const keyApp = app ?? (await appOfWriteKey(deps.apps, bodyKey));
    const result = await service.receive(keyApp, route, body);
    if (result.rejected.length > 0) {
      onRejected(keyApp.id, route, result.rejected, result.accepted);
      for (const { code } of result.rejected) deps.monitoring?.segmentRejected.inc({ app: keyApp.id, code });
    }
    return reply(route, result);
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
 * `"success": false` and lists each rejection. When nothing is stored: 400, so the SDK reports
 * the failure.
 */
function reply(route: Route, result: SegmentResult) {
  const { accepted, rejected, warnings } = result;
  if (rejected.length === 0) return { success: true, ...withWarnings(warnings) };
  if (accepted > 0) return { success: false, accepted, rejected, ...withWarnings(warnings) };
  const details = rejected.map(({ index, code, field, path, message }) => ({ ...(route === "batch" ? { index } : {}), code, field, path, message }));
  const message = route === "batch" ? `all ${rejected.length} messages were rejected; nothing was stored` : rejected[0].message;
  throw new AppError("VALIDATION_FAILED", message, { details });
}

function logRejections(logger: Logger): RejectionHook {
  return (appId, route, rejected) => {
    const first = rejected[0];
    logger.info("segment messages rejected", { appId, route, rejected: rejected.length, first: { index: first.index, code: first.code, message: first.message } });
  };
}
