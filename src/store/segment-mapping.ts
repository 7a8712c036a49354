// The mapping of Segment's calls onto trackd's customer ⊃ users model (the README's table):
// the ApplySegmentBatch command, run by either backend's applier inside one batch with the
// same write steps as trackd's own routes (steps.ts: written once, run synchronously on SQLite
// and awaited on PostgreSQL).
import type { Attributes } from "../attributes";
import type { ErrorDetail } from "../errors";
import type { SegmentMessage as Mapped, SegmentOutcome as Outcome, StoredEvent } from "./commands";
import type { Resolved } from "./identity";
import type { Op, WriteSteps } from "./steps";

/**
 * Applies one message, unless its messageId was seen before (exactly once, forever): events
 * keep theirs in events.message_id (writeEvent checks it, as for trackd's own routes), identify
 * and group in segment_messages; either one makes a message with that id a repeat.
 */
export function* applyMessage(steps: WriteSteps, appId: string, mapped: Mapped, receivedAt: number): Op<Outcome> {
  const { messageId } = mapped;
  if (messageId !== undefined && (yield* steps.isKnownMessage(appId, messageId))) return { duplicate: true, warnings: [] };
  if (mapped.kind === "event") return yield* recordEvent(steps, appId, mapped);
  if (messageId !== undefined && (yield* steps.eventIdByMessageId(appId, messageId)) !== undefined) return { duplicate: true, warnings: [] };
  const warnings = mapped.kind === "identify" ? yield* identify(steps, appId, mapped) : yield* group(steps, appId, mapped);
  if (messageId !== undefined) yield* steps.recordMessage({ appId, messageId, type: mapped.kind, receivedAt });
  return { duplicate: false, warnings };
}

/**
 * track, page, screen: the customer is context.groupId (userId its user), else the account
 * userId was most recently added to (as its user), else userId itself (a B2C customer).
 */
function* recordEvent(steps: WriteSteps, appId: string, mapped: Extract<Mapped, { kind: "event" }>): Op<Outcome> {
  const { event, userId, groupId } = mapped;
  const user = userId === undefined ? undefined : { uid: userId };
  function* written(normalized: StoredEvent, resolved?: Resolved): Op<Outcome> {
    const result = yield* steps.writeEvent(appId, normalized, "segment", resolved);
    return { ...result, written: { event: normalized, result } };
  }
  if (groupId !== undefined) return yield* written({ ...event, uid: groupId, user });
  const account = yield* steps.newestCustomerOfUser(appId, userId!);
  if (account) return yield* written({ ...event, user }, { customer: account, warnings: [] });
  return yield* written({ ...event, uid: userId });
}

/**
 * identify: with context.groupId, the traits are that account's user's; else, if userId is a
 * user of any account, each of its user records takes them; else userId is a B2C customer and
 * the traits are its attributes (traits.email its email, traits.customerId its billing id).
 */
function* identify(steps: WriteSteps, appId: string, mapped: Extract<Mapped, { kind: "identify" }>): Op<ErrorDetail[]> {
  const { userId, groupId, traits } = mapped;
  const data = nonEmpty(traits);
  if (groupId !== undefined) {
    const { customer, warnings } = yield* steps.resolveCustomer(appId, { uid: groupId });
    yield* steps.upsertUser(appId, customer.pk, { uid: userId, data });
    return warnings;
  }
  const users = yield* steps.usersByUid(appId, userId);
  if (users.length > 0) {
    if (data) for (const user of users) yield* steps.updateUserData(user.pk, data);
    return [];
  }
  return (yield* updateCustomer(steps, appId, userId, traits)).warnings;
}

/** group: the account groupId (a customer, by uid) takes the traits, and userId becomes its user. */
function* group(steps: WriteSteps, appId: string, mapped: Extract<Mapped, { kind: "group" }>): Op<ErrorDetail[]> {
  const { customer, warnings } = yield* updateCustomer(steps, appId, mapped.groupId, mapped.traits);
  if (mapped.userId !== undefined) yield* steps.upsertUser(appId, customer.pk, { uid: mapped.userId });
  return warnings;
}

/** The customer with this uid (created if new) takes the traits; traits.customerId links its billing id. */
function* updateCustomer(steps: WriteSteps, appId: string, uid: string, traits: Attributes): Op<Resolved> {
  const { customerId, email, attributes } = splitTraits(traits);
  const resolved = yield* steps.resolveCustomer(appId, { uid, customerId });
  yield* steps.updateCustomerAttributes(resolved.customer.pk, { customerData: nonEmpty(attributes), customerEmail: email });
  return resolved;
}

/** traits.customerId and traits.email name the customer; the rest are its attributes. */
function splitTraits(traits: Attributes): { customerId?: string; email?: string; attributes: Attributes } {
  const { customerId, email, ...attributes } = traits as Attributes & { customerId?: string | null; email?: string | null };
  return { customerId: customerId ?? undefined, email: email ?? undefined, attributes };
}

function nonEmpty(attributes: Attributes): Attributes | undefined {
  return Object.keys(attributes).length > 0 ? attributes : undefined;
}
