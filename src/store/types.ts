// The store as features see it: one object, backend-neutral, every method returning a Promise.
// Writes are typed commands (commands.ts) through `apply`; reads are grouped by table group
// below. A backend (SQLite: sqlite/store.ts; PostgreSQL: issue 19) implements this interface and
// nothing else is visible to features: no Drizzle handle, no bun:sqlite, no prepared statement.
//
// Conventions every backend keeps:
// - Times are epoch milliseconds (numbers); days are whole UTC days since the epoch (periods.ts
//   `dayOf`); `fromDay`/`toDay` bounds say in each method whether they are inclusive.
// - Ids of rows (`pk`) are positive integers that only grow: a newer row has a larger pk.
// - "undefined" means not found; lists are empty rather than undefined.
// - Counts and sums are JS numbers, never strings (cast on PostgreSQL).
// - JSON columns (customers.data, users.data, apps.health_weights, subscription items) come back
//   parsed; `eventData` of events comes back as the JSON text stored (export writes it as is).
// - Every read is scoped to the app it names: another app's rows are never returned.
// - Text is ordered and compared byte by byte (SQLite's BINARY; COLLATE "C" on PostgreSQL),
//   whatever the database's locale. A NULL sorts first ascending and last descending (SQLite's
//   rule; PostgreSQL's is the reverse, so its reads say NULLS FIRST/LAST).
// - Lists "oldest first (createdAt)" break ties by id: no backend has an insertion order to fall back on.
import type { AppRow, BillingEventRow, CustomerRow, DashboardUserRow, EventSource, MrrMovement, SubscriptionRow } from "../db/schema";
import type { Applier } from "./commands";
import type { CustomerListRow, DashboardUser, ListFilter } from "./shapes";
import type { ExportFilter, ExportRow } from "./export";
import type { SubscriptionFields } from "./scores";
import type { WriterObserver } from "./writer";

// Row shapes, re-exported so that features take them from the store, never from src/db.
export type { AppRow, BillingEventRow, CustomerRow, DashboardUserRow, SubscriptionRow };
export type { EventSource, MrrMovement, SubscriptionDiscount, SubscriptionItem } from "../db/schema";
export type { CustomerListRow, ListFilter, Role, Sort, SortKey } from "./shapes";
export type { ExportFilter, ExportRow } from "./export";
export type { HealthRun, SubscriptionFields } from "./scores";
export type { PurgeStep } from "./retention";
export type { DashboardUser } from "./shapes";
export type { WriterObserver } from "./writer";

/** An API key as stored: only the SHA-256 of its secret (hex), scopes comma-separated. */
export interface ApiKeyRow {
  id: string;
  appId: string;
  secretHash: string;
  /** Comma-separated scopes (apps/keys.ts SCOPES). */
  scopes: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/** A B2B user record of a customer (db/schema.ts users). */
export interface UserRow {
  pk: number;
  appId: string;
  customerPk: number;
  uid: string;
  data: Record<string, unknown>;
  firstSeen: number | null;
  lastSeen: number | null;
  eventCount: number;
  createdAt: number;
  updatedAt: number;
}

/** Per customer and event name, all time (customer_event_stats / app_event_stats). */
export interface EventStat {
  event: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

export interface SessionRow {
  /** SHA-256 (hex) of the cookie's token; the token itself is never stored. */
  tokenHash: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
}

/** A (day, count) pair of a per-day count table. */
export interface DayCount {
  day: number;
  count: number;
}

// ---------------------------------------------------------------------------------------------

/**
 * Apps and API keys (apps, api_keys): what authentication reads on every request. A backend may
 * serve `keyWithApp`, `app` and `allowedOriginLists` from a cache; a change committed through
 * `apply` (by this process, another process, or another node) must be seen within the backend's
 * documented bound (SQLite: by the next read after the commit; its cache checks PRAGMA
 * data_version). Cached answers may be the same object twice: callers treat them as read-only.
 */
export interface CredentialsReads {
  /** The key and its app (revoked keys included: the caller tells "revoked" from "unknown"). */
  keyWithApp(keyId: string): Promise<{ key: ApiKeyRow; app: AppRow } | undefined>;
  /** One app by id. */
  app(appId: string): Promise<AppRow | undefined>;
  /** One key by id, uncached (for listings). */
  key(keyId: string): Promise<ApiKeyRow | undefined>;
  /** The app's keys, revoked ones included, oldest first (createdAt, then id). */
  keysOf(appId: string): Promise<ApiKeyRow[]>;
  /** Every app's allowed_origins as stored (comma-separated), each distinct value once, any order. */
  allowedOriginLists(): Promise<string[]>;
  /** Every app, oldest first (createdAt, then id), each with its number of unrevoked keys. */
  appsWithActiveKeys(): Promise<{ app: AppRow; activeKeys: number }[]>;
  countApps(): Promise<number>;
}

/** Dashboard accounts and their sessions (dashboard_users, dashboard_sessions). Emails are stored normalised (lower case). */
export interface AccountReads {
  userByEmail(email: string): Promise<DashboardUserRow | undefined>;
  userById(id: string): Promise<DashboardUserRow | undefined>;
  /** Every account without its password hash, oldest first (createdAt, then id). */
  listUsers(): Promise<DashboardUser[]>;
  countUsers(): Promise<number>;
  countAdmins(): Promise<number>;
  /** The session with this token hash and its user; expiry is the caller's business. */
  session(tokenHash: string): Promise<{ session: SessionRow; user: DashboardUserRow } | undefined>;
}

/** How a customer is looked up: customerId (billing's id), uid (the product's id) or email. */
export type CustomerLookup = "customerId" | "uid" | "email";

/** Customers, their users and their per-customer counts, for the profile and the timeline. */
export interface CustomerReads {
  /**
   * The app's customer with that customerId, uid or email (exact match). Emails are not unique:
   * by email, the customer with the smallest pk that has it.
   */
  find(appId: string, by: CustomerLookup, value: string): Promise<CustomerRow | undefined>;
  byPk(pk: number): Promise<CustomerRow | undefined>;
  /** The customer's users, by uid ascending. */
  usersOf(customerPk: number): Promise<UserRow[]>;
  /** The customer's all-time count per event name, most frequent first, then by name ascending. */
  eventStats(customerPk: number): Promise<EventStat[]>;
  /**
   * Per event name with any count on a day >= `since30Day`: the sum over days >= `since7Day`
   * (last7d) and over days >= `since30Day` (last30d). Any order; names with no such day are absent.
   */
  recentByEvent(customerPk: number, since7Day: number, since30Day: number): Promise<{ event: string; last7d: number; last30d: number }[]>;
  /**
   * The customer's events per day for days in [fromDay, toDay] (both inclusive), of every name
   * or of `event` only; days without events are absent; ascending by day.
   */
  dailyCounts(customerPk: number, fromDay: number, toDay: number, event?: string): Promise<DayCount[]>;
}

/**
 * GET /v1/api/customers: one page of the app's customers. The filter, sort, cursor and row
 * shape are defined in shapes.ts (so are encodeListCursor / decodeListCursor,
 * backend-neutral: a cursor is [sort, sort value, pk]). Contract: keyset pages ordered by the
 * sort's column, then pk, in the sort's direction; customers with no value for the sort column
 * (null) come after all others in either direction, ordered by pk in the sort's direction. A
 * malformed or foreign cursor throws AppError VALIDATION_FAILED naming /cursor. `eventsLast7d`
 * and `eventsLast30d` are the customer's daily totals over days >= dayOf(now) - 6 and - 29.
 */
export interface CustomerListReads {
  list(appId: string, filter: ListFilter, now: number): Promise<{ customers: CustomerListRow[]; nextCursor: string | null }>;
}

/** One row of the event list, newest first. */
export interface EventListRow {
  seq: number;
  id: string;
  event: string;
  customerId: string | null;
  uid: string | null;
  /** The uid of the event's B2B user, if it had one. */
  userUid: string | null;
  eventDate: number;
  receivedAt: number;
  /** JSON text as stored, or null. */
  eventData: string | null;
  source: EventSource;
  verified: boolean;
  messageId: string | null;
}

export interface EventPageFilter {
  customerPk?: number;
  /** One B2B user record (users.pk). */
  userPk?: number;
  verified?: boolean;
  event?: string;
  /** eventDate >= from (ms). */
  from?: number;
  /** eventDate < to (ms). */
  to?: number;
  /** Only events strictly after this position in the order below (a cursor). */
  after?: { eventDate: number; seq: number };
  limit: number;
}

/** The events table (events, joined to their customer and user). */
export interface EventReads {
  /**
   * Up to `limit` of the app's events matching every given filter, ordered by eventDate
   * descending then seq descending (seq: the insertion order, unique).
   */
  page(appId: string, filter: EventPageFilter): Promise<EventListRow[]>;
  /** The pk of the customer's user with that uid. */
  userPk(customerPk: number, uid: string): Promise<number | undefined>;
}

/** App-wide counts kept at write time (app_daily_counts, app_active_customers, app_event_stats, …). */
export interface CountReads {
  /** Events per (day, name) for days in [fromDay, toDay) (toDay exclusive), of every name or of `event`; any order. */
  dailyCounts(appId: string, fromDay: number, toDay: number, event?: string): Promise<{ day: number; event: string; count: number }[]>;
  /**
   * Distinct active customers per period of `interval` (period: the period's first day) for
   * periods starting in [fromDay, toDay); periods with none are absent; any order.
   */
  activeCustomers(appId: string, interval: "day" | "week" | "month", fromDay: number, toDay: number): Promise<{ period: number; customers: number }[]>;
  /** Distinct customers with at least one `event` on a day in [fromDay, toDay). */
  activeCustomersOfEvent(appId: string, event: string, fromDay: number, toDay: number): Promise<number>;
  /** Every event name the app has seen, all time, most frequent first, then by name ascending. */
  eventNames(appId: string): Promise<EventStat[]>;
  /** Per event name: how many of the app's customers ever did it; any order. */
  customersPerEvent(appId: string): Promise<{ event: string; customers: number }[]>;
  /**
   * The app's customers, and how many have a stored health score in each grade's range
   * (grades.ts GRADE_RANGES: healthy >= healthy.min, watch within its range, atRisk <= at_risk.max).
   */
  grades(appId: string): Promise<{ customers: number; healthy: number; watch: number; atRisk: number }>;
}

/** App-wide billing figures (billing/metrics.ts turns them into per-currency metrics). */
export interface BillingFigures {
  /** Customers with a billing status, per (currency, status): count, sum of mrr, count with mrr > 0. */
  byStatus: { currency: string | null; status: string | null; customers: number; mrr: number; paying: number }[];
  /** Customers with mrr > 0 whose health score is within `atRisk`, per currency. */
  atRisk: { currency: string | null; customers: number; mrr: number }[];
  /** Billing events with a movement and occurredAt in [from, to): delta = mrrAfter - mrrBefore. */
  movements: { currency: string | null; movement: MrrMovement | null; occurredAt: number; delta: number }[];
}

/** Billing's rows (subscriptions, billing_events) for the profile, the timeline and the metrics. */
export interface BillingReads {
  /**
   * The customer's billing history, newest first (occurredAt descending, then pk descending):
   * occurredAt in [from, to) when given, strictly before the position `before` when given.
   */
  history(customerPk: number, page: { from?: number; to?: number; before?: { at: number; pk: number }; limit: number }): Promise<BillingEventRow[]>;
  /** The customer's subscriptions, newest start first (startedAt descending, none last, then pk descending). */
  subscriptionsOf(customerPk: number): Promise<SubscriptionRow[]>;
  /** The kind ("payment_succeeded" or "payment_failed") of the customer's latest payment event (occurredAt, then pk). */
  lastPaymentKind(customerPk: number): Promise<string | undefined>;
  findSubscription(appId: string, provider: string, subscriptionId: string): Promise<SubscriptionRow | undefined>;
  /** `atRisk`: the health-score range graded at risk. Ordering of byStatus: currency, then mrr descending, then status. */
  figures(appId: string, from: number, to: number, atRisk: { min: number; max: number }): Promise<BillingFigures>;
}

/** A range of one app's customers by pk, both ends inclusive. */
export interface PkRange {
  appId: string;
  lo: number;
  hi: number;
}

/** What health scoring gathers, per range of customers (scoring/service.ts); every list in any order. */
export interface ScoreReads {
  /** The app's customer pks, in any order. */
  customerPks(appId: string): Promise<number[]>;
  customersIn(range: PkRange): Promise<{ pk: number; lastSeen: number | null; healthScore: number | null }[]>;
  /**
   * Per customer of the range with a daily total on a day >= since28: events on days >= since14
   * (last14), on days in [since28, since14) (prior14), and the number of days >= since7 with events.
   */
  totals(range: PkRange & { since7: number; since14: number; since28: number }): Promise<{ pk: number; last14: number; prior14: number; activeDays7: number }[]>;
  /** Per customer of the range with events on a day >= since30: the number of distinct event names. */
  breadths(range: PkRange & { since30: number }): Promise<{ pk: number; breadth: number }[]>;
  /**
   * Per customer of the range with users: their number, and how many have lastSeen >= activeSince
   * (null, as SQLite's sum() gives it, when none of them was ever seen).
   */
  users(range: PkRange & { activeSince: number }): Promise<{ pk: number; users: number; activeUsers: number }[]>;
  /** Every subscription of the range's customers (cancelAtPeriodEnd as 0/1). */
  subscriptions(range: PkRange): Promise<SubscriptionFields[]>;
  /** Per customer of the range: its latest payment_failed/payment_succeeded billing event (occurredAt, then pk). */
  latestPayments(range: PkRange): Promise<{ pk: number; kind: string; occurredAt: number }[]>;
  /** What the app's last pass stored (SaveHealthRun), if it had one. */
  storedMedian(appId: string): Promise<{ medianBreadth: number; computedAt: number } | undefined>;
  /**
   * Every app (or only `appId`), oldest first (createdAt, then id), with its health weights as
   * JSON text (null: the defaults); parse it: PostgreSQL's jsonb gives its keys in its own order.
   */
  appsToScore(appId: string | null): Promise<{ id: string; weights: string | null }[]>;
}

/** Export: every event of an app (or of one customer), streamed a page at a time. */
export interface ExportReads {
  /**
   * The events matching `filter` (eventDate in [from, to), of one customer when customerPk is
   * given), ordered by eventDate then seq ascending, in pages of at most `pageSize` (no empty
   * pages). A snapshot: events committed after the first page was read are not included. Only
   * one page is held in memory; breaking out of the loop releases what the backend holds.
   */
  pages(appId: string, filter: ExportFilter, pageSize?: number): AsyncIterable<ExportRow[]>;
  /** About how many events the export holds, from the daily counts (whole UTC days of the range): for progress. */
  estimate(appId: string, filter: ExportFilter): Promise<number>;
}

export interface RetentionReads {
  /** The apps with a retention period, oldest first (createdAt, then id). */
  appsWithRetention(): Promise<{ id: string; retentionDays: number }[]>;
}

/** The database as a whole: GET /healthz and the Prometheus size gauge. */
export interface DatabaseProbe {
  /** Rejects when the database does not answer. */
  ping(): Promise<void>;
  /** Bytes the database takes (SQLite: the main file's pages; PostgreSQL: pg_database_size). */
  bytes(): Promise<number>;
}

/**
 * The queue commands wait in before their transaction (SQLite: the group-commit writer), as
 * GET /metrics reports it.
 */
export interface WriteQueue {
  /** Events (command weights) waiting to be committed. */
  readonly pending: number;
  /** Told about every committed batch and every command refused because the queue was full. */
  observe(observer: WriterObserver): void;
}

/** Everything features may ask of storage. */
export interface Store extends Applier {
  queue: WriteQueue;
  credentials: CredentialsReads;
  accounts: AccountReads;
  customers: CustomerReads;
  customerList: CustomerListReads;
  events: EventReads;
  counts: CountReads;
  billing: BillingReads;
  scores: ScoreReads;
  export: ExportReads;
  retention: RetentionReads;
  database: DatabaseProbe;
}

export type { Applier, Command, ResultOf } from "./commands";
