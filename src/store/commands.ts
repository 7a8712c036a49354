// What features ask the store to write: typed commands, applied by a backend's applier (the
// SQLite one is sqlite/applier.ts) in batches, one transaction per batch, each command all or
// nothing, and each settled only after its transaction commits. Commands are plain data, so a
// second backend (PostgreSQL) implements the same list; how a command is carried out (identity
// resolution, messageId idempotency, the write-time counts) is the applier's business.
import type { Attributes } from "../attributes";
import type { AppRow, SubscriptionDiscount, SubscriptionItem } from "../db/schema";
import type { EventSource } from "../db/schema";
import type { ErrorDetail } from "../errors";
import type { Erased } from "./erase";
import type { PurgeStep } from "./retention";
import type { HealthRun } from "./scores";
import type { DashboardUser, Role } from "./shapes";

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

// Billing: the provider-neutral shape every billing source is turned into (billing/ parses
// Stripe's webhooks and sync pages, and POST /v1/api/subscriptions, into these).
/** A subscription as it stands at the provider at `at` (ms): what the subscriptions table keeps. */
export interface SubscriptionState {
  provider: string;
  subscriptionId: string;
  customerId: string;
  status: string;
  items: SubscriptionItem[];
  discounts: SubscriptionDiscount[];
  currency: string;
  trialStart: number | null;
  trialEnd: number | null;
  currentPeriodEnd: number | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: number | null;
  endedAt: number | null;
  startedAt: number | null;
}

/** A customer's record at the provider. null fields are left as trackd has them. */
export interface BillingCustomer {
  provider: string;
  customerId: string;
  email: string | null;
  name: string | null;
  /** Merged into the customer's attributes. */
  metadata: Record<string, string>;
}

export interface PaymentOutcome {
  provider: string;
  customerId: string;
  subscriptionId: string | null;
  invoiceId: string;
  paid: boolean;
  amount: number;
  currency: string;
  attempt: number | null;
}

/** Where a change came from: when it was true at the provider, and the provider's event id. */
export interface ChangeSource {
  at: number;
  eventId?: string;
  /** The billing history's label for a change (e.g. "subscription_paused"); derived from the change when absent. */
  kind?: string;
}

export type ApplyResult = "applied" | "unchanged" | "stale";

export type BillingChange =
  | { kind: "subscription"; state: SubscriptionState; source: ChangeSource }
  | { kind: "customer"; customer: BillingCustomer; source: ChangeSource }
  /** The provider deleted the customer: billing history only, the customer and its events stay. */
  | { kind: "customerDeleted"; provider: string; customerId: string; source: ChangeSource }
  | { kind: "payment"; payment: PaymentOutcome; source: ChangeSource }
  /** A fact with no state to change, such as Stripe's notice that a trial ends in three days. */
  | { kind: "note"; provider: string; customerId: string; note: string; source: ChangeSource; detail: Record<string, unknown> };

export interface BillingApplied {
  /** One per change, in order; `created`: a subscription change that made the subscription. */
  results: { result: ApplyResult; created?: boolean }[];
  /** MRR movements the changes recorded for the app. */
  movements: number;
}

// Apps, keys and dashboard accounts: the administrative writes (apps/, accounts/, the CLI).
/** A new app as stored; the service generates its id and signing secret. */
export interface NewApp {
  id: string;
  name: string;
  signingSecret: string;
  createdAt: number;
}

/** A new API key as stored: the secret only as its SHA-256 (hex). */
export interface NewApiKey {
  id: string;
  appId: string;
  secretHash: string;
  /** Comma-separated. */
  scopes: string;
  createdAt: number;
}

/** Settings columns of an app; undefined leaves one as it is, null clears a nullable one. */
export interface AppSettingsFields {
  requireVerified?: boolean;
  /** Comma-separated canonical origins, or "*". */
  allowedOrigins?: string;
  stripeWebhookSecret?: string | null;
  healthWeights?: Record<string, number> | null;
  retentionDays?: number | null;
}


export interface NewDashboardUser {
  id: string;
  /** Normalised (lower case). */
  email: string;
  role: Role;
  /** Bun.password's argon2id PHC string. */
  passwordHash: string;
  createdAt: number;
}

export type AdminCommand =
  /** The app and its first key, unless another app has the name (then nothing is written). */
  | { type: "CreateApp"; app: NewApp; key: NewApiKey }
  /** A further key; false (nothing written) when there is no such app. */
  | { type: "CreateKey"; key: NewApiKey }
  /** Sets revokedAt; false when no unrevoked key has that id (of that app, when appId is given). */
  | { type: "RevokeKey"; keyId: string; at: number; appId?: string }
  /** The app as it stands after the change; null when there is no such app. */
  | { type: "UpdateAppSettings"; appId: string; fields: AppSettingsFields }
  /** False when there is no such app. */
  | { type: "SetSigningSecret"; appId: string; signingSecret: string }
  /** The account; null (nothing written) when the email is taken. */
  | { type: "CreateUser"; user: NewDashboardUser }
  /** New password hash; every session of the account ends in the same transaction. False without the account. */
  | { type: "SetUserPassword"; userId: string; passwordHash: string; at: number }
  | { type: "SetUserRole"; userId: string; role: Role; at: number }
  /** The account and its sessions; false without the account. */
  | { type: "RemoveUser"; userId: string }
  | { type: "StartSession"; session: { tokenHash: string; userId: string; createdAt: number; lastSeenAt: number } }
  /** Moves lastSeenAt to `at`. */
  | { type: "TouchSession"; tokenHash: string; at: number }
  | { type: "EndSession"; tokenHash: string }
  /** Sessions idle since before `idleBefore` or created before `createdBefore`; settles with how many went. */
  | { type: "RemoveExpiredSessions"; idleBefore: number; createdBefore: number };

export type Command =
  | AdminCommand
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
  | { type: "ApplySegmentBatch"; appId: string; receivedAt: number; messages: SegmentMessage[] }
  /**
   * Billing changes, in order. With `once`, a provider event applied before changes nothing
   * (null); the mark that it was applied commits with its changes.
   */
  | { type: "ApplyBilling"; appId: string; changes: BillingChange[]; once?: { provider: string; eventId: string; eventType: string } };

/** The commands that change what authentication reads: a backend's credentials cache is dropped once they commit. */
export const CREDENTIAL_COMMANDS: ReadonlySet<string> = new Set(["CreateApp", "CreateKey", "RevokeKey", "UpdateAppSettings", "SetSigningSecret"]);

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
  ApplyBilling: BillingApplied | null;
  CreateApp: { takenBy: string } | null;
  CreateKey: boolean;
  RevokeKey: boolean;
  UpdateAppSettings: AppRow | null;
  SetSigningSecret: boolean;
  CreateUser: DashboardUser | null;
  SetUserPassword: boolean;
  SetUserRole: boolean;
  RemoveUser: boolean;
  StartSession: void;
  TouchSession: void;
  EndSession: void;
  RemoveExpiredSessions: number;
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
  if (command.type === "ApplySegmentBatch") return command.messages.length;
  return command.type === "ApplyBilling" ? Math.max(1, command.changes.length) : 1;
}
