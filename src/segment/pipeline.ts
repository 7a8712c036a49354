// The steps of the Segment routes (/v1/batch, /v1/track, identify, group, page, screen, alias;
// src/ingest/steps.ts has the model):
//   authenticate → read → write-key → messages → normalise → write → report → verdict
// The key in the Authorization header is checked before the body is read; one in the body
// (analytics.js puts it there) only after. Up to `messages` a refusal ends the request. From
// there a batch is not all or nothing: SDKs drop a whole batch on a 4xx, so one bad message must
// not cost its neighbours; `normalise` sets each bad one aside with a reason, `write` stores the
// rest, `report` tells the log, the metrics and the Live page, and only a request with nothing
// stored is refused (`verdict`).
import { parseDate } from "../dates";
import type { AppRow } from "../store/types";
import { AppError, type ErrorDetail } from "../errors";
import { retentionHorizon } from "../horizon";
import { refuseBadText } from "../http/body";
import { badTextIn, textProblem } from "../http/text";
import { compile, fieldName, validationError } from "../http/validate";
import type { IngestService, Step } from "../ingest/service";
import type { Monitoring } from "../monitoring/service";
import { appOfWriteKey, writeKeyOfBody, writeKeyOfHeader } from "./auth";
import { readSegmentBody } from "./body";
import { BATCH_LIMIT, BatchEnvelope, MESSAGE_LIMIT, type Rejection, type RejectionHook, type Route } from "./model";
import { messageIdOf, normalizeMessage, type Envelope, type Mapped, type Normalized } from "./normalize";

export interface SegmentResult {
  /** Messages stored now or before (a repeated messageId): everything not rejected. */
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
  /** Identity conflicts met while storing (see the README's Identity), per message. */
  warnings: ErrorDetail[];
}

export interface SegmentRequest {
  request: Request;
  route: Route;
  /** One clock reading: the far end of the clock-skew correction, and the retention horizon's now. */
  receivedAt: number;
  /** The Authorization header's write key, when it has one. */
  headerKey?: string;
  app?: AppRow;
  body?: unknown;
  /** The body has a \u0000 or surrogate escape: its envelope and each message are checked (http/text.ts). */
  mayHoldBadText?: boolean;
  /** The body's messages, what the request adds to each, and where message i sits in the body. */
  items?: unknown[];
  envelope?: Envelope;
  prefix?: (index: number) => string;
  /** Each message ends up in one of the two. */
  valid?: { index: number; mapped: Mapped }[];
  rejected?: Rejection[];
  result?: SegmentResult;
}

export interface SegmentSteps {
  apps: Parameters<typeof appOfWriteKey>[0];
  ingest: Pick<IngestService, "apply" | "committed">;
  /** Told of every request that rejected any message, before the reply is sent. */
  onRejected: RejectionHook;
  monitoring?: Pick<Monitoring, "segmentRejected">;
}

export function segmentRequest(request: Request, route: Route, receivedAt: number): SegmentRequest {
  return {
    request,
    route,
    receivedAt,
    headerKey: undefined,
    app: undefined,
    body: undefined,
    mayHoldBadText: false,
    items: undefined,
    envelope: undefined,
    prefix: undefined,
    valid: undefined,
    rejected: undefined,
    result: undefined,
  };
}

/** The Authorization header's write key, refused (401/403) before the body is read; none is fine here. */
export function authenticate(apps: SegmentSteps["apps"]): Step<SegmentRequest, "authenticate"> {
  return {
    name: "authenticate",
    async run(ctx) {
      ctx.headerKey = writeKeyOfHeader(ctx.request.headers.get("authorization"));
      if (ctx.headerKey !== undefined) ctx.app = await appOfWriteKey(apps, ctx.headerKey);
    },
  };
}

/** JSON, plain or gzip, within 32 KB for one message and 500 KB for a batch (inflated). */
export const read: Step<SegmentRequest, "read"> = {
  name: "read",
  // Chained rather than async: see ONE_PROMISE in src/ingest/steps.ts.
  run: (ctx) =>
    readSegmentBody(ctx.request, ctx.route === "batch" ? BATCH_LIMIT : MESSAGE_LIMIT).then(({ value, mayHoldBadText }) => {
      ctx.body = value;
      ctx.mayHoldBadText = mayHoldBadText;
    }),
};

/** The body's writeKey: the key when the header had none (401 when neither has one), else the same key. */
export function writeKey(apps: SegmentSteps["apps"]): Step<SegmentRequest, "write-key"> {
  return {
    name: "write-key",
    async run(ctx) {
      const bodyKey = writeKeyOfBody(ctx.body);
      if (ctx.headerKey !== undefined && bodyKey !== undefined && bodyKey !== ctx.headerKey) {
        throw new AppError("UNAUTHORIZED", "writeKey in the body differs from the Authorization header's; send one key");
      }
      ctx.app ??= await appOfWriteKey(apps, bodyKey);
    },
  };
}

const batchEnvelope = compile(BatchEnvelope);
const atTop = () => "";
const inBatch = (index: number) => `/batch/${index}`;

/** The messages of the body (one, or a batch's), and what the request adds to each: 400 for a bad envelope. */
export const messages: Step<SegmentRequest, "messages"> = {
  name: "messages",
  run(ctx) {
    const { body, route, receivedAt } = ctx;
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw validationError([{ path: "", message: "body must be a JSON object" }]);
    }
    const horizon = retentionHorizon(ctx.app!.retentionDays, receivedAt);
    if (route !== "batch") {
      ctx.items = [body];
      ctx.envelope = { receivedAt, horizon };
      ctx.prefix = atTop;
      return;
    }
    if (!batchEnvelope.check(body)) throw validationError(batchEnvelope.errors(body));
    // What the batch adds to every message is checked here, all or nothing; the messages in normalise.
    if (ctx.mayHoldBadText) refuseBadText({ ...body, batch: [] });
    const envelope: Envelope = { receivedAt, horizon, context: body.context };
    if (body.sentAt !== undefined) {
      const sentAt = parseDate(body.sentAt, "sentAt");
      if (!sentAt.ok) throw validationError([{ path: "/sentAt", message: sentAt.message }]);
      envelope.sentAt = sentAt.ms;
    }
    ctx.items = body.batch;
    ctx.envelope = envelope;
    ctx.prefix = inBatch;
  },
};

/** Each message normalised, or set aside with the reason it is rejected. Refuses nothing itself. */
export const normalise: Step<SegmentRequest, "normalise"> = {
  name: "normalise",
  run(ctx) {
    const { route, envelope, prefix } = ctx;
    const valid: { index: number; mapped: Mapped }[] = [];
    const rejected: Rejection[] = [];
    ctx.items!.forEach((item, index) => {
      const result = checkRouteType(route, item) ?? (ctx.mayHoldBadText ? badTextRejection(item) : undefined) ?? normalizeMessage(item, envelope!);
      if (result.ok) valid.push({ index, mapped: result.mapped });
      else rejected.push(rejectionOf(result, index, prefix!(index)));
    });
    ctx.valid = valid;
    ctx.rejected = rejected;
  },
};

/** The valid messages as one store command (after commit: counted, and shown on the Live page). */
export function write(ingest: SegmentSteps["ingest"]): Step<SegmentRequest, "write"> {
  return {
    name: "write",
    async run(ctx) {
      const { valid, rejected, prefix, receivedAt } = ctx;
      const appId = ctx.app!.id;
      if (valid!.length === 0) {
        ctx.result = { accepted: 0, duplicates: 0, rejected: rejected!, warnings: [] };
        return;
      }
      const messages = valid!.map(({ mapped }) => mapped);
      const outcomes = await ingest.apply({ type: "ApplySegmentBatch", appId, receivedAt, messages });
      const written = outcomes.flatMap((outcome) => (outcome.written ? [outcome.written] : []));
      ingest.committed(appId, "segment", written.map((w) => w.event), written.map((w) => w.result));
      const warnings = outcomes.flatMap((outcome, i) =>
        outcome.warnings.map((warning) => ({ ...warning, index: valid![i]!.index, path: prefix!(valid![i]!.index) + warning.path })),
      );
      ctx.result = { accepted: valid!.length, duplicates: outcomes.filter((outcome) => outcome.duplicate).length, rejected: rejected!, warnings };
    },
  };
}

/** Every rejected message goes to the rejection hook and the metrics: none is dropped silently. */
export function report({ onRejected, monitoring }: Pick<SegmentSteps, "onRejected" | "monitoring">): Step<SegmentRequest, "report"> {
  return {
    name: "report",
    run(ctx) {
      const { rejected, accepted } = ctx.result!;
      if (rejected.length === 0) return;
      const appId = ctx.app!.id;
      onRejected(appId, ctx.route, rejected, accepted);
      for (const { code } of rejected) monitoring?.segmentRejected.inc({ app: appId, code });
    },
  };
}

/**
 * Nothing stored and something rejected: a 400 naming each message, so that the SDK reports
 * the failure. When some were stored the request is a 200 (see index.ts's reply).
 */
export const verdict: Step<SegmentRequest, "verdict"> = {
  name: "verdict",
  run({ route, result }) {
    const { accepted, rejected } = result!;
    if (rejected.length === 0 || accepted > 0) return;
    const details = rejected.map(({ index, code, field, path, message }) => ({ ...(route === "batch" ? { index } : {}), code, field, path, message }));
    const message = route === "batch" ? `all ${rejected.length} messages were rejected; nothing was stored` : rejected[0]!.message;
    throw new AppError("VALIDATION_FAILED", message, { details });
  },
};

/** Every Segment route's steps, in order. */
export function segmentSteps({ apps, ingest, onRejected, monitoring }: SegmentSteps): readonly Step<SegmentRequest>[] {
  return [authenticate(apps), read, writeKey(apps), messages, normalise, write(ingest), report({ onRejected, monitoring }), verdict];
}

/** On /v1/track and its siblings the route says the type; a body saying another is refused. */
function checkRouteType(route: Route, item: unknown): Normalized | undefined {
  if (route === "batch") return undefined;
  const message = item as Record<string, unknown>;
  if (message.type === undefined || message.type === null) {
    message.type = route;
    return undefined;
  }
  if (message.type === route) return undefined;
  const problem = { code: "invalid" as const, path: "/type", message: `type must be "${route}" on /v1/${route}, or left out` };
  return { ok: false, problem, messageId: messageIdOf(message) };
}

/** A message holding text that can't be stored (http/text.ts) is rejected on its own. */
function badTextRejection(item: unknown): Normalized | undefined {
  // Not an object: normalizeMessage says so.
  if (typeof item !== "object" || item === null || Array.isArray(item)) return undefined;
  const bad = badTextIn(item);
  if (bad === undefined) return undefined;
  const message = item as Record<string, unknown>;
  const type = typeof message.type === "string" && textProblem(message.type) === undefined ? message.type : undefined;
  const problem = { code: "invalid" as const, path: bad.path, message: `${fieldName(bad.path)} ${bad.reason}` };
  return { ok: false, problem, type, messageId: messageIdOf(message) };
}

function rejectionOf(result: Extract<Normalized, { ok: false }>, index: number, prefix: string): Rejection {
  const { problem, type, messageId } = result;
  return {
    index,
    code: problem.code,
    field: problem.path === "" ? "message" : fieldName(problem.path),
    path: prefix + problem.path,
    message: problem.message,
    ...(type !== undefined ? { type } : {}),
    ...(messageId !== undefined ? { messageId } : {}),
  };
}
