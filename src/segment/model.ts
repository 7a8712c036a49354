// The Segment tracking API's wire format (https://segment.com/docs/connections/spec/), as far
// as trackd reads it. Fields trackd does not use (integrations, _metadata, channel, version,
// receivedAt, ...) are allowed and ignored, as Segment's own API does: SDKs add such fields
// freely, and refusing them would break the drop-in promise.
import { Type } from "@sinclair/typebox";
import { t } from "elysia";
import { KB } from "../http/body";
import { Attributes, Email, EventDate, Identifier } from "../http/fields";

/** Segment's documented limits: 32 KB per message, 500 KB per batch request. */
export const MESSAGE_LIMIT = 32 * KB;
export const BATCH_LIMIT = 500 * KB;

/** The routes, by the message type each accepts; "batch" carries any of them. */
export const MESSAGE_TYPES = ["track", "identify", "group", "page", "screen", "alias"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
export type Route = MessageType | "batch";

/**
 * A user, group or anonymous id: a string, or an integer (some SDKs pass database ids as
 * numbers), kept as its decimal string. Plain TypeBox: Elysia's t.Integer accepts numeric strings.
 */
const SegmentId = t.Union([Identifier, Type.Integer()], { error: "must be a string of 1 to 255 characters, or an integer" });
const PageName = t.String({ minLength: 1, maxLength: 200, error: "must be a string of 1 to 200 characters" });

const common = {
  messageId: t.Optional(Identifier),
  userId: t.Optional(SegmentId),
  anonymousId: t.Optional(SegmentId),
  timestamp: t.Optional(EventDate),
  originalTimestamp: t.Optional(EventDate),
  sentAt: t.Optional(EventDate),
  context: t.Optional(Attributes),
};

export const TrackMessage = t.Object({ type: t.Literal("track"), event: Identifier, properties: t.Optional(Attributes), ...common });
export const PageMessage = t.Object({
  type: t.Union([t.Literal("page"), t.Literal("screen")]),
  name: t.Optional(PageName),
  category: t.Optional(PageName),
  properties: t.Optional(Attributes),
  ...common,
});
export const IdentifyMessage = t.Object({ type: t.Literal("identify"), traits: t.Optional(Attributes), ...common });
export const GroupMessage = t.Object({ type: t.Literal("group"), groupId: SegmentId, traits: t.Optional(Attributes), ...common });

/** The traits trackd gives a meaning of their own (the rest are attributes as they are). */
export const IdentityTraits = t.Object({ customerId: t.Optional(Identifier), email: t.Optional(Email) });
export const ContextGroup = t.Object({ groupId: t.Optional(t.Union([SegmentId, t.Null()], { error: "must be a string of 1 to 255 characters, or an integer" })) });

/** POST /v1/batch: `sentAt` and `context` apply to every message (a message's own win). */
export const BatchEnvelope = t.Object({
  batch: t.Array(t.Unknown(), { minItems: 1, error: "must be a JSON array of 1 or more messages" }),
  sentAt: t.Optional(EventDate),
  context: t.Optional(Attributes),
  writeKey: t.Optional(t.String({ error: "must be a string" })),
});

export type TrackMessage = typeof TrackMessage.static;
export type PageMessage = typeof PageMessage.static;
export type IdentifyMessage = typeof IdentifyMessage.static;
export type GroupMessage = typeof GroupMessage.static;
export type BatchEnvelope = typeof BatchEnvelope.static;

/**
 * Why a message was not stored, from a closed set. Every rejection is reported, in the reply
 * and to the rejection hook (see index.ts): none is dropped silently.
 */
export const REJECTION_CODES = [
  "invalid", // a field is missing, malformed or of the wrong type, or holds a NUL or a lone surrogate
  "too_large", // over 32 KB, or its properties over trackd's 32 KB eventData limit
  "anonymous_only", // only an anonymousId: no customer to record it for
  "unsupported_type", // alias, which trackd cannot map honestly
  "date_out_of_range", // the event time is over 1 hour ahead or before 2000-01-01
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

export interface Rejection {
  /** The message's position in `batch` (0 on the single-message routes). */
  index: number;
  code: RejectionCode;
  field: string;
  /** JSON Pointer into the request body, e.g. "/batch/3/event". */
  path: string;
  message: string;
  type?: string;
  messageId?: string;
}

/**
 * Where every rejected message goes besides the reply: THE place to wire the live view and the
 * metrics to. Called once per request that rejected any message, before the reply is sent.
 */
export type RejectionHook = (appId: string, route: Route, rejected: Rejection[], accepted: number) => void;
