// Billing as features see it: changes applied through the store's ApplyBilling command (the
// rules that derive MRR and movements run in the applier, store/sqlite/billing.ts), and the
// reads for the profile and the timeline.
import type { BillingEventRow, Store } from "../store/types";
import type { ApplyResult, BillingApplied, BillingChange } from "../store/commands";
import { currentSubscription } from "../subscriptions";
import { billingEventView, subscriptionView } from "./view";

export { currentSubscription, SUBSCRIPTION_STATUSES } from "../subscriptions";
export { billingEventView, subscriptionView, type BillingEventView } from "./view";
export { createBillingMetrics, type BillingMetrics } from "./metrics";
export type { ApplyResult, BillingChange };

export function createBillingService({ store }: { store: Store }) {
  const applier = store;

  /** The customer's billing history, newest first: within [from, to), strictly before `before` (a timeline cursor). */
  function history(customerPk: number, page: { limit: number; before?: { at: number; pk: number }; from?: number; to?: number }): Promise<BillingEventRow[]> {
    return store.billing.history(customerPk, page);
  }

  return {
    findSubscription: (appId: string, provider: string, subscriptionId: string) => store.billing.findSubscription(appId, provider, subscriptionId),
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
    async ofCustomer(customerPk: number, historyLimit: number) {
      const [all, lastPaymentKind, recent] = await Promise.all([
        store.billing.subscriptionsOf(customerPk),
        store.billing.lastPaymentKind(customerPk),
        history(customerPk, { limit: historyLimit }),
      ]);
      const current = currentSubscription(all);
      return {
        subscription: current ? { ...subscriptionView(current), paymentFailed: lastPaymentKind === "payment_failed" } : null,
        subscriptions: all.map(subscriptionView),
        billingHistory: recent.map(billingEventView),
      };
    },
  };
}

export type BillingService = ReturnType<typeof createBillingService>;
