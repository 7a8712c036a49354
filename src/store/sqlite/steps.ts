// What one job can do on the write path, step by step: the applier's own commands use these,
// and so does the Segment mapping (segment.ts), which composes them per message.
import type { Attributes } from "../../attributes";
import type { EventSource, Identity, StoredEvent, UserChange, WriteResult } from "../commands";
import type { Resolved } from "../identity";
import type { CustomerIdentity } from "../ingest";

/** The write steps; valid only inside the job they were made for. */
export interface WriteSteps {
  /** Stores the event unless its messageId is known; `resolved`: a customer the caller already found. */
  writeEvent(appId: string, event: StoredEvent, source: EventSource, resolved?: Resolved): WriteResult;
  resolveCustomer(appId: string, identity: Identity): Resolved;
  updateCustomerAttributes(pk: number, update: { customerData?: Attributes; customerEmail?: string }): void;
  upsertUser(appId: string, customerPk: number, input: UserChange): { pk: number };
  /** Merges `data` into the user record's attributes. */
  updateUserData(userPk: number, data: Attributes): void;
  eventIdByMessageId(appId: string, messageId: string): string | undefined;
  newestCustomerOfUser(appId: string, uid: string): CustomerIdentity | undefined;
  usersByUid(appId: string, uid: string): { pk: number }[];
}
