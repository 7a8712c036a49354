// What one command can do on the write path, step by step: the Segment mapping
// (segment-mapping.ts) composes these per message, once for both backends. SQLite's steps are
// synchronous and PostgreSQL's are not, so each step is an `Op`: a generator that returns the
// step's value, yielding a promise whenever it must wait for one. SQLite's never yield, and
// `runSync` finishes them in one call; `runAsync` awaits PostgreSQL's. Shared logic is written
// once, with `yield*` where it calls a step.
import type { Attributes } from "../attributes";
import type { EventSource, Identity, StoredEvent, UserChange, WriteResult } from "./commands";
import type { Resolved } from "./identity";
import type { CustomerIdentity } from "./ingest";

export type Op<T> = Generator<unknown, T, unknown>;

/** A step with nothing to wait for. */
export function* done<T>(value: T): Op<T> {
  return value;
}

/** A step that waits for a promise. */
export function* awaited<T>(promise: Promise<T>): Op<T> {
  return (yield promise) as T;
}

/** Runs an op that never waits (every SQLite step). */
export function runSync<T>(op: Op<T>): T {
  const step = op.next();
  if (!step.done) throw new Error("a synchronous step waited for a promise");
  return step.value;
}

export async function runAsync<T>(op: Op<T>): Promise<T> {
  let step = op.next();
  while (!step.done) step = op.next(await step.value);
  return step.value;
}

/** The write steps; valid only inside the command they were made for. */
export interface WriteSteps {
  /** Stores the event unless its messageId is known; `resolved`: a customer the caller already found. */
  writeEvent(appId: string, event: StoredEvent, source: EventSource, resolved?: Resolved): Op<WriteResult>;
  resolveCustomer(appId: string, identity: Identity): Op<Resolved>;
  updateCustomerAttributes(pk: number, update: { customerData?: Attributes; customerEmail?: string }): Op<void>;
  upsertUser(appId: string, customerPk: number, input: UserChange): Op<{ pk: number }>;
  /** Merges `data` into the user record's attributes. */
  updateUserData(userPk: number, data: Attributes): Op<void>;
  eventIdByMessageId(appId: string, messageId: string): Op<string | undefined>;
  newestCustomerOfUser(appId: string, uid: string): Op<CustomerIdentity | undefined>;
  usersByUid(appId: string, uid: string): Op<{ pk: number }[]>;
  /** Whether an identify or group message with this id was applied (segment_messages). */
  isKnownMessage(appId: string, messageId: string): Op<boolean>;
  recordMessage(row: { appId: string; messageId: string; type: "identify" | "group"; receivedAt: number }): Op<void>;
}
