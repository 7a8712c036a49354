// Billing's rows on PostgreSQL (BillingReads). Drizzle's builder over schema.pg.ts, as on
// SQLite: the typed rows carry jsonb items, discounts and detail parsed. Where SQLite's order
// meets a NULL, the NULL's place is written out: SQLite puts NULLs first ascending and last
// descending, PostgreSQL the other way round.
import { and, desc, eq, gte, inArray, isNotNull, lt, sql } from "drizzle-orm";
import type { PgDb } from "../../../db/postgres";
import { billingEvents, customers, subscriptions } from "../../../db/schema.pg";
import type { BillingReads } from "../../types";

export function createPgBillingReads(db: PgDb): BillingReads {
  return {
    history: (customerPk, page) =>
      db
        .select()
        .from(billingEvents)
        .where(
          and(
            eq(billingEvents.customerPk, customerPk),
            page.from === undefined ? undefined : gte(billingEvents.occurredAt, page.from),
            page.to === undefined ? undefined : lt(billingEvents.occurredAt, page.to),
            page.before === undefined ? undefined : sql`(${billingEvents.occurredAt}, ${billingEvents.pk}) < (${page.before.at}, ${page.before.pk})`,
          ),
        )
        .orderBy(desc(billingEvents.occurredAt), desc(billingEvents.pk))
        .limit(page.limit),
    subscriptionsOf: (customerPk) =>
      db
        .select()
        .from(subscriptions)
        .where(eq(subscriptions.customerPk, customerPk))
        .orderBy(sql`${subscriptions.startedAt} desc nulls last`, desc(subscriptions.pk)),
    async lastPaymentKind(customerPk) {
      const [row] = await db
        .select({ kind: billingEvents.kind })
        .from(billingEvents)
        .where(and(eq(billingEvents.customerPk, customerPk), inArray(billingEvents.kind, ["payment_succeeded", "payment_failed"])))
        .orderBy(desc(billingEvents.occurredAt), desc(billingEvents.pk))
        .limit(1);
      return row?.kind;
    },
    async findSubscription(appId, provider, subscriptionId) {
      const [row] = await db
        .select()
        .from(subscriptions)
        .where(and(eq(subscriptions.appId, appId), eq(subscriptions.provider, provider), eq(subscriptions.subscriptionId, subscriptionId)));
      return row;
    },
    async figures(appId, from, to, atRisk) {
      const mrrSum = sql`sum(${customers.mrr})`.mapWith(Number);
      const [byStatus, risky, movements] = await Promise.all([
        db
          .select({
            currency: customers.currency,
            status: customers.billingStatus,
            customers: sql`count(*)`.mapWith(Number),
            mrr: mrrSum,
            // As SQLite's sum(mrr > 0): NULL for a group whose mrr is all NULL.
            paying: sql`sum((${customers.mrr} > 0)::int)`.mapWith(Number),
          })
          .from(customers)
          .where(and(eq(customers.appId, appId), isNotNull(customers.billingStatus)))
          .groupBy(customers.currency, customers.billingStatus)
          .orderBy(
            sql`${customers.currency} collate "C" asc nulls first`,
            sql`sum(${customers.mrr}) desc nulls last`,
            sql`${customers.billingStatus} collate "C"`,
          ),
        db
          .select({ currency: customers.currency, customers: sql`count(*)`.mapWith(Number), mrr: mrrSum })
          .from(customers)
          .where(and(eq(customers.appId, appId), sql`${customers.healthScore} between ${atRisk.min} and ${atRisk.max}`, sql`${customers.mrr} > 0`))
          .groupBy(customers.currency)
          .orderBy(sql`${customers.currency} collate "C" asc nulls first`),
        db
          .select({
            currency: billingEvents.currency,
            movement: billingEvents.movement,
            occurredAt: billingEvents.occurredAt,
            delta: sql`${billingEvents.mrrAfter} - ${billingEvents.mrrBefore}`.mapWith(Number),
          })
          .from(billingEvents)
          .where(and(eq(billingEvents.appId, appId), isNotNull(billingEvents.movement), gte(billingEvents.occurredAt, from), lt(billingEvents.occurredAt, to)))
          .orderBy(billingEvents.occurredAt, billingEvents.pk),
      ]);
      return { byStatus, atRisk: risky, movements };
    },
  };
}
