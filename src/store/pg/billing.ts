// Billing changes on PostgreSQL (the ApplyBilling command): the SQLite applier's flow
// (sqlite/billing.ts) over the same rules (../billing-rules.ts), awaited. Drizzle's pg builder,
// as the SQLite billing store uses Drizzle: a handful of statements per webhook, far from the
// per-event path, with typed rows and JSON columns.
//
// Several nodes: a subscription is read FOR UPDATE before it is compared and written, so two
// deliveries of changes to one subscription take turns; two nodes creating the same
// subscription meet on its unique key (the loser's batch is retried and finds it); a provider
// event is marked with ON CONFLICT DO NOTHING, so only one node applies it; the customer a change
// names is insert-or-fetch. The app's MRR movements are counted as this command records them
// (the SQLite applier reads them back, exact only under its single writer).
import { and, eq, isNotNull, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import type postgres from "postgres";
import { mergeAttributes } from "../../attributes";
import type { MrrMovement, SubscriptionRow } from "../../db/schema";
import * as schema from "../../db/schema.pg";
import { summarize } from "../../subscriptions";
import { isStale, movementOf, subscriptionChangeRow, subscriptionFields, trackedChanges } from "../billing-rules";
import type { ApplyResult, BillingApplied, BillingChange, BillingCustomer, ChangeSource, PaymentOutcome, SubscriptionState } from "../commands";
import type { PgTx } from "./batcher";
import { RaceLost } from "./retry";

const { billingEvents, customers, providerEvents, subscriptions } = schema;

/**
 * Drizzle over the batch's transaction: postgres-js's transaction object has no `options` (the
 * pool's parsers, which Drizzle configures), so Drizzle gets the transaction's `unsafe` (all it
 * runs statements with) beside the pool's options.
 */
function drizzleOn(tx: PgTx, pool: postgres.Sql) {
  const client = { unsafe: tx.unsafe.bind(tx), options: pool.options } as unknown as postgres.Sql;
  return drizzle({ client, schema });
}

export function createPgBilling(tx: PgTx, pool: postgres.Sql, clock: () => number) {
  const db = drizzleOn(tx, pool);
  let movements = 0;

  async function customerPkFor(appId: string, customerId: string, now: number): Promise<number> {
    const select = async () =>
      (await db.select({ pk: customers.pk }).from(customers).where(and(eq(customers.appId, appId), eq(customers.customerId, customerId))))[0];
    const found =
      (await select()) ??
      (await db.insert(customers).values({ appId, customerId, createdAt: now, updatedAt: now }).onConflictDoNothing().returning({ pk: customers.pk }))[0] ??
      (await select());
    if (!found) throw new RaceLost(`customer ${customerId} vanished`);
    return found.pk;
  }

  const findSubscription = async (appId: string, provider: string, subscriptionId: string): Promise<SubscriptionRow | undefined> =>
    (
      await db
        .select()
        .from(subscriptions)
        .where(and(eq(subscriptions.appId, appId), eq(subscriptions.provider, provider), eq(subscriptions.subscriptionId, subscriptionId)))
        .for("update")
    )[0];

  async function record(row: typeof billingEvents.$inferInsert): Promise<void> {
    if (row.movement) movements += 1;
    await db.insert(billingEvents).values(row);
  }

  async function resummarize(customerPk: number) {
    const [current] = await db.select({ mrr: customers.mrr }).from(customers).where(eq(customers.pk, customerPk)).for("update");
    const summary = summarize(await db.select().from(subscriptions).where(eq(subscriptions.customerPk, customerPk)));
    await db
      .update(customers)
      .set({ mrr: summary?.mrr ?? null, currency: summary?.currency ?? null, billingStatus: summary?.billingStatus ?? null, plan: summary?.plan ?? null })
      .where(eq(customers.pk, customerPk));
    const before = current?.mrr ?? 0;
    const after = summary?.mrr ?? 0;
    const moved = movementOf(before, after);
    const movement: MrrMovement | null = moved === "newOrReactivation" ? ((await hasEarned(customerPk)) ? "reactivation" : "new") : moved;
    return { movement, before, after, currency: summary?.currency ?? null };
  }

  async function hasEarned(customerPk: number): Promise<boolean> {
    const rows = await db
      .select({ pk: billingEvents.pk })
      .from(billingEvents)
      .where(and(eq(billingEvents.customerPk, customerPk), isNotNull(billingEvents.movement), sql`${billingEvents.mrrAfter} > 0`))
      .limit(1);
    return rows.length > 0;
  }

  async function applySubscription(appId: string, state: SubscriptionState, source: ChangeSource, existing: SubscriptionRow | undefined): Promise<ApplyResult> {
    if (existing && isStale(existing, state, source)) return "stale";
    const now = clock();
    const customerPk = await customerPkFor(appId, state.customerId, now);
    const fields = subscriptionFields(state, source, customerPk, now);
    const changes = trackedChanges(existing, fields);
    const subscriptionPk = existing
      ? (await db.update(subscriptions).set(fields).where(eq(subscriptions.pk, existing.pk)), existing.pk)
      : (
          await db
            .insert(subscriptions)
            .values({ ...fields, appId, provider: state.provider, subscriptionId: state.subscriptionId, createdAt: now })
            .returning({ pk: subscriptions.pk })
        )[0]!.pk;
    if (existing && existing.customerPk !== customerPk) await resummarize(existing.customerPk);
    const summary = await resummarize(customerPk);
    if (existing && Object.keys(changes).length === 0 && summary.movement === null) return "unchanged";
    await record(subscriptionChangeRow({ appId, customerPk, subscriptionPk, state, source, existing, fields, changes, summary }));
    return "applied";
  }

  async function applyCustomer(appId: string, customer: BillingCustomer, source: ChangeSource): Promise<ApplyResult> {
    const now = clock();
    const pk = await customerPkFor(appId, customer.customerId, now);
    const [row] = await db
      .select({ data: customers.data, email: customers.email, billingUpdatedAt: customers.billingUpdatedAt })
      .from(customers)
      .where(eq(customers.pk, pk))
      .for("update");
    if (!row) throw new RaceLost(`customer ${customer.customerId} was erased by another node`);
    if (row.billingUpdatedAt !== null && source.at < row.billingUpdatedAt) return "stale";
    const update = { ...customer.metadata, ...(customer.name === null ? {} : { name: customer.name }) };
    await db
      .update(customers)
      .set({ data: mergeAttributes(row.data, update), email: customer.email ?? row.email, billingUpdatedAt: source.at, updatedAt: now })
      .where(eq(customers.pk, pk));
    return "applied";
  }

  async function deleteCustomer(appId: string, provider: string, customerId: string, source: ChangeSource): Promise<ApplyResult> {
    const customerPk = await customerPkFor(appId, customerId, clock());
    await db
      .update(customers)
      .set({ billingDeletedAt: source.at, billingUpdatedAt: sql`greatest(coalesce(${customers.billingUpdatedAt}, 0), ${source.at}::int8)` })
      .where(eq(customers.pk, customerPk));
    await record({ appId, customerPk, provider, kind: "customer_deleted", occurredAt: source.at, detail: { customerId }, sourceEventId: source.eventId ?? null });
    return "applied";
  }

  async function recordPayment(appId: string, payment: PaymentOutcome, source: ChangeSource): Promise<ApplyResult> {
    const customerPk = await customerPkFor(appId, payment.customerId, clock());
    const subscription = payment.subscriptionId === null ? undefined : await findSubscription(appId, payment.provider, payment.subscriptionId);
    await record({
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

  async function note(appId: string, change: Extract<BillingChange, { kind: "note" }>): Promise<ApplyResult> {
    const customerPk = await customerPkFor(appId, change.customerId, clock());
    const { provider, note: kind, source, detail } = change;
    await record({ appId, customerPk, provider, kind, occurredAt: source.at, detail, sourceEventId: source.eventId ?? null });
    return "applied";
  }

  async function applyChange(appId: string, change: BillingChange): Promise<{ result: ApplyResult; created?: boolean }> {
    switch (change.kind) {
      case "subscription": {
        const existing = await findSubscription(appId, change.state.provider, change.state.subscriptionId);
        return { result: await applySubscription(appId, change.state, change.source, existing), created: !existing };
      }
      case "customer":
        return { result: await applyCustomer(appId, change.customer, change.source) };
      case "customerDeleted":
        return { result: await deleteCustomer(appId, change.provider, change.customerId, change.source) };
      case "payment":
        return { result: await recordPayment(appId, change.payment, change.source) };
      case "note":
        return { result: await note(appId, change) };
    }
  }

  /** null when `once` names a provider event applied before (by any node). */
  return async function applyBilling(
    appId: string,
    changes: BillingChange[],
    once?: { provider: string; eventId: string; eventType: string },
  ): Promise<BillingApplied | null> {
    if (once) {
      const marked = await db
        .insert(providerEvents)
        .values({ appId, provider: once.provider, eventId: once.eventId, type: once.eventType, receivedAt: clock() })
        .onConflictDoNothing()
        .returning({ eventId: providerEvents.eventId });
      if (marked.length === 0) return null;
    }
    movements = 0;
    const results = [];
    for (const change of changes) results.push(await applyChange(appId, change));
    return { results, movements };
  };
}
