// Applying billing changes. Every function here runs inside a writer job (see `run`), so a
// webhook's changes, its billing history and the mark that it was applied commit together.
//
// Order: providers deliver at least once and in any order. Each change carries `at`, when it
// was true at the provider; a subscription or customer record only moves forward in `at`.
import type { Db } from "../db";
import type { BillingEventRow, MrrMovement, SubscriptionRow } from "../db/schema";
import { mergeAttributes } from "../attributes";
import { createBillingStore } from "../store/billing";
import type { Writer } from "../store/writer";
import type { BillingCustomer, ChangeSource, PaymentOutcome, SubscriptionState } from "./model";
import { subscriptionMrr } from "./mrr";
import { currentSubscription, earnsRevenue, isTerminal, summarize } from "./summary";
import { billingEventView, subscriptionView } from "./view";

export { currentSubscription, SUBSCRIPTION_STATUSES } from "./summary";
export { billingEventView, type BillingEventView } from "./view";
export { createBillingMetrics, type BillingMetrics } from "./metrics";

export type ApplyResult = "applied" | "unchanged" | "stale";

/** The fields whose change is worth a line in the billing history (renewals are not). */
const TRACKED = ["status", "plan", "quantity", "mrr", "cancelAtPeriodEnd", "trialEnd"] as const;

export function createBillingService({ db, writer, clock }: { db: Db; writer: Writer; clock: () => number }) {
  const store = createBillingStore(db);
  const customerPkFor = store.customerPkFor;
  const findSubscription = store.findSubscription;
  const record = store.recordEvent;

  /**
   * Recomputes the customer's billing summary from its subscriptions and, when its MRR moved,
   * says how (new, expansion, contraction, churn, reactivation), as MRR reports count it.
   */
  function resummarize(customerPk: number): { movement: MrrMovement | null; before: number; after: number; currency: string | null } {
    const currentMrr = store.customerMrr(customerPk);
    const summary = summarize(store.allSubscriptionsOf(customerPk));
    store.setCustomerSummary(customerPk, {
      mrr: summary?.mrr ?? null,
      currency: summary?.currency ?? null,
      billingStatus: summary?.billingStatus ?? null,
      plan: summary?.plan ?? null,
    });
    const before = currentMrr ?? 0;
    const after = summary?.mrr ?? 0;
    return { movement: movementOf(customerPk, before, after), before, after, currency: summary?.currency ?? null };
  }

  function movementOf(customerPk: number, before: number, after: number): MrrMovement | null {
    if (before === after) return null;
    if (after === 0) return "churn";
    if (before > 0) return after > before ? "expansion" : "contraction";
    return store.hasEarned(customerPk) ? "reactivation" : "new";
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
      ? (store.updateSubscription(existing.pk, fields), existing.pk)
      : store.insertSubscription({ ...fields, appId, provider: state.provider, subscriptionId: state.subscriptionId, createdAt: now });
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
    const row = store.customerBilling(pk);
    if (row.billingUpdatedAt !== null && source.at < row.billingUpdatedAt) return "stale";
    const update = { ...customer.metadata, ...(customer.name === null ? {} : { name: customer.name }) };
    store.setCustomerBilling(pk, { data: mergeAttributes(row.data, update), email: customer.email ?? row.email, billingUpdatedAt: source.at, updatedAt: now });
    return "applied";
  }

  /** Billing history only: the customer and its product events stay (erasure is DELETE /customers). */
  function deleteCustomer(appId: string, provider: string, customerId: string, source: ChangeSource): ApplyResult {
    const customerPk = customerPkFor(appId, customerId, clock());
    store.markBillingDeleted(customerPk, source.at);
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
    return store.history(params);
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
        const fresh = store.markProviderEvent({ appId, provider, eventId: event.id, type: event.type, receivedAt: clock() });
        return fresh ? apply() : "duplicate";
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
      const newest = store.newestBillingEventPk();
      apply();
      return store.movementsAfter(appId, newest);
    },

    /**
     * What the profile shows: the subscription that speaks for the customer (with whether its
     * latest payment failed), every subscription, and the latest billing history.
     */
    ofCustomer(customerPk: number, historyLimit: number) {
      const all = store.subscriptionsOf(customerPk);
      const current = currentSubscription(all);
      const lastPaymentKind = store.lastPaymentKind(customerPk);
      return {
        subscription: current ? { ...subscriptionView(current), paymentFailed: lastPaymentKind === "payment_failed" } : null,
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
