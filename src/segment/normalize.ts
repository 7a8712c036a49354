// The validate-and-normalise step for Segment messages: one raw message in, either what to
// write or the one reason it is rejected. Pure: no database; the request's receive time is
// passed in. What each message then does to customers and users is the store's business
// (src/store/sqlite/segment.ts).
import { happenedAtProblem, parseDate } from "../dates";
import { compile, type Validator } from "../http/validate";
import { nestingProblem } from "../ingest/service";
import type { Attributes } from "../http/fields";
import { MAX_EVENT_DATA_BYTES, type NormalizedEvent } from "../ingest/service";
import {
  ContextGroup,
  GroupMessage,
  IdentifyMessage,
  IdentityTraits,
  MESSAGE_LIMIT,
  PageMessage,
  TrackMessage,
  type RejectionCode,
} from "./model";

/** What a valid message becomes. `userId` and `groupId` are Segment's, as strings. */
export type Mapped =
  | { kind: "event"; messageId?: string; event: NormalizedEvent; userId?: string; groupId?: string }
  | { kind: "identify"; messageId?: string; userId: string; groupId?: string; traits: Attributes }
  | { kind: "group"; messageId?: string; groupId: string; userId?: string; traits: Attributes };

/** Why a message is rejected; `path` is a JSON Pointer into the message itself. */
export interface Problem {
  code: RejectionCode;
  path: string;
  message: string;
}

export type Normalized = { ok: true; mapped: Mapped } | { ok: false; problem: Problem; type?: string; messageId?: string };

/** What the request adds to each of its messages. */
export interface Envelope {
  /** When trackd received the request (ms): the other end of the clock-skew correction. */
  receivedAt: number;
  /** The app's retention horizon (ms): an event dated before it would be purged at once. */
  horizon: number | null;
  /** The batch's sentAt (ms), for messages without their own. */
  sentAt?: number;
  /** The batch's context, merged under each message's own. */
  context?: Attributes;
}

/**
 * Context fields kept with each event, under eventData.$context (a name a property is
 * unlikely to have); the rest of `context` (device, os, app, network, screen, location,
 * traits, ...) is not stored.
 */
export const KEPT_CONTEXT_FIELDS = ["library", "ip", "userAgent", "locale", "timezone", "page", "campaign"] as const;

const validators = {
  track: compile(TrackMessage),
  page: compile(PageMessage),
  screen: compile(PageMessage),
  identify: compile(IdentifyMessage),
  group: compile(GroupMessage),
} satisfies Record<string, Validator<any>>;
const identityTraits = compile(IdentityTraits);
const contextGroup = compile(ContextGroup);
const TYPES = "track, identify, group, page or screen";

export function normalizeMessage(raw: unknown, envelope: Envelope): Normalized {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return refuse("invalid", "", "each message must be a JSON object");
  const message = withoutNulls(raw as Record<string, unknown>);
  const type = typeof message.type === "string" ? message.type : undefined;
  const messageId = messageIdOf(message);
  const refused = (code: RejectionCode, path: string, text: string): Normalized => ({ ok: false, problem: problem(code, path, text), type, messageId });

  // Before stringify, which recurses: a message nested deep enough would overflow the stack.
  for (const [key, value] of Object.entries(raw)) {
    const tooDeep = nestingProblem(value, `/${key}`);
    if (tooDeep) return refused("invalid", tooDeep.path, tooDeep.message);
  }
  if (Buffer.byteLength(JSON.stringify(raw)) > MESSAGE_LIMIT) {
    return refused("too_large", "", `the message is over Segment's ${MESSAGE_LIMIT / 1024} KB limit per message`);
  }
  if (type === "alias") {
    return refused(
      "unsupported_type",
      "/type",
      "alias is not supported: trackd keeps no anonymous profiles to merge, and does not rename a known userId; send identify, group and track with the final userId",
    );
  }
  // hasOwn, not `in`: "constructor" or "__proto__" must not find Object's own members.
  if (type === undefined || !Object.hasOwn(validators, type)) return refused("invalid", "/type", `type must be one of ${TYPES}`);
  // A context that is not an object is left as it is, for the validator to report.
  if (envelope.context !== undefined && isObject(message.context ?? {})) {
    message.context = { ...envelope.context, ...(message.context as Attributes | undefined) };
  }
  const validator = validators[type as keyof typeof validators];
  if (!validator.check(message)) {
    const [first] = validator.errors(message);
    return refused("invalid", first.path, first.message);
  }
  if (message.context !== undefined && !contextGroup.check(message.context)) {
    return refused("invalid", "/context/groupId", contextGroup.errors(message.context, "/context")[0].message);
  }
  const result = mapMessage(message as never, envelope);
  return "code" in result ? refused(result.code, result.path, result.message) : { ok: true, mapped: result };
}

type Valid = (TrackMessage | PageMessage | IdentifyMessage | GroupMessage) & { context?: Attributes & { groupId?: string | number | null } };

function mapMessage(message: Valid, envelope: Envelope): Mapped | Problem {
  // Every message's times are checked as dates; only events store one (and bound it).
  const time = eventTimeOf(message, envelope);
  if (typeof time !== "number") return time;
  if (message.type === "group") return mapGroup(message);
  if (message.type === "identify") return mapIdentify(message);
  return mapEvent(message, time, envelope);
}

/** A group names its customer by groupId: an anonymousId (or nobody) is enough beside it. */
function mapGroup(message: GroupMessage): Mapped | Problem {
  const traits = message.traits ?? {};
  const problemInTraits = checkIdentityTraits(traits);
  if (problemInTraits) return problemInTraits;
  return { kind: "group", messageId: message.messageId, groupId: idOf(message.groupId)!, userId: idOf(message.userId), traits };
}

function mapIdentify(message: IdentifyMessage & { context?: Valid["context"] }): Mapped | Problem {
  const userId = idOf(message.userId);
  if (userId === undefined) return missingSomeone(message, "traits", "userId");
  const traits = message.traits ?? {};
  const problemInTraits = checkIdentityTraits(traits);
  if (problemInTraits) return problemInTraits;
  return { kind: "identify", messageId: message.messageId, userId, groupId: idOf(message.context?.groupId), traits };
}

function mapEvent(message: (TrackMessage | PageMessage) & { context?: Valid["context"] }, time: number, envelope: Envelope): Mapped | Problem {
  const userId = idOf(message.userId);
  const groupId = idOf(message.context?.groupId);
  if (userId === undefined && groupId === undefined) return missingSomeone(message, "events", "userId (or context.groupId)");
  const field = timeField(message) ?? "timestamp";
  const dateProblem = happenedAtProblem(time, envelope.receivedAt, field);
  if (dateProblem) return problem("date_out_of_range", `/${field}`, dateProblem);
  if (envelope.horizon !== null && time < envelope.horizon) {
    const kept = `this app keeps events from ${new Date(envelope.horizon).toISOString()} on (--retention-days)`;
    return problem("date_out_of_range", `/${field}`, `${field} is before the app's retention horizon: ${kept}`);
  }
  const named = eventNameOf(message);
  if (typeof named !== "string") return named;
  const eventData = eventDataOf(message);
  if (eventData !== null && Buffer.byteLength(eventData) > MAX_EVENT_DATA_BYTES) {
    return problem("too_large", "/properties", `properties must be at most ${MAX_EVENT_DATA_BYTES / 1024} KB serialized`);
  }
  const event = { event: named, eventDate: time, eventData, messageId: message.messageId, verified: true };
  return { kind: "event", messageId: message.messageId, userId, groupId, event };
}

/** No one the message is about: anonymous_only when it has an anonymousId, else a missing userId. */
function missingSomeone(message: { anonymousId?: string | number }, what: string, send: string): Problem {
  if (message.anonymousId === undefined) return problem("invalid", "/userId", `${send} is required`);
  const text = `only an anonymousId: trackd keeps ${what} per customer, and an anonymous visitor is nobody's customer yet; send ${send}`;
  return problem("anonymous_only", "/userId", text);
}

/**
 * The event time as Segment computes it: `timestamp`, else `originalTimestamp`, moved by the
 * sender's clock skew (receivedAt - sentAt) when sentAt is known; without either, now.
 */
function eventTimeOf(message: Valid, envelope: Envelope): number | Problem {
  let sentAt = envelope.sentAt;
  if (message.sentAt !== undefined) {
    const parsed = parseDate(message.sentAt, "sentAt");
    if (!parsed.ok) return problem("invalid", "/sentAt", parsed.message);
    sentAt = parsed.ms;
  }
  const field = timeField(message);
  if (field === undefined) return envelope.receivedAt;
  const parsed = parseDate(message[field]!, field);
  if (!parsed.ok) return problem("invalid", `/${field}`, parsed.message);
  return sentAt === undefined ? parsed.ms : parsed.ms + (envelope.receivedAt - sentAt);
}

function timeField(message: Valid): "timestamp" | "originalTimestamp" | undefined {
  if (message.timestamp !== undefined) return "timestamp";
  return message.originalTimestamp !== undefined ? "originalTimestamp" : undefined;
}

/** Segment's own names: "Viewed Docs Home Page" for page("Docs", "Home"), "Loaded a Page" unnamed; screens alike. */
export function pageEventName(type: "page" | "screen", name?: string, category?: string): string {
  const noun = type === "page" ? "Page" : "Screen";
  const label = [category, name].filter((part) => part !== undefined).join(" ");
  return label === "" ? `Loaded a ${noun}` : `Viewed ${label} ${noun}`;
}

function eventNameOf(message: TrackMessage | PageMessage): string | Problem {
  if (message.type === "track") return message.event;
  const name = pageEventName(message.type, message.name, message.category);
  if (name.length > 255) return problem("invalid", "/name", `name and category make the event name "${name.slice(0, 40)}…" longer than 255 characters`);
  return name;
}

/** properties (with a page's name and category), and the kept context under $context: serialised once; null when empty. */
function eventDataOf(message: (TrackMessage | PageMessage) & { context?: Attributes }): string | null {
  const data: Attributes = { ...message.properties };
  if (message.type !== "track") {
    if (message.name !== undefined) data.name ??= message.name;
    if (message.category !== undefined) data.category ??= message.category;
  }
  const context = message.context ?? {};
  const kept = Object.fromEntries(KEPT_CONTEXT_FIELDS.filter((field) => context[field] !== undefined).map((field) => [field, context[field]]));
  if (Object.keys(kept).length > 0) data.$context = kept;
  return Object.keys(data).length > 0 ? JSON.stringify(data) : null;
}

function checkIdentityTraits(traits: Attributes): Problem | null {
  const cleaned = withoutNulls(traits);
  if (identityTraits.check(cleaned)) return null;
  const [first] = identityTraits.errors(cleaned, "/traits");
  return problem("invalid", first.path, first.message);
}

/** A message's messageId as sent, to name it in a rejection (even when the message is invalid). */
export function messageIdOf(message: Record<string, unknown>): string | undefined {
  return typeof message.messageId === "string" && message.messageId !== "" ? message.messageId : undefined;
}

function idOf(id: string | number | null | undefined): string | undefined {
  return id === undefined || id === null ? undefined : String(id);
}

/** Some SDKs send absent fields as null (`"anonymousId": null`): null means absent here. */
function withoutNulls(object: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) if (value !== null) copy[key] = value;
  return copy;
}

function isObject(value: unknown): value is Attributes {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function problem(code: RejectionCode, path: string, message: string): Problem {
  return { code, path, message };
}

function refuse(code: RejectionCode, path: string, message: string): Normalized {
  return { ok: false, problem: problem(code, path, message) };
}
