// What features ask the store to write: typed commands, applied by a backend's applier (the
// SQLite one is sqlite/applier.ts) in batches, one transaction per batch, each command all or
// nothing, and each settled only after its transaction commits. Commands are plain data, so a
// second backend (PostgreSQL) implements the same list; how a command is carried out (identity
// resolution, messageId idempotency, the write-time counts) is the applier's business.
import type { Attributes } from "../attributes";
import type { EventSource } from "../db/schema";
import type { ErrorDetail } from "../errors";
import type { Erased } from "./erase";
import type { PurgeStep } from "./retention";
import type { HealthRun } from "./scores";

export type { EventSource };

/** How a customer is named: by customerId (the billing provider's id), uid (the product's own id) or email. */
export interface Identity {
  customerId?: string;
  uid?: string;
  customerEmail?: string;
}

export type CustomerKey = "customerId" | "uid" | "email";

export interface UserChange {
  uid: string;
  data?: Attributes;
}

/** One event ready to store: validated and normalised by the feature that received it. */
export interface StoredEvent extends Identity {
  event: string;
  eventDate: number;
  /** JSON text, already measured. */
  eventData: string | null;
  user?: UserChange;
  customerData?: Attributes;
  messageId?: string;
  /** Whether the identity is proven: only then may the event link or change a customer. */
  verified: boolean;
}

export interface WriteResult {
  id: string;
  duplicate: boolean;
  warnings: ErrorDetail[];
}

export interface ErasedCustomer extends Erased {
  customer: { customerId: string | null; uid: string | null; email: string | null };
}

/** A Segment message mapped onto customers and users (src/segment/ normalises it). */
export type SegmentMessage =
  | { kind: "event"; messageId?: string; event: StoredEvent; userId?: string; groupId?: string }
  | { kind: "identify"; messageId?: string; userId: string; groupId?: string; traits: Attributes }
  | { kind: "group"; messageId?: string; groupId: string; userId?: string; traits: Attributes };

export interface SegmentOutcome {
  duplicate: boolean;
  warnings: ErrorDetail[];
  /** An event message: what was written, for the metrics and the Live page once committed. */
  written?: { event: StoredEvent; result: WriteResult };
}

export type Command =
  /** Stores the events (a messageId already stored returns the original's id); all or none. */
  | { type: "RecordEvents"; appId: string; source: EventSource; events: StoredEvent[] }
  /** Finds or creates the customer (and user), and merges the attributes given. */
  | { type: "UpdateCustomer"; appId: string; identity: Identity; customerData?: Attributes; customerEmail?: string; user?: UserChange }
  /** The customer, its users, events, billing and every count derived from them; null when there is no such customer. */
  | { type: "EraseCustomer"; appId: string; by: CustomerKey; value: string }
  /** Stored health scores, from a scoring pass. */
  | { type: "SetScores"; changes: { pk: number; score: number }[] }
  | { type: "SaveHealthRun"; run: HealthRun }
  /** One bounded step of an app's retention purge. */
  | { type: "PurgeRetention"; appId: string; horizon: number; limit: number }
  | { type: "RecordKeyUse"; keyId: string; at: number }
  /** A Segment batch's valid messages, each applied once per messageId; one outcome per message. */
  | { type: "ApplySegmentBatch"; appId: string; receivedAt: number; messages: SegmentMessage[] };

/** What each command settles with. */
export interface CommandResults {
  RecordEvents: WriteResult[];
  UpdateCustomer: { customerPk: number; warnings: ErrorDetail[] };
  EraseCustomer: ErasedCustomer | null;
  SetScores: void;
  SaveHealthRun: void;
  PurgeRetention: PurgeStep;
  RecordKeyUse: void;
  ApplySegmentBatch: SegmentOutcome[];
}

export type ResultOf<C extends Command> = CommandResults[C["type"]];

/** The write side of the store, as features see it: Promise-returning, backend-neutral. */
export interface Applier {
  /** Settles after the command's transaction commits; rejects when the command failed (and undid all of itself). */
  apply<C extends Command>(command: C): Promise<ResultOf<C>>;
}

/** Events a command counts against the writer's queue cap. */
export function weightOf(command: Command): number {
  if (command.type === "RecordEvents") return command.events.length;
  return command.type === "ApplySegmentBatch" ? command.messages.length : 1;
}
