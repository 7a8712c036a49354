// Billing's rows (db/schema.ts: subscriptions, billing_events, provider_events, and the billing
// columns of customers: mrr, currency, billing_status, plan, billing_*_at). Drizzle: a webhook
// or a sync page runs a handful of these per change, far from the per-event hot path, and the
// typed rows (JSON columns included) are what billing works with. Reads for the profile and the
// timeline are prepared once; the writes run inside writer jobs (store/writer.ts).
import { and, count, desc, eq, gt, gte, inArray, isNotNull, lt, sql } from "drizzle-orm";
import type { Db } from "../db";
import { preparedPerShape } from "../db/prepared";
import { billingEvents, customers, providerEvents, subscriptions, type SubscriptionRow } from "../db/schema";
import { createIngestStore } from "./ingest";

const p = sql.placeholder;

export type NewBillingEvent = typeof billingEvents.$inferInsert;
export type SubscriptionFields = Partial<typeof subscriptions.$inferInsert>;
export type CustomerSummary = Pick<typeof customers.$inferInsert, "mrr" | "currency" | "billingStatus" | "plan">;

export function createBillingStore(db: Db) {
  const identity = createIngestStore(db);
  const historyQuery = preparedPerShape((present: Record<"from" | "to" | "beforeAt", boolean>) =>
    db
      .select()
      .from(billingEvents)
      .where(
        and(
          eq(billingEvents.customerPk, p("customerPk")),
          present.from ? gte(billingEvents.occurredAt, p("from")) : undefined,
          present.to ? lt(billingEvents.occurredAt, p("to")) : undefined,
          present.beforeAt ? sql`(${billingEvents.occurredAt}, ${billingEvents.pk}) < (${p("beforeAt")}, ${p("beforePk")})` : undefined,
        ),
      )
      .orderBy(desc(billingEvents.occurredAt), desc(billingEvents.pk))
      .limit(p("limit"))
      .prepare(),
  );
  const subscriptionsOf = db
    .select()
    .from(subscriptions)
    .where(eq(subscriptions.customerPk, p("customerPk")))
    .orderBy(desc(subscriptions.startedAt), desc(subscriptions.pk))
    .prepare();
  const lastPaymentOf = db
    .select({ kind: billingEvents.kind })
    .from(billingEvents)
    .where(and(eq(billingEvents.customerPk, p("customerPk")), inArray(billingEvents.kind, ["payment_succeeded", "payment_failed"])))
    .orderBy(desc(billingEvents.occurredAt), desc(billingEvents.pk))
    .limit(1)
    .prepare();

  return {
    /** The customer's pk, creating it (known by customerId only) when billing is first to name it. */
    customerPkFor(appId: string, customerId: string, now: number): number {
      return (identity.customerByCustomerId(appId, customerId) ?? identity.insertCustomer({ appId, customerId, uid: null, email: null, now })).pk;
    },
    history(params: { customerPk: number; from?: number; to?: number; beforeAt?: number; beforePk?: number; limit: number }) {
      return historyQuery(params).all(params);
    },
    /** Newest start first. */
    subscriptionsOf: (customerPk: number): SubscriptionRow[] => subscriptionsOf.all({ customerPk }),
    lastPaymentKind: (customerPk: number): string | undefined => lastPaymentOf.get({ customerPk })?.kind,
    findSubscription(appId: string, provider: string, subscriptionId: string): SubscriptionRow | undefined {
      return db
        .select()
        .from(subscriptions)
        .where(and(eq(subscriptions.appId, appId), eq(subscriptions.provider, provider), eq(subscriptions.subscriptionId, subscriptionId)))
        .get();
    },
    insertSubscription: (row: typeof subscriptions.$inferInsert): number =>
      db.insert(subscriptions).values(row).returning({ pk: subscriptions.pk }).get().pk,
    updateSubscription: (pk: number, fields: SubscriptionFields): void => void db.update(subscriptions).set(fields).where(eq(subscriptions.pk, pk)).run(),
    recordEvent: (row: NewBillingEvent): void => void db.insert(billingEvents).values(row).run(),
    customerMrr: (pk: number): number | null | undefined => db.select({ mrr: customers.mrr }).from(customers).where(eq(customers.pk, pk)).get()?.mrr,
    allSubscriptionsOf: (customerPk: number): SubscriptionRow[] => db.select().from(subscriptions).where(eq(subscriptions.customerPk, customerPk)).all(),
    setCustomerSummary: (pk: number, summary: CustomerSummary): void => void db.update(customers).set(summary).where(eq(customers.pk, pk)).run(),
    /** Whether the customer ever had an MRR movement that left it earning (so a new one is a reactivation). */
    hasEarned(customerPk: number): boolean {
      const row = db
        .select({ pk: billingEvents.pk })
        .from(billingEvents)
        .where(and(eq(billingEvents.customerPk, customerPk), isNotNull(billingEvents.movement), sql`${billingEvents.mrrAfter} > 0`))
        .limit(1)
        .get();
      return row !== undefined;
    },
    customerBilling: (pk: number) =>
      db.select({ data: customers.data, email: customers.email, billingUpdatedAt: customers.billingUpdatedAt }).from(customers).where(eq(customers.pk, pk)).get()!,
    setCustomerBilling(pk: number, fields: { data: Record<string, unknown>; email: string | null; billingUpdatedAt: number; updatedAt: number }): void {
      db.update(customers).set(fields).where(eq(customers.pk, pk)).run();
    },
    markBillingDeleted(pk: number, at: number): void {
      db.update(customers)
        .set({ billingDeletedAt: at, billingUpdatedAt: sql`max(coalesce(${customers.billingUpdatedAt}, 0), ${at})` })
        .where(eq(customers.pk, pk))
        .run();
    },
    /** Marks a provider event applied; false when it already was. */
    markProviderEvent(row: { appId: string; provider: string; eventId: string; type: string; receivedAt: number }): boolean {
      return db.insert(providerEvents).values(row).onConflictDoNothing().returning({ eventId: providerEvents.eventId }).all().length > 0;
    },
    newestBillingEventPk: (): number => db.select({ pk: sql<number>`coalesce(max(${billingEvents.pk}), 0)` }).from(billingEvents).get()!.pk,
    movementsAfter: (appId: string, pk: number): number =>
      db
        .select({ n: count() })
        .from(billingEvents)
        .where(and(gt(billingEvents.pk, pk), eq(billingEvents.appId, appId), isNotNull(billingEvents.movement)))
        .get()!.n,

    /** App-wide figures per currency for billing's metrics; `atRisk`: the scores graded at risk. */
    figures(appId: string, from: number, to: number, atRisk: { min: number; max: number }) {
      const byStatus = db
        .select({
          currency: customers.currency,
          status: customers.billingStatus,
          customers: sql<number>`count(*)`,
          mrr: sql<number>`sum(${customers.mrr})`,
          paying: sql<number>`sum(${customers.mrr} > 0)`,
        })
        .from(customers)
        .where(and(eq(customers.appId, appId), isNotNull(customers.billingStatus)))
        .groupBy(customers.currency, customers.billingStatus)
        .orderBy(customers.currency, sql`sum(${customers.mrr}) desc`, customers.billingStatus)
        .all();
      const risky = db
        .select({ currency: customers.currency, customers: sql<number>`count(*)`, mrr: sql<number>`sum(${customers.mrr})` })
        .from(customers)
        .where(and(eq(customers.appId, appId), sql`${customers.healthScore} between ${atRisk.min} and ${atRisk.max}`, sql`${customers.mrr} > 0`))
        .groupBy(customers.currency)
        .all();
      const movements = db
        .select({
          currency: billingEvents.currency,
          movement: billingEvents.movement,
          occurredAt: billingEvents.occurredAt,
          delta: sql<number>`${billingEvents.mrrAfter} - ${billingEvents.mrrBefore}`,
        })
        .from(billingEvents)
        .where(and(eq(billingEvents.appId, appId), isNotNull(billingEvents.movement), gte(billingEvents.occurredAt, from), lt(billingEvents.occurredAt, to)))
        .all();
      return { byStatus, atRisk: risky, movements };
    },
  };
}

export type BillingStore = ReturnType<typeof createBillingStore>;
