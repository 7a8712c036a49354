// OpenAPI descriptions of the Segment-compatible routes (src/openapi/route-doc.ts).
import type { TSchema } from "@sinclair/typebox";
import { t } from "elysia";
import type { RouteDoc, RouteDocs } from "../openapi/route-doc";
import { BATCH_LIMIT, BatchEnvelope, GroupMessage, IdentifyMessage, MESSAGE_LIMIT, PageMessage, REJECTION_CODES, TrackMessage } from "./model";

const Rejection = t.Object({
  index: t.Integer({ description: "the message's position in batch (0 on the single-message routes)" }),
  code: t.Union(REJECTION_CODES.map((code) => t.Literal(code))),
  field: t.String(),
  path: t.String({ description: "JSON Pointer into the body, e.g. /batch/3/event" }),
  message: t.String(),
  type: t.Optional(t.String()),
  messageId: t.Optional(t.String()),
});
const Success = t.Object({ success: t.Literal(true) });
const PartlyStored = t.Object({
  success: t.Literal(false),
  accepted: t.Integer({ description: "messages stored now or before (a repeated messageId)" }),
  rejected: t.Array(Rejection),
});
// Only the body's own JSON: the SDKs send application/json, analytics.js text/plain, both read as JSON.
const BODY_TYPES = ["application/json", "text/plain"];
const responses = {
  200: {
    description:
      "Every message stored (success: true), or some stored and the others rejected (success: false, each rejection named): SDKs drop a whole batch on a 4xx, so a partly valid batch is a 200",
    schema: t.Union([Success, PartlyStored]),
    example: { success: true },
  },
};
const ERRORS = ["VALIDATION_FAILED", "INVALID_JSON", "PAYLOAD_TOO_LARGE", "SERVICE_UNAVAILABLE"] as const;
const AUTH = { kind: "segmentWriteKey" } as const;

const single = (type: "track" | "identify" | "group" | "page" | "screen", schema: TSchema, example: unknown): RouteDoc => ({
  method: "post",
  path: `/v1/${type}`,
  tag: "Segment",
  summary: `Segment ${type}: one message`,
  description: `The route gives the type; a body naming another type is refused. At most ${MESSAGE_LIMIT / 1024} KB (gzip counts inflated). Nothing stored is a 400 naming the field.`,
  auth: AUTH,
  body: { schema, contentTypes: BODY_TYPES, example },
  responses,
  errors: [...ERRORS],
});

export const segmentDocs: RouteDocs = [
  {
    method: "post",
    path: "/v1/batch",
    tag: "Segment",
    summary: "Segment batch: what every server SDK sends",
    description: `Up to ${BATCH_LIMIT / 1024} KB (gzip counts inflated), each message at most ${MESSAGE_LIMIT / 1024} KB. Not all or nothing: valid messages are stored beside rejected ones. A batch with no valid message is a 400 with one detail per message. See the README's mapping onto customers and users.`,
    auth: AUTH,
    body: {
      schema: BatchEnvelope,
      contentTypes: BODY_TYPES,
      example: { batch: [{ type: "track", userId: "u_1", event: "Report Exported", properties: { format: "csv" }, messageId: "m_1" }], sentAt: "2026-11-29T12:00:00Z" },
    },
    responses,
    errors: [...ERRORS],
  },
  single("track", TrackMessage, { userId: "u_1", event: "Report Exported", properties: { format: "csv" } }),
  single("identify", IdentifyMessage, { userId: "u_1", traits: { email: "jane@acme.com", plan: "pro" } }),
  single("group", GroupMessage, { userId: "u_1", groupId: "acme", traits: { name: "Acme Inc", customerId: "cus_acme" } }),
  single("page", PageMessage, { userId: "u_1", name: "Pricing" }),
  single("screen", PageMessage, { userId: "u_1", name: "Settings" }),
  {
    method: "post",
    path: "/v1/alias",
    tag: "Segment",
    summary: "Segment alias: not supported",
    description: "Always a 400 that says why: trackd keeps no anonymous profiles to merge, and does not rename a known userId.",
    auth: AUTH,
    responses: {},
    errors: ["VALIDATION_FAILED"],
  },
];
