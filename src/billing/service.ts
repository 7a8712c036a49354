// Billing as features see it: changes applied through the store's ApplyBilling command (the
// rules that derive MRR and movements run in the applier, store/sqlite/billing.ts), and the
// reads for the profile and the timeline.
import type { Db } from "../db";
import type { BillingEventRow } from "../db/schema";
import { createBillingStore } from "../store/billing";
import type { ApplyResult, BillingApplied, BillingChange } from "../store/commands";
import { createSqliteApplier, type SqliteApplier } from "../store/sqlite/applier";
import type { Writer } from "../store/writer";
import { currentSubscription } from "../subscriptions";
import { billingEventView, subscriptionView } from "./view";

export { currentSubscription, SUBSCRIPTION_STATUSES } from "../subscriptions";
export { billingEventView, subscriptionView, type BillingEventView } from "./view";
export { createBillingMetrics, type BillingMetrics } from "./metrics";
export type { ApplyResult, BillingChange };

/** `applier`: the app's, so one set of statements and deferred counts serves every feature. */
export function createBillingService({
  db,
  writer,
  clock,
  applier = createSqliteApplier({ db, writer, clock }),
}: {
  db: Db;
  writer: Writer;
  clock: () => number;
  applier?: SqliteApplier;
}) {
  const store = createBillingStore(db);

  /** The customer's billing history, newest first: within [from, to), strictly before `before` (a timeline cursor). */
  function history(customerPk: number, page: { limit: number; before?: { at: number; pk: number }; from?: number; to?: number }): BillingEventRow[] {
    const params = { customerPk, from: page.from, to: page.to, beforeAt: page.before?.at, beforePk: page.before?.pk, limit: page.limit };
    return store.history(params);
  }

  return {
    findSubscription: store.findSubscription,
    history,

    /** Applies the changes in order, all or nothing; settles after commit. */
    apply(appId: string, changes: BillingChange[]): Promise<BillingApplied> {
      return applier.apply({ type: "ApplyBilling", appId, changes }) as Promise<BillingApplied>;
    },

    /** As apply, unless the provider event was applied before ("duplicate"); the mark commits with the changes. */
    async applyOnce(appId: string, provider: string, event: { id: string; type: string }, changes: BillingChange[]): Promise<BillingApplied | "duplicate"> {
      const applied = await applier.apply({ type: "ApplyBilling", appId, changes, once: { provider, eventId: event.id, eventType: event.type } });
      return applied ?? "duplicate";
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

export type BillingService = ReturnType<typeof createBillingService>;
