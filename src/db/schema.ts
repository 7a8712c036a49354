// The only place tables exist. snake_case in SQL, camelCase in TypeScript.
// Times are integer milliseconds since the epoch (UTC); JSON attributes are TEXT.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const apps = sqliteTable("apps", {
  id: text("id").primaryKey(),
  // The app's key inside the store: the event and count tables hold this integer instead of
  // the text id, which the API keeps showing. Assigned at creation (max + 1) and never changed.
  // A narrower key in every row and index of the hot tables (bench/README.md, issue 18).
  pk: integer("pk").notNull().unique(),
  name: text("name").notNull(),
  // Kept retrievable (not hashed): the server must recompute client HMACs with it.
  signingSecret: text("signing_secret").notNull(),
  // Browser events (POST /v1/api/events/client): refuse those without a valid authHash?
  requireVerified: integer("require_verified", { mode: "boolean" }).notNull().default(false),
  // Comma-separated origins (scheme://host[:port]) browsers may send events from; "*" is any.
  allowedOrigins: text("allowed_origins").notNull().default("*"),
  // Stripe's webhook signing secret (whsec_...), kept retrievable to recompute signatures.
  stripeWebhookSecret: text("stripe_webhook_secret"),
  // Health score weights per factor; null means the defaults (src/health-weights.ts).
  healthWeights: text("health_weights", { mode: "json" }).$type<Record<string, number>>(),
  // Raw events older than this many days are purged in the background (src/retention); null keeps them forever.
  retentionDays: integer("retention_days"),
  createdAt: integer("created_at").notNull(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    appId: text("app_id")
      .notNull()
      .references(() => apps.id),
    // SHA-256 of the secret part of the key; the key itself is shown once and never stored.
    secretHash: text("secret_hash").notNull(),
    // Comma-separated: ingest (write routes), read (read routes), admin (erasure).
    scopes: text("scopes").notNull().default("ingest,read,admin"),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
    // When a server last accepted the key, written at most once per key every few minutes
    // (apps/service.ts), so it may be that much earlier than the real last use. Null: never
    // seen since this column exists.
    lastUsedAt: integer("last_used_at"),
  },
  (table) => [index("api_keys_app_idx").on(table.appId)],
);

/** Attributes and activity, kept the same way for customers and their B2B users. */
const attributesAndActivity = () => ({
  data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
  // Follow the events' eventDate (not arrival), so backfilled history lands in place.
  firstSeen: integer("first_seen"),
  lastSeen: integer("last_seen"),
  eventCount: integer("event_count").notNull().default(0),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const customers = sqliteTable(
  "customers",
  {
    pk: integer("pk").primaryKey(),
    appId: text("app_id")
      .notNull()
      .references(() => apps.id),
    customerId: text("customer_id"),
    uid: text("uid"),
    email: text("email"),
    ...attributesAndActivity(),
    // The billing summary over the customer's subscriptions (src/billing), kept on the row so
    // the list can filter and sort by it: null until a subscription is known.
    mrr: integer("mrr"),
    currency: text("currency"),
    billingStatus: text("billing_status"),
    plan: text("plan"),
    // The `created` time of the newest billing-provider change applied to the record: an older
    // customer.updated delivered late must not overwrite a newer one.
    billingUpdatedAt: integer("billing_updated_at"),
    billingDeletedAt: integer("billing_deleted_at"),
    // 0-100, written by the scoring pass (src/scoring); null until scored.
    healthScore: integer("health_score"),
  },
  (table) => [
    uniqueIndex("customers_app_customer_id_uq")
      .on(table.appId, table.customerId)
      .where(sql`${table.customerId} is not null`),
    uniqueIndex("customers_app_uid_uq").on(table.appId, table.uid).where(sql`${table.uid} is not null`),
    index("customers_app_email_idx").on(table.appId, table.email).where(sql`${table.email} is not null`),
    // The customer list's sort keys (the rowid is the tie-break, implicit in every index) and
    // its case-insensitive prefix search on email and the `name` attribute. event_count's
    // entry moves on every event (a few µs each, bench/README.md), but without it a list sorted
    // by eventCount took ~120 ms at 100k customers.
    index("customers_app_last_seen_idx").on(table.appId, table.lastSeen),
    index("customers_app_first_seen_idx").on(table.appId, table.firstSeen),
    index("customers_app_event_count_idx").on(table.appId, table.eventCount),
    index("customers_app_email_search_idx").on(table.appId, sql`lower(email)`),
    index("customers_app_name_search_idx").on(table.appId, sql`lower(data ->> '$.name')`),
    // Billing and health sorts and filters. These entries move only when billing or a score
    // changes, never per event.
    index("customers_app_mrr_idx").on(table.appId, table.mrr),
    index("customers_app_health_idx").on(table.appId, table.healthScore),
    index("customers_app_billing_status_idx").on(table.appId, table.billingStatus).where(sql`${table.billingStatus} is not null`),
    index("customers_app_plan_idx").on(table.appId, table.plan).where(sql`${table.plan} is not null`),
  ],
);

/** Where an event came in: /events/new, /events/bulk, /events/client, or the Segment routes (/v1/batch...). */
export const EVENT_SOURCES = ["server", "bulk", "client", "segment"] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

// B2B: the people inside a customer account. A user record belongs to exactly one customer; the
// same uid seen under two customers (a person in two workspaces) is two records, so per-account
// activity and seat counts stay per account.
export const users = sqliteTable(
  "users",
  {
    pk: integer("pk").primaryKey(),
    appId: text("app_id")
      .notNull()
      .references(() => apps.id),
    customerPk: integer("customer_pk")
      .notNull()
      .references(() => customers.pk),
    uid: text("uid").notNull(),
    ...attributesAndActivity(),
  },
  (table) => [
    uniqueIndex("users_customer_uid_uq").on(table.customerPk, table.uid),
    // A person's records across accounts, by uid alone: the Segment destination finds the
    // account a user was grouped into, and the users an identify is about (src/segment/).
    index("users_app_uid_idx").on(table.appId, table.uid),
  ],
);

// The hot table. `seq` is the rowid (no AUTOINCREMENT: it costs a write to sqlite_sequence
// per insert). `id` is the public id, evt_ and a UUIDv7 (unique by construction). Nothing looks
// an event up by it, so it has no index: its unique index cost ~60 bytes and a b-tree insert
// per event, a sixth of the database (bench/README.md).
// No foreign keys here: the writer resolves app and customer first, and an FK check would cost
// an extra lookup on every insert.
export const events = sqliteTable(
  "events",
  {
    seq: integer("seq").primaryKey(),
    id: text("id").notNull(),
    appPk: integer("app_pk").notNull(),
    customerPk: integer("customer_pk").notNull(),
    userPk: integer("user_pk"),
    event: text("event").notNull(),
    eventDate: integer("event_date").notNull(),
    receivedAt: integer("received_at").notNull(),
    eventData: text("event_data"),
    source: text("source", { enum: EVENT_SOURCES }).notNull(),
    verified: integer("verified", { mode: "boolean" }).notNull(),
    messageId: text("message_id"),
  },
  (table) => [
    uniqueIndex("events_app_message_id_uq")
      .on(table.appPk, table.messageId)
      .where(sql`${table.messageId} is not null`),
    index("events_app_date_idx").on(table.appPk, table.eventDate, table.seq),
    index("events_customer_date_idx").on(table.customerPk, table.eventDate, table.seq),
  ],
);

// Counts kept at write time, in the same transaction as the event, so that profiles, charts and
// metrics read a few small rows instead of scanning events. A duplicate (known messageId) is
// not counted; erasing a customer subtracts its counts. Days are UTC days since the epoch.

/** Per customer and event name: all-time count and first/last occurrence (by eventDate). */
export const customerEventStats = sqliteTable(
  "customer_event_stats",
  {
    customerPk: integer("customer_pk").notNull(),
    appPk: integer("app_pk").notNull(),
    event: text("event").notNull(),
    count: integer("count").notNull(),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.customerPk, table.event] }),
    index("customer_event_stats_app_event_idx").on(table.appPk, table.event),
  ],
);

/** Per customer, UTC day and event name: what activity charts and "last 7/30 days" sum. */
export const customerDailyCounts = sqliteTable(
  "customer_daily_counts",
  {
    customerPk: integer("customer_pk").notNull(),
    appPk: integer("app_pk").notNull(),
    day: integer("day").notNull(),
    event: text("event").notNull(),
    count: integer("count").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.customerPk, table.day, table.event] }),
    // Distinct active customers per interval, app-wide.
    index("customer_daily_counts_app_day_idx").on(table.appPk, table.day, table.customerPk),
  ],
);

/** Per customer and UTC day, all names together: list rows' 7/30-day totals, activity charts. */
export const customerDailyTotals = sqliteTable(
  "customer_daily_totals",
  {
    customerPk: integer("customer_pk").notNull(),
    appPk: integer("app_pk").notNull(),
    day: integer("day").notNull(),
    count: integer("count").notNull(),
  },
  (table) => [primaryKey({ columns: [table.customerPk, table.day] })],
);

/**
 * Distinct active customers per app and period (a day, a week from Monday, a calendar month;
 * `period` is the UTC day it starts on). Distinct counts can't be summed from days, so each is
 * kept as it grows: +1 when a customer's first event of that period is stored.
 */
export const appActiveCustomers = sqliteTable(
  "app_active_customers",
  {
    appPk: integer("app_pk").notNull(),
    interval: text("interval", { enum: ["day", "week", "month"] }).notNull(),
    period: integer("period").notNull(),
    customers: integer("customers").notNull(),
  },
  (table) => [primaryKey({ columns: [table.appPk, table.interval, table.period] })],
);

/** Per app, UTC day and event name: app-wide metrics. */
export const appDailyCounts = sqliteTable(
  "app_daily_counts",
  {
    appPk: integer("app_pk").notNull(),
    day: integer("day").notNull(),
    event: text("event").notNull(),
    count: integer("count").notNull(),
  },
  (table) => [primaryKey({ columns: [table.appPk, table.day, table.event] })],
);

/** Per app and event name: what GET /v1/api/events/names lists. */
export const appEventStats = sqliteTable(
  "app_event_stats",
  {
    appPk: integer("app_pk").notNull(),
    event: text("event").notNull(),
    count: integer("count").notNull(),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
  },
  (table) => [primaryKey({ columns: [table.appPk, table.event] })],
);

// Billing (src/billing): subscriptions from Stripe webhooks, `trackd stripe sync` or
// POST /v1/api/subscriptions. Money is an integer in the currency's minor unit (cents; yen).

/** One line of a subscription, with its own price normalised to a month. */
export interface SubscriptionItem {
  priceId: string | null;
  productId: string | null;
  productName: string | null;
  quantity: number;
  /** Per unit and per billing interval, before discounts. */
  unitAmount: number;
  interval: "day" | "week" | "month" | "year";
  intervalCount: number;
  /** This line's monthly amount (quantity included), before discounts. */
  mrr: number;
}

export interface SubscriptionDiscount {
  percentOff: number | null;
  /** Off each invoice, in the subscription's currency. */
  amountOff: number | null;
  /** When it stops applying (ms); null for forever. */
  end: number | null;
}

export const subscriptions = sqliteTable(
  "subscriptions",
  {
    pk: integer("pk").primaryKey(),
    appId: text("app_id")
      .notNull()
      .references(() => apps.id),
    provider: text("provider").notNull(),
    subscriptionId: text("subscription_id").notNull(),
    customerPk: integer("customer_pk")
      .notNull()
      .references(() => customers.pk),
    status: text("status").notNull(),
    /** The first item's price (or plan) id and its product's name: what "plan" filters on. */
    plan: text("plan"),
    planName: text("plan_name"),
    items: text("items", { mode: "json" }).$type<SubscriptionItem[]>().notNull(),
    discounts: text("discounts", { mode: "json" }).$type<SubscriptionDiscount[]>().notNull(),
    /** Seats: the items' quantities added up. */
    quantity: integer("quantity").notNull(),
    currency: text("currency").notNull(),
    /** Monthly recurring revenue it contributes now: 0 unless active or past_due. */
    mrr: integer("mrr").notNull(),
    trialStart: integer("trial_start"),
    trialEnd: integer("trial_end"),
    currentPeriodEnd: integer("current_period_end"),
    cancelAtPeriodEnd: integer("cancel_at_period_end", { mode: "boolean" }).notNull(),
    canceledAt: integer("canceled_at"),
    endedAt: integer("ended_at"),
    startedAt: integer("started_at"),
    /** When the state stored here was true at the provider (the Stripe event's `created`). */
    sourceUpdatedAt: integer("source_updated_at").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("subscriptions_app_provider_id_uq").on(table.appId, table.provider, table.subscriptionId),
    index("subscriptions_customer_idx").on(table.customerPk),
  ],
);

export const MRR_MOVEMENTS = ["new", "expansion", "contraction", "churn", "reactivation"] as const;
export type MrrMovement = (typeof MRR_MOVEMENTS)[number];

/**
 * A customer's billing history, shown in its timeline: MRR movements (of the customer's total,
 * as in MRR reports) and the other billing facts (payment failed, trial ending, canceled...).
 */
export const billingEvents = sqliteTable(
  "billing_events",
  {
    pk: integer("pk").primaryKey(),
    appId: text("app_id").notNull(),
    customerPk: integer("customer_pk").notNull(),
    subscriptionPk: integer("subscription_pk"),
    provider: text("provider").notNull(),
    kind: text("kind").notNull(),
    /** Set on MRR movements only. */
    movement: text("movement").$type<MrrMovement>(),
    occurredAt: integer("occurred_at").notNull(),
    currency: text("currency"),
    /** The customer's total MRR before and after (movements), in `currency`. */
    mrrBefore: integer("mrr_before"),
    mrrAfter: integer("mrr_after"),
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** The provider's event id, when it came from one. */
    sourceEventId: text("source_event_id"),
  },
  (table) => [
    index("billing_events_customer_idx").on(table.customerPk, table.occurredAt, table.pk),
    index("billing_events_app_movement_idx").on(table.appId, table.occurredAt).where(sql`${table.movement} is not null`),
  ],
);

/** Provider webhook events already applied: Stripe delivers at least once. */
export const providerEvents = sqliteTable(
  "provider_events",
  {
    appId: text("app_id").notNull(),
    provider: text("provider").notNull(),
    eventId: text("event_id").notNull(),
    type: text("type").notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.appId, table.provider, table.eventId] })],
);

/**
 * Segment messages that store no event (identify, group), by messageId: their idempotency
 * record, as events.message_id is for events. A repeat of one is answered and changes nothing.
 */
export const segmentMessages = sqliteTable(
  "segment_messages",
  {
    appId: text("app_id").notNull(),
    messageId: text("message_id").notNull(),
    type: text("type", { enum: ["identify", "group"] }).notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.appId, table.messageId] })],
);

/** Per app: what the last scoring pass found (the breadth median every score compares against). */
export const appHealthRuns = sqliteTable("app_health_runs", {
  appId: text("app_id").primaryKey(),
  medianBreadth: integer("median_breadth").notNull(),
  customersScored: integer("customers_scored").notNull(),
  durationMs: integer("duration_ms").notNull(),
  computedAt: integer("computed_at").notNull(),
});

// Dashboard accounts: people who sign in to the web pages. Separate from API keys (an API key
// never reaches a browser) and from `users` (a customer's B2B users).
export const dashboardUsers = sqliteTable("dashboard_users", {
  id: text("id").primaryKey(),
  // Lower-cased: one account per address however it is typed.
  email: text("email").notNull().unique(),
  // admin | viewer
  role: text("role").notNull(),
  // Bun.password (argon2id) PHC string: salt and parameters included.
  passwordHash: text("password_hash").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

// Dashboard sessions: the cookie holds a random token, the table only its SHA-256, so a copy
// of the database signs no one in.
export const dashboardSessions = sqliteTable(
  "dashboard_sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => dashboardUsers.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
    // Moved on use (at most once a minute): the idle expiry counts from here.
    lastSeenAt: integer("last_seen_at").notNull(),
  },
  (table) => [index("dashboard_sessions_user_idx").on(table.userId)],
);

// Coordination between trackd nodes sharing one PostgreSQL database (issue 19; schema.pg.ts
// says how they are used). One SQLite process never reads them: its cache follows PRAGMA
// data_version and it has no other node to take turns with. They exist here too so that the two
// schemas stay identical (test/db/schema-parity.test.ts) and `migrate-to` copies every table.
export const cacheVersions = sqliteTable("cache_versions", {
  name: text("name").primaryKey(),
  version: integer("version").notNull(),
});

export const leases = sqliteTable("leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

export type AppRow = typeof apps.$inferSelect;
export type CustomerRow = typeof customers.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type BillingEventRow = typeof billingEvents.$inferSelect;
export type DashboardUserRow = typeof dashboardUsers.$inferSelect;
