// What a batch's commands name, for phase 1 of the lock order (ingest.ts, prefetch.ts): the
// identifiers to lock (advisory locks, in key order) and the customers, users and messageIds to
// look up (and create ahead, where the outcome is certain), as events. Each command type says
// how its events resolve their customers: RecordEvents with exactly their identity, a Segment
// track by its groupId or else its userId (../segment-mapping.ts), the others only look up.
import type { BillingChange, Command, SegmentMessage, StoredEvent } from "../commands";

/**
 * What a command's event will look up, and whether it is known how the event resolves its
 * customer, so that a new one can be created with the batch's others in one statement
 * (create-ahead.ts): "exact", with exactly this identity (and user), as RecordEvents and a
 * Segment track with a groupId do; "unlessAccount", with this identity only if its user's uid
 * has no account yet (a Segment track without a groupId). Otherwise it is only looked up.
 */
export type Lookup = StoredEvent & { resolves?: "exact" | "unlessAccount"; segment?: true };

/**
 * What a command will look up or create, as events (identifiers, user uids, messageIds): what
 * phase 1 of the lock order locks and prefetches. Commands that name no customer give none.
 */
export function lookupsOf(command: Command): { appId: string; events: Lookup[] } | undefined {
  const named = (identity: { customerId?: string; uid?: string; customerEmail?: string }, user?: { uid: string }): StoredEvent => ({
    event: "", eventDate: 0, eventData: null, verified: true, ...identity, user,
  });
  const { appId } = command as { appId: string };
  switch (command.type) {
    case "RecordEvents":
      return { appId, events: command.events.map((event) => ({ ...event, resolves: "exact" })) };
    case "UpdateCustomer":
      return { appId, events: [named(command.identity, command.user)] };
    case "ApplySegmentBatch":
      return { appId, events: command.messages.flatMap(segmentLookups) };
    case "ApplyBilling":
      return { appId, events: command.changes.map((change) => named({ customerId: billingCustomerId(change) })) };
    default:
      return undefined;
  }
}

function billingCustomerId(change: BillingChange): string {
  switch (change.kind) {
    case "subscription":
      return change.state.customerId;
    case "customer":
      return change.customer.customerId;
    case "payment":
      return change.payment.customerId;
    default:
      return change.customerId;
  }
}

/**
 * The advisory lock key of a customer identifier (phase 1 of the lock order): 64 bits of its
 * hash, the same on every node. Two identifiers sharing a key only make their batches take turns.
 */
export function identityLockKey(appId: string, by: "customerId" | "uid" | "email", value: string): bigint {
  return BigInt.asIntN(64, BigInt(Bun.hash.wyhash(`trackd ${by} ${appId} ${value}`)));
}

/** The advisory lock keys of what an event names: its customerId and uid, or its email when it names neither. */
export function identityKeys(appId: string, event: StoredEvent): bigint[] {
  const keys: bigint[] = [];
  if (event.customerId !== undefined) keys.push(identityLockKey(appId, "customerId", event.customerId));
  if (event.uid !== undefined) keys.push(identityLockKey(appId, "uid", event.uid));
  if (keys.length === 0 && event.customerEmail !== undefined) keys.push(identityLockKey(appId, "email", event.customerEmail));
  return keys;
}

/**
 * What a Segment message will look up, as events (../segment-mapping.ts: groupId and userId are
 * uids, traits.customerId a customerId). A track resolves its customer as looked up: the
 * groupId's account with userId as its user, or else (unless userId has an account) userId
 * itself; identify and group only look up.
 */
function segmentLookups(message: SegmentMessage): Lookup[] {
  const user = message.userId === undefined ? undefined : { uid: message.userId };
  // The message's own messageId: an identify's makes a later track with it a repeat.
  const { messageId } = message;
  if (message.kind === "event") {
    const { event, groupId, userId } = message;
    if (groupId !== undefined) return [{ ...event, messageId, uid: groupId, user, resolves: "exact", segment: true }];
    return [{ ...event, messageId, uid: userId, user, resolves: "unlessAccount", segment: true }];
  }
  const none = { event: "", eventDate: 0, eventData: null, verified: true, messageId, segment: true as const };
  const traitsCustomerId = message.traits.customerId;
  return [
    { ...none, uid: message.groupId ?? message.userId, user },
    ...(message.kind === "group" ? [{ ...none, uid: message.groupId }] : []),
    ...(typeof traitsCustomerId === "string" ? [{ ...none, customerId: traitsCustomerId }] : []),
  ];
}
