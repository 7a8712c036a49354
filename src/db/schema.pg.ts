// The PostgreSQL mirror of schema.ts (issue 19): the same tables, columns, keys and indexes,
// in PostgreSQL's types. Drizzle has no dialect-agnostic schema, so the two are written twice;
// test/db/schema-parity.test.ts fails in CI when they drift. Change both together, then
// generate both migrations (README, "PostgreSQL (in progress)").
//
// Type mapping, column for column:
// - SQLite INTEGER (times in ms, counts, money, days, row keys) → bigint, mode "number": the
//   same 64-bit range as SQLite, so a database moved from SQLite cannot overflow, and values
//   come back as JS numbers as bun:sqlite returns them (ms times need more than int4 anyway).
// - SQLite integer in boolean mode → boolean.
// - SQLite TEXT in json mode → jsonb: queried with ->> 'key' (not SQLite's '$.key').
// - SQLite's rowid keys (`pk`, `seq`) → bigint identity columns, BY DEFAULT so that rows moved
//   from SQLite keep their keys.
import { sql } from "drizzle-orm";
import { bigint, boolean, index, jsonb, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { EVENT_SOURCES, type MrrMovement, type SubscriptionDiscount, type SubscriptionItem } from "./schema";

/** A 64-bit integer read as a JS number: ms timestamps, counts, money, days. */
const int = (name: string) => bigint(name, { mode: "number" });
/** A row key assigned by the database, as SQLite's rowid is. */
const rowKey = (name: string) => int(name).primaryKey().generatedByDefaultAsIdentity();

export const apps = pgTable("apps", {
  id: text("id").primaryKey(),
  // The store's integer key for the app (schema.ts says why): max + 1, under an advisory lock
  // (store/pg/admin.ts), as SQLite's store numbers it, so the two schemas stay the same.
  pk: int("pk").notNull().unique(),
  name: text("name").notNull(),
  signingSecret: text("signing_secret").notNull(),
  requireVerified: boolean("require_verified").notNull().default(false),
  allowedOrigins: text("allowed_origins").notNull().default("*"),
  stripeWebhookSecret: text("stripe_webhook_secret"),
  healthWeights: jsonb("health_weights").$type<Record<string, number>>(),
  retentionDays: int("retention_days"),
  createdAt: int("created_at").notNull(),
});

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    appId: text("app_id")
      .notNull()
      .references(() => apps.id),
    secretHash: text("secret_hash").notNull(),
    scopes: text("scopes").notNull().default("ingest,read,admin"),
    createdAt: int("created_at").notNull(),
    revokedAt: int("revoked_at"),
    lastUsedAt: int("last_used_at"),
  },
  (table) => [index("api_keys_app_idx").on(table.appId)],
);

/** Attributes and activity, kept the same way for customers and their B2B users. */
const attributesAndActivity = () => ({
  data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
  firstSeen: int("first_seen"),
  lastSeen: int("last_seen"),
  eventCount: int("event_count").notNull().default(0),
  createdAt: int("created_at").notNull(),
  updatedAt: int("updated_at").notNull(),
});

export const customers = pgTable(
  "customers",
  {
    pk: rowKey("pk"),
    appId: text("app_id")
      .notNull()
      .references(() => apps.id),
    customerId: text("customer_id"),
    uid: text("uid"),
    email: text("email"),
    ...attributesAndActivity(),
    mrr: int("mrr"),
    currency: text("currency"),
    billingStatus: text("billing_status"),
    plan: text("plan"),
    billingUpdatedAt: int("billing_updated_at"),
    billingDeletedAt: int("billing_deleted_at"),
    healthScore: int("health_score"),
  },
  (table) => [
    uniqueIndex("customers_app_customer_id_uq")
      .on(table.appId, table.customerId)
      .where(sql`${table.customerId} is not null`),
    uniqueIndex("customers_app_uid_uq").on(table.appId, table.uid).where(sql`${table.uid} is not null`),
    index("customers_app_email_idx").on(table.appId, table.email).where(sql`${table.email} is not null`),
    index("customers_app_last_seen_idx").on(table.appId, table.lastSeen),
    index("customers_app_first_seen_idx").on(table.appId, table.firstSeen),
    index("customers_app_event_count_idx").on(table.appId, table.eventCount),
    index("customers_app_email_search_idx").on(table.appId, sql`lower(email)`),
    index("customers_app_name_search_idx").on(table.appId, sql`lower(data ->> 'name')`),
    index("customers_app_mrr_idx").on(table.appId, table.mrr),
    index("customers_app_health_idx").on(table.appId, table.healthScore),
    index("customers_app_billing_status_idx").on(table.appId, table.billingStatus).where(sql`${table.billingStatus} is not null`),
    index("customers_app_plan_idx").on(table.appId, table.plan).where(sql`${table.plan} is not null`),
  ],
);

export const users = pgTable(
  "users",
  {
    pk: rowKey("pk"),
    appId: text("app_id")
      .notNull()
      .references(() => apps.id),
    customerPk: int("customer_pk")
      .notNull()
      .references(() => customers.pk),
    uid: text("uid").notNull(),
    ...attributesAndActivity(),
  },
  (table) => [
    uniqueIndex("users_customer_uid_uq").on(table.customerPk, table.uid),
    index("users_app_uid_idx").on(table.appId, table.uid),
  ],
);

// No foreign keys on the hot table, as on SQLite (schema.ts says why).
export const events = pgTable(
  "events",
  {
    seq: rowKey("seq"),
    id: text("id").notNull(),
    appPk: int("app_pk").notNull(),
    customerPk: int("customer_pk").notNull(),
    userPk: int("user_pk"),
    event: text("event").notNull(),
    eventDate: int("event_date").notNull(),
    receivedAt: int("received_at").notNull(),
    // Stored as the JSON text the client sent, exactly as on SQLite: nothing queries into it.
    eventData: text("event_data"),
    source: text("source", { enum: EVENT_SOURCES }).notNull(),
    verified: boolean("verified").notNull(),
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

export const customerEventStats = pgTable(
  "customer_event_stats",
  {
    customerPk: int("customer_pk").notNull(),
    appPk: int("app_pk").notNull(),
    event: text("event").notNull(),
    count: int("count").notNull(),
    firstSeen: int("first_seen").notNull(),
    lastSeen: int("last_seen").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.customerPk, table.event] }),
    index("customer_event_stats_app_event_idx").on(table.appPk, table.event),
  ],
);

export const customerDailyCounts = pgTable(
  "customer_daily_counts",
  {
    customerPk: int("customer_pk").notNull(),
    appPk: int("app_pk").notNull(),
    day: int("day").notNull(),
    event: text("event").notNull(),
    count: int("count").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.customerPk, table.day, table.event] }),
    index("customer_daily_counts_app_day_idx").on(table.appPk, table.day, table.customerPk),
  ],
);

export const customerDailyTotals = pgTable(
  "customer_daily_totals",
  {
    customerPk: int("customer_pk").notNull(),
    appPk: int("app_pk").notNull(),
    day: int("day").notNull(),
    count: int("count").notNull(),
  },
  (table) => [primaryKey({ columns: [table.customerPk, table.day] })],
);

export const appActiveCustomers = pgTable(
  "app_active_customers",
  {
    appPk: int("app_pk").notNull(),
    interval: text("interval", { enum: ["day", "week", "month"] }).notNull(),
    period: int("period").notNull(),
    customers: int("customers").notNull(),
  },
  (table) => [primaryKey({ columns: [table.appPk, table.interval, table.period] })],
);

export const appDailyCounts = pgTable(
  "app_daily_counts",
  {
    appPk: int("app_pk").notNull(),
    day: int("day").notNull(),
    event: text("event").notNull(),
    count: int("count").notNull(),
  },
  (table) => [primaryKey({ columns: [table.appPk, table.day, table.event] })],
);

export const appEventStats = pgTable(
  "app_event_stats",
  {
    appPk: int("app_pk").notNull(),
    event: text("event").notNull(),
    count: int("count").notNull(),
    firstSeen: int("first_seen").notNull(),
    lastSeen: int("last_seen").notNull(),
  },
  (table) => [primaryKey({ columns: [table.appPk, table.event] })],
);

export const subscriptions = pgTable(
  "subscriptions",
  {
    pk: rowKey("pk"),
    appId: text("app_id")
      .notNull()
      .references(() => apps.id),
    provider: text("provider").notNull(),
    subscriptionId: text("subscription_id").notNull(),
    customerPk: int("customer_pk")
      .notNull()
      .references(() => customers.pk),
    status: text("status").notNull(),
    plan: text("plan"),
    planName: text("plan_name"),
    items: jsonb("items").$type<SubscriptionItem[]>().notNull(),
    discounts: jsonb("discounts").$type<SubscriptionDiscount[]>().notNull(),
    quantity: int("quantity").notNull(),
    currency: text("currency").notNull(),
    mrr: int("mrr").notNull(),
    trialStart: int("trial_start"),
    trialEnd: int("trial_end"),
    currentPeriodEnd: int("current_period_end"),
    cancelAtPeriodEnd: boolean("cancel_at_period_end").notNull(),
    canceledAt: int("canceled_at"),
    endedAt: int("ended_at"),
    startedAt: int("started_at"),
    sourceUpdatedAt: int("source_updated_at").notNull(),
    createdAt: int("created_at").notNull(),
    updatedAt: int("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("subscriptions_app_provider_id_uq").on(table.appId, table.provider, table.subscriptionId),
    index("subscriptions_customer_idx").on(table.customerPk),
  ],
);

export const billingEvents = pgTable(
  "billing_events",
  {
    pk: rowKey("pk"),
    appId: text("app_id").notNull(),
    customerPk: int("customer_pk").notNull(),
    subscriptionPk: int("subscription_pk"),
    provider: text("provider").notNull(),
    kind: text("kind").notNull(),
    movement: text("movement").$type<MrrMovement>(),
    occurredAt: int("occurred_at").notNull(),
    currency: text("currency"),
    mrrBefore: int("mrr_before"),
    mrrAfter: int("mrr_after"),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull(),
    sourceEventId: text("source_event_id"),
  },
  (table) => [
    index("billing_events_customer_idx").on(table.customerPk, table.occurredAt, table.pk),
    index("billing_events_app_movement_idx").on(table.appId, table.occurredAt).where(sql`${table.movement} is not null`),
  ],
);

export const providerEvents = pgTable(
  "provider_events",
  {
    appId: text("app_id").notNull(),
    provider: text("provider").notNull(),
    eventId: text("event_id").notNull(),
    type: text("type").notNull(),
    receivedAt: int("received_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.appId, table.provider, table.eventId] })],
);

export const segmentMessages = pgTable(
  "segment_messages",
  {
    appId: text("app_id").notNull(),
    messageId: text("message_id").notNull(),
    type: text("type", { enum: ["identify", "group"] }).notNull(),
    receivedAt: int("received_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.appId, table.messageId] })],
);

export const appHealthRuns = pgTable("app_health_runs", {
  appId: text("app_id").primaryKey(),
  medianBreadth: int("median_breadth").notNull(),
  customersScored: int("customers_scored").notNull(),
  durationMs: int("duration_ms").notNull(),
  computedAt: int("computed_at").notNull(),
});

export const dashboardUsers = pgTable("dashboard_users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  role: text("role").notNull(),
  passwordHash: text("password_hash").notNull(),
  createdAt: int("created_at").notNull(),
  updatedAt: int("updated_at").notNull(),
});

export const dashboardSessions = pgTable(
  "dashboard_sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => dashboardUsers.id, { onDelete: "cascade" }),
    createdAt: int("created_at").notNull(),
    lastSeenAt: int("last_seen_at").notNull(),
  },
  (table) => [index("dashboard_sessions_user_idx").on(table.userId)],
);

// What each node caches (API keys, app settings) has a version: a trigger on apps and api_keys
// (migration 0001) bumps it in the same transaction as the change and NOTIFYs trackd_cache, so
// every node drops its cache when it hears the notification or, behind a pooler that can't
// deliver one, at its next poll of this table (src/store/pg/invalidation.ts).
export const cacheVersions = pgTable("cache_versions", {
  name: text("name").primaryKey(),
  version: int("version").notNull(),
});

// Run-once background work (scoring, retention purges): the node whose row is unexpired runs
// it; a finished run keeps the row until the next run is due (src/store/pg/lease.ts).
// Times are the database's clock, so the nodes' clocks need not agree.
export const leases = pgTable("leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: int("expires_at").notNull(),
});
