// Applying billing changes. Every function here runs inside a writer job (see `run`), so a
// webhook's changes, its billing history and the mark that it was applied commit together.
//
// Order: providers deliver at least once and in any order. Each change carries `at`, when it
// was true at the provider; a subscription or customer record only moves forward in `at`.
import { and, count, desc, eq, gt, gte, inArray, isNotNull, lt, sql } from "drizzle-orm";
import type { Db } from "../db";
import { preparedPerShape } from "../db/prepared";
import { billingEvents, customers, providerEvents, subscriptions, type BillingEventRow, type MrrMovement, type SubscriptionRow } from "../db/schema";
import { mergeAttributes } from "../ingest/attributes";
import { createIngestStore } from "../ingest/store";
import type { Writer } from "../writer";
import type { BillingCustomer, ChangeSource, PaymentOutcome, SubscriptionState } from "./model";
import { subscriptionMrr } from "./mrr";
import { currentSubscription, earnsRevenue, isTerminal, summarize } from "./summary";
import { billingEventView, subscriptionView } from "./view";

const p = sql.placeholder;

export type ApplyResult = "applied" | "unchanged" | "stale";

/** The fields whose change is worth a line in the billing history (renewals are not). */
const TRACKED = ["status", "plan", "quantity", "mrr", "cancelAtPeriodEnd", "trialEnd"] as const;

export function createBillingService({ db, writer, clock }: { db: Db; writer: Writer; clock: () => number }) {
  const store = createIngestStore(db);

  // The profile and the timeline read these on every request: prepared once (db/prepared.ts).
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
    .orderBy(desc(subscriptions.startedAt))
    .prepare();
  const lastPaymentOf = db
    .select({ kind: billingEvents.kind })
    .from(billingEvents)
    .where(and(eq(billingEvents.customerPk, p("customerPk")), inArray(billingEvents.kind, ["payment_succeeded", "payment_failed"])))
    .orderBy(desc(billingEvents.occurredAt), desc(billingEvents.pk))
    .limit(1)
    .prepare();

  function customerPkFor(appId: string, customerId: string, now: number): number {
    return (store.customerByCustomerId(appId, customerId) ?? store.insertCustomer({ appId, customerId, uid: null, email: null, now })).pk;
  }

  function findSubscription(appId: string, provider: string, subscriptionId: string): SubscriptionRow | undefined {
    return db
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.appId, appId), eq(subscriptions.provider, provider), eq(subscriptions.subscriptionId, subscriptionId)))
      .get();
  }

  function record(row: typeof billingEvents.$inferInsert): void {
    db.insert(billingEvents).values(row).run();
  }

  /**
   * Recomputes the customer's billing summary from its subscriptions and, when its MRR moved,
   * says how (new, expansion, contraction, churn, reactivation), as MRR reports count it.
   */
  function resummarize(customerPk: number): { movement: MrrMovement | null; before: number; after: number; currency: string | null } {
    const current = db.select({ mrr: customers.mrr }).from(customers).where(eq(customers.pk, customerPk)).get();
    const summary = summarize(db.select().from(subscriptions).where(eq(subscriptions.customerPk, customerPk)).all());
    db.update(customers)
      .set({ mrr: summary?.mrr ?? null, currency: summary?.currency ?? null, billingStatus: summary?.billingStatus ?? null, plan: summary?.plan ?? null })
      .where(eq(customers.pk, customerPk))
      .run();
    const before = current?.mrr ?? 0;
    const after = summary?.mrr ?? 0;
    return { movement: movementOf(customerPk, before, after), before, after, currency: summary?.currency ?? null };
  }

  function movementOf(customerPk: number, before: number, after: number): MrrMovement | null {
    if (before === after) return null;
    if (after === 0) return "churn";
    if (before > 0) return after > before ? "expansion" : "contraction";
    const earnedBefore = db
      .select({ pk: billingEvents.pk })
      .from(billingEvents)
      .where(and(eq(billingEvents.customerPk, customerPk), isNotNull(billingEvents.movement), sql`${billingEvents.mrrAfter} > 0`))
      .limit(1)
      .get();
    return earnedBefore ? "reactivation" : "new";
  }

  function isStale(existing: SubscriptionRow, state: SubscriptionState, source: ChangeSource): boolean {
    if (source.at < existing.sourceUpdatedAt) return true;
    // Stripe's `created` has one-second resolution: at a tie, a terminal state stands, and a
    // creation is never newer than a subscription already known.
    if (source.at === existing.sourceUpdatedAt && isTerminal(existing.status) && !isTerminal(state.status)) return true;
    return source.kind === "subscription_created";
  }

  function applySubscription(appId: string, state: SubscriptionState, source: ChangeSource): ApplyResult {
    const existing = findSubscription(appId, state.provider, state.subscriptionId);
    if (existing && isStale(existing, state, source)) return "stale";
    const now = clock();
    const customerPk = customerPkFor(appId, state.customerId, now);
    const [first] = state.items;
    const fields = {
      customerPk,
      status: state.status,
      plan: first?.priceId ?? null,
      planName: first?.productName ?? null,
      items: state.items,
      discounts: state.discounts,
      quantity: state.items.reduce((sum, item) => sum + item.quantity, 0),
      currency: state.currency.toLowerCase(),
      mrr: earnsRevenue(state.status) ? subscriptionMrr(state.items, state.discounts, source.at) : 0,
      trialStart: state.trialStart,
      trialEnd: state.trialEnd,
      currentPeriodEnd: state.currentPeriodEnd,
      cancelAtPeriodEnd: state.cancelAtPeriodEnd,
      canceledAt: state.canceledAt,
      endedAt: state.endedAt,
      startedAt: state.startedAt,
      sourceUpdatedAt: source.at,
      updatedAt: now,
    };
    const changes = Object.fromEntries(
      TRACKED.filter((field) => existing && existing[field] !== fields[field]).map((field) => [field, [existing![field], fields[field]]]),
    );
    const subscriptionPk = existing
      ? (db.update(subscriptions).set(fields).where(eq(subscriptions.pk, existing.pk)).run(), existing.pk)
      : db
          .insert(subscriptions)
          .values({ ...fields, appId, provider: state.provider, subscriptionId: state.subscriptionId, createdAt: now })
          .returning({ pk: subscriptions.pk })
          .get().pk;
    // A subscription moved to another customer leaves that one's summary behind too.
    if (existing && existing.customerPk !== customerPk) resummarize(existing.customerPk);
    const summary = resummarize(customerPk);
    if (existing && Object.keys(changes).length === 0 && summary.movement === null) return "unchanged";
    record({
      appId,
      customerPk,
      subscriptionPk,
      provider: state.provider,
      kind: source.kind ?? kindOf(existing, state),
      movement: summary.movement,
      occurredAt: existing ? source.at : firstKnownAt(state, source.at),
      currency: summary.currency ?? fields.currency,
      mrrBefore: summary.before,
      mrrAfter: summary.after,
      detail: { subscriptionId: state.subscriptionId, status: state.status, plan: fields.plan, mrr: fields.mrr, ...(existing ? { changes } : {}) },
      sourceEventId: source.eventId ?? null,
    });
    return "applied";
  }

  function applyCustomer(appId: string, customer: BillingCustomer, source: ChangeSource): ApplyResult {
    const now = clock();
    const pk = customerPkFor(appId, customer.customerId, now);
    const row = db
      .select({ data: customers.data, email: customers.email, billingUpdatedAt: customers.billingUpdatedAt })
      .from(customers)
      .where(eq(customers.pk, pk))
      .get()!;
    if (row.billingUpdatedAt !== null && source.at < row.billingUpdatedAt) return "stale";
    const update = { ...customer.metadata, ...(customer.name === null ? {} : { name: customer.name }) };
    db.update(customers)
      .set({ data: mergeAttributes(row.data, update), email: customer.email ?? row.email, billingUpdatedAt: source.at, updatedAt: now })
      .where(eq(customers.pk, pk))
      .run();
    return "applied";
  }

  /** Billing history only: the customer and its product events stay (erasure is DELETE /customers). */
  function deleteCustomer(appId: string, provider: string, customerId: string, source: ChangeSource): ApplyResult {
    const customerPk = customerPkFor(appId, customerId, clock());
    db.update(customers).set({ billingDeletedAt: source.at, billingUpdatedAt: sql`max(coalesce(${customers.billingUpdatedAt}, 0), ${source.at})` }).where(eq(customers.pk, customerPk)).run();
    record({ appId, customerPk, provider, kind: "customer_deleted", occurredAt: source.at, detail: { customerId }, sourceEventId: source.eventId ?? null });
    return "applied";
  }

  function recordPayment(appId: string, payment: PaymentOutcome, source: ChangeSource): ApplyResult {
    const customerPk = customerPkFor(appId, payment.customerId, clock());
    const subscription = payment.subscriptionId === null ? undefined : findSubscription(appId, payment.provider, payment.subscriptionId);
    record({
      appId,
      customerPk,
      subscriptionPk: subscription?.pk ?? null,
      provider: payment.provider,
      kind: payment.paid ? "payment_succeeded" : "payment_failed",
      occurredAt: source.at,
      currency: payment.currency,
      detail: { invoiceId: payment.invoiceId, subscriptionId: payment.subscriptionId, amount: payment.amount, attempt: payment.attempt },
      sourceEventId: source.eventId ?? null,
    });
    return "applied";
  }

  /** The customer's billing history, newest first: within [from, to), strictly before `before` (a timeline cursor). */
  function history(customerPk: number, page: { limit: number; before?: { at: number; pk: number }; from?: number; to?: number }): BillingEventRow[] {
    const params = { customerPk, from: page.from, to: page.to, beforeAt: page.before?.at, beforePk: page.before?.pk, limit: page.limit };
    return historyQuery(params).all(params);
  }

  /** A fact with no state to change, such as Stripe's notice that a trial ends in three days. */
  function note(appId: string, provider: string, customerId: string, kind: string, source: ChangeSource, detail: Record<string, unknown>): ApplyResult {
    const customerPk = customerPkFor(appId, customerId, clock());
    record({ appId, customerPk, provider, kind, occurredAt: source.at, detail, sourceEventId: source.eventId ?? null });
    return "applied";
  }

  return {
    findSubscription,
    applySubscription,
    applyCustomer,
    deleteCustomer,
    recordPayment,
    note,
    history,

    /**
     * Runs `apply` as one writer job unless the provider event was applied before; marks it
     * applied in the same transaction, so a crash between the two cannot happen.
     */
    applyOnce<T>(appId: string, provider: string, event: { id: string; type: string }, apply: () => T): Promise<T | "duplicate"> {
      return writer.submit(() => {
        const inserted = db
          .insert(providerEvents)
          .values({ appId, provider, eventId: event.id, type: event.type, receivedAt: clock() })
          .onConflictDoNothing()
          .returning({ eventId: providerEvents.eventId })
          .all();
        return inserted.length === 0 ? "duplicate" : apply();
      });
    },

    /** One writer job for changes that need no idempotency key (the API, a sync page). */
    run<T>(apply: () => T, size = 1): Promise<T> {
      return writer.submit(apply, size);
    },

    /**
     * Runs `apply` (inside a writer job) and returns how many MRR movements it recorded for the
     * app: the rows after the newest one before it, exact because the job holds the write lock.
     */
    countMovements(appId: string, apply: () => void): number {
      const newest = db.select({ pk: sql<number>`coalesce(max(${billingEvents.pk}), 0)` }).from(billingEvents).get()!.pk;
      apply();
      return db
        .select({ n: count() })
        .from(billingEvents)
        .where(and(gt(billingEvents.pk, newest), eq(billingEvents.appId, appId), isNotNull(billingEvents.movement)))
        .get()!.n;
    },

    /**
     * What the profile shows: the subscription that speaks for the customer (with whether its
     * latest payment failed), every subscription, and the latest billing history.
     */
    ofCustomer(customerPk: number, historyLimit: number) {
      const all = subscriptionsOf.all({ customerPk });
      const current = currentSubscription(all);
      const lastPayment = lastPaymentOf.get({ customerPk });
      return {
        subscription: current ? { ...subscriptionView(current), paymentFailed: lastPayment?.kind === "payment_failed" } : null,
        subscriptions: all.map(subscriptionView),
        billingHistory: history(customerPk, { limit: historyLimit }).map(billingEventView),
      };
    },
  };
}

/**
 * When a subscription first seen now really began: it started (or, after a trial, began to earn)
 * before a sync or a late webhook told trackd. Its "new" movement is dated then, so the first
 * `trackd stripe sync` doesn't report all existing revenue as new on the day it ran.
 */
function firstKnownAt(state: SubscriptionState, at: number): number {
  const began = earnsRevenue(state.status) ? Math.max(state.startedAt ?? at, state.trialEnd ?? 0) : state.startedAt;
  return Math.min(at, began ?? at);
}

function kindOf(existing: SubscriptionRow | undefined, state: SubscriptionState): string {
  if (!existing) return "subscription_created";
  if (isTerminal(state.status) && !isTerminal(existing.status)) return "subscription_canceled";
  return "subscription_updated";
}

export type BillingService = ReturnType<typeof createBillingService>;
