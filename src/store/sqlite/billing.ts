// Billing changes as the applier carries them out (the ApplyBilling command), inside the
// writer's transaction, so a webhook's changes, its billing history and the mark that it was
// applied commit together. What the customer row keeps (its MRR, status, plan) and the MRR
// movements are derived here at write time, as the counts are for events.
// The rules (staleness, the row for a state, movements) are in ../billing-rules.ts.
import { mergeAttributes } from "../../attributes";
import type { Db } from "../../db";
import type { MrrMovement } from "../../db/schema";
import { summarize } from "../../subscriptions";
import { createBillingStore } from "../billing";
import { isStale, movementOf, subscriptionChangeRow, subscriptionFields, trackedChanges } from "../billing-rules";
import type { ApplyResult, BillingApplied, BillingChange, BillingCustomer, ChangeSource, PaymentOutcome, SubscriptionState } from "../commands";

export function createBillingApplier(db: Db, clock: () => number) {
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
    const moved = movementOf(before, after);
    const movement = moved === "newOrReactivation" ? (store.hasEarned(customerPk) ? "reactivation" : "new") : moved;
    return { movement, before, after, currency: summary?.currency ?? null };
  }

  function applySubscription(appId: string, state: SubscriptionState, source: ChangeSource): ApplyResult {
    const existing = findSubscription(appId, state.provider, state.subscriptionId);
    if (existing && isStale(existing, state, source)) return "stale";
    const now = clock();
    const customerPk = customerPkFor(appId, state.customerId, now);
    const fields = subscriptionFields(state, source, customerPk, now);
    const changes = trackedChanges(existing, fields);
    const subscriptionPk = existing
      ? (store.updateSubscription(existing.pk, fields), existing.pk)
      : store.insertSubscription({ ...fields, appId, provider: state.provider, subscriptionId: state.subscriptionId, createdAt: now });
    // A subscription moved to another customer leaves that one's summary behind too.
    if (existing && existing.customerPk !== customerPk) resummarize(existing.customerPk);
    const summary = resummarize(customerPk);
    if (existing && Object.keys(changes).length === 0 && summary.movement === null) return "unchanged";
    record(subscriptionChangeRow({ appId, customerPk, subscriptionPk, state, source, existing, fields, changes, summary }));
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

  /** A fact with no state to change, such as Stripe's notice that a trial ends in three days. */
  function note(appId: string, provider: string, customerId: string, kind: string, source: ChangeSource, detail: Record<string, unknown>): ApplyResult {
    const customerPk = customerPkFor(appId, customerId, clock());
    record({ appId, customerPk, provider, kind, occurredAt: source.at, detail, sourceEventId: source.eventId ?? null });
    return "applied";
  }

  function applyChange(appId: string, change: BillingChange): { result: ApplyResult; created?: boolean } {
    switch (change.kind) {
      case "subscription": {
        const before = findSubscription(appId, change.state.provider, change.state.subscriptionId);
        return { result: applySubscription(appId, change.state, change.source), created: !before };
      }
      case "customer":
        return { result: applyCustomer(appId, change.customer, change.source) };
      case "customerDeleted":
        return { result: deleteCustomer(appId, change.provider, change.customerId, change.source) };
      case "payment":
        return { result: recordPayment(appId, change.payment, change.source) };
      case "note":
        return { result: note(appId, change.provider, change.customerId, change.note, change.source, change.detail) };
    }
  }

  /** Runs inside a writer job; null when `once` names a provider event applied before. */
  return function applyBilling(appId: string, changes: BillingChange[], once?: { provider: string; eventId: string; eventType: string }): BillingApplied | null {
    if (once && !store.markProviderEvent({ appId, provider: once.provider, eventId: once.eventId, type: once.eventType, receivedAt: clock() })) return null;
    // The app's MRR movements are the rows after the newest one before: exact, as the job holds the write lock.
    const newest = store.newestBillingEventPk();
    const results = changes.map((change) => applyChange(appId, change));
    return { results, movements: store.movementsAfter(appId, newest) };
  };
}

