// The Segment routes' pipeline, after authentication: the request's messages → each normalised
// (or rejected with a reason) → the valid ones applied as one store command → a result that
// names every rejected message. A batch is not all or nothing: SDKs drop a whole batch on a
// 4xx, so one bad message must not cost its neighbours.
import { parseDate } from "../dates";
import type { ErrorDetail } from "../errors";
import { compile, fieldName, validationError } from "../http/validate";
import type { IngestService } from "../ingest/service";
import { retentionHorizon } from "../horizon";
import { BatchEnvelope, type Rejection, type Route } from "./model";
import { messageIdOf, normalizeMessage, type Envelope, type Normalized } from "./normalize";

export interface SegmentResult {
  /** Messages stored now or before (a repeated messageId): everything not rejected. */
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
  /** Identity conflicts met while storing (see the README's Identity), per message. */
  warnings: ErrorDetail[];
}

const batchEnvelope = compile(BatchEnvelope);

export function createSegmentService(deps: { ingest: IngestService; clock: () => number }) {
  return {
    async receive(app: { id: string; retentionDays: number | null }, route: Route, body: unknown): Promise<SegmentResult> {
      const appId = app.id;
      const receivedAt = deps.clock();
      const { items, envelope, prefix } = messagesOf(route, body, receivedAt, retentionHorizon(app.retentionDays, receivedAt));
      const normalized = items.map((item) => checkRouteType(route, item) ?? normalizeMessage(item, envelope));
      const rejected = normalized.flatMap((result, index) => (result.ok ? [] : [rejectionOf(result, index, prefix(index))]));
      const valid = normalized.flatMap((result, index) => (result.ok ? [{ index, mapped: result.mapped }] : []));
      if (valid.length === 0) return { accepted: 0, duplicates: 0, rejected, warnings: [] };

      const messages = valid.map(({ mapped }) => mapped);
      const outcomes = await deps.ingest.apply({ type: "ApplySegmentBatch", appId, receivedAt, messages });
      const written = outcomes.flatMap((outcome) => (outcome.written ? [outcome.written] : []));
      deps.ingest.committed(appId, "segment", written.map((w) => w.event), written.map((w) => w.result));
      const warnings = outcomes.flatMap((outcome, i) =>
        outcome.warnings.map((warning) => ({ ...warning, index: valid[i].index, path: prefix(valid[i].index) + warning.path })),
      );
      return { accepted: valid.length, duplicates: outcomes.filter((outcome) => outcome.duplicate).length, rejected, warnings };
    },
  };
}

export type SegmentService = ReturnType<typeof createSegmentService>;

/** The messages of a body, what the request adds to each, and where message i sits in the body. */
function messagesOf(route: Route, body: unknown, receivedAt: number, horizon: number | null) {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw validationError([{ path: "", message: "body must be a JSON object" }]);
  }
  if (route !== "batch") {
    return { items: [body], envelope: { receivedAt, horizon } satisfies Envelope, prefix: () => "" };
  }
  if (!batchEnvelope.check(body)) throw validationError(batchEnvelope.errors(body));
  const envelope: Envelope = { receivedAt, horizon, context: body.context };
  if (body.sentAt !== undefined) {
    const sentAt = parseDate(body.sentAt, "sentAt");
    if (!sentAt.ok) throw validationError([{ path: "/sentAt", message: sentAt.message }]);
    envelope.sentAt = sentAt.ms;
  }
  return { items: body.batch, envelope, prefix: (index: number) => `/batch/${index}` };
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
