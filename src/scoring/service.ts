// What scoring needs, gathered for a range of an app's customers at once: a few GROUP BY
// queries per range over counts kept at write time, never the events. The profile gathers a
// range of one with the same queries, so it and the scheduled pass can't disagree.
import type { Database } from "bun:sqlite";
import { currentSubscription } from "../billing/summary";
import type { Db } from "../db";
import type { AppRow, CustomerRow } from "../db/schema";
import { DAY_MS, dayOf } from "../periods";
import { scoreHealth, type Health, type HealthInputs } from "./score";
import { weightsOf } from "./weights";

/** A customer ready to score, with the score stored now (null until a pass has scored it). */
export interface Scorable {
  pk: number;
  healthScore: number | null;
  inputs: HealthInputs;
}

export type Range = [lo: number, hi: number];

/** Customers per range: the pass holds the event loop for one range's queries at a time. */
export const RANGE_SIZE = 1000;

/** The lower median of the breadths of the customers active in the window (0 if none was). */
export function medianOf(breadths: Iterable<number>): number {
  const sorted = Float64Array.from(breadths).sort();
  return sorted.length === 0 ? 0 : sorted[(sorted.length - 1) >> 1];
}

export function prepareGathering(client: Database) {
  // Every query reads its range through an index on the customer pk. `+app_id` keeps SQLite
  // from choosing an (app_id, …) index instead, which reads the whole app for each range: 11 ms
  // a range of customers against under 1, and 4.7 ms to find one customer's subscriptions
  // among 40,000 (bench/health.ts).
  const RANGE = "+c.app_id = $appId AND c.pk BETWEEN $lo AND $hi";
  // Sorted here rather than by ORDER BY, for which SQLite built a temporary b-tree: 20 ms
  // against 45 at 100k customers, all of it holding the event loop.
  const pksOf = client.prepare<[number], { appId: string }>("SELECT pk FROM customers WHERE app_id = $appId");
  const customersIn = client.prepare<{ pk: number; lastSeen: number | null; healthScore: number | null }, RangeParams>(
    `SELECT c.pk, c.last_seen AS lastSeen, c.health_score AS healthScore FROM customers c WHERE ${RANGE}`,
  );
  const totals = client.prepare<{ pk: number; last14: number; prior14: number; activeDays7: number }, RangeParams & Days>(
    `SELECT c.pk, sum(CASE WHEN t.day >= $since14 THEN t.count ELSE 0 END) AS last14,
            sum(CASE WHEN t.day < $since14 THEN t.count ELSE 0 END) AS prior14, sum(t.day >= $since7) AS activeDays7
       FROM customers c JOIN customer_daily_totals t ON t.customer_pk = c.pk AND t.day >= $since28
      WHERE ${RANGE} GROUP BY c.pk`,
  );
  const breadths = client.prepare<{ pk: number; breadth: number }, RangeParams & { since30: number }>(
    `SELECT c.pk, count(DISTINCT d.event) AS breadth
       FROM customers c JOIN customer_daily_counts d ON d.customer_pk = c.pk AND d.day >= $since30
      WHERE ${RANGE} GROUP BY c.pk`,
  );
  // users has its own app_id: joining customers to scope it, as above, made this twice as slow.
  const users = client.prepare<{ pk: number; users: number; activeUsers: number }, RangeParams & { activeSince: number }>(
    `SELECT customer_pk AS pk, count(*) AS users, sum(last_seen >= $activeSince) AS activeUsers
       FROM users WHERE +app_id = $appId AND customer_pk BETWEEN $lo AND $hi GROUP BY customer_pk`,
  );
  const subscriptions = client.prepare<SubscriptionFields, RangeParams>(
    `SELECT pk, customer_pk AS customerPk, status, started_at AS startedAt, quantity, trial_end AS trialEnd,
            cancel_at_period_end AS cancelAtPeriodEnd
       FROM subscriptions WHERE +app_id = $appId AND customer_pk BETWEEN $lo AND $hi`,
  );
  // The latest payment event of each customer, the newest row winning a tie on time.
  const latestPayments = client.prepare<{ pk: number; kind: string; occurredAt: number }, RangeParams>(
    `SELECT customer_pk AS pk, kind, occurred_at AS occurredAt FROM (
       SELECT customer_pk, kind, occurred_at,
              row_number() OVER (PARTITION BY customer_pk ORDER BY occurred_at DESC, pk DESC) AS latest
         FROM billing_events
        WHERE +app_id = $appId AND customer_pk BETWEEN $lo AND $hi AND kind IN ('payment_failed', 'payment_succeeded'))
      WHERE latest = 1`,
  );

  return {
    /** The app's customers in ranges of about `size` by pk, ascending. */
    ranges(appId: string, size: number): Range[] {
      const pks = Float64Array.from(pksOf.values({ appId }), ([pk]) => pk as number).sort();
      const ranges: Range[] = [];
      for (let i = 0; i < pks.length; i += size) ranges.push([pks[i], pks[Math.min(i + size, pks.length) - 1]]);
      return ranges;
    },

    /** Distinct event names in the last 30 days, per customer of the range that had any. */
    breadths(appId: string, [lo, hi]: Range, now: number): Map<number, number> {
      const rows = breadths.all({ appId, lo, hi, since30: dayOf(now) - 29 });
      return new Map(rows.map((row) => [row.pk, row.breadth]));
    },

    /** Every customer of the range with its inputs; `breadth` as from breadths(). */
    gather(appId: string, [lo, hi]: Range, now: number, breadth: Map<number, number>, medianBreadth: number): Scorable[] {
      const today = dayOf(now);
      const range = { appId, lo, hi };
      const totalsOf = byPk(totals.all({ ...range, since7: today - 6, since14: today - 13, since28: today - 27 }));
      const usersOf = byPk(users.all({ ...range, activeSince: now - 30 * DAY_MS }));
      const paymentOf = byPk(latestPayments.all(range));
      const subscriptionsOf = Map.groupBy(subscriptions.all(range), (row) => row.customerPk);
      return customersIn.all(range).map(({ pk, lastSeen, healthScore }) => {
        const subscription = currentSubscription(subscriptionsOf.get(pk) ?? []);
        const payment = paymentOf.get(pk);
        return {
          pk,
          healthScore,
          inputs: {
            lastSeen,
            eventsLast14d: totalsOf.get(pk)?.last14 ?? 0,
            eventsPrior14d: totalsOf.get(pk)?.prior14 ?? 0,
            activeDaysLast7d: totalsOf.get(pk)?.activeDays7 ?? 0,
            breadth: breadth.get(pk) ?? 0,
            medianBreadth,
            users: usersOf.get(pk)?.users ?? 0,
            activeUsers: usersOf.get(pk)?.activeUsers ?? 0,
            subscription: subscription
              ? {
                  status: subscription.status,
                  quantity: subscription.quantity,
                  trialEnd: subscription.trialEnd,
                  cancelAtPeriodEnd: subscription.cancelAtPeriodEnd === 1,
                }
              : null,
            paymentFailedAt: payment?.kind === "payment_failed" ? payment.occurredAt : null,
          },
        };
      });
    },
  };
}

/** Live health for one customer (the profile), against the median of the app's last pass. */
export function createScoringService(db: Db) {
  const gathering = prepareGathering(db.$client);
  const storedMedian = db.$client.prepare<{ medianBreadth: number; computedAt: number }, { appId: string }>(
    "SELECT median_breadth AS medianBreadth, computed_at AS computedAt FROM app_health_runs WHERE app_id = $appId",
  );

  /**
   * The last pass's median, with its time, when it can stand beside this customer's breadth.
   * Otherwise it is worked out here: before the app's first pass (a new app, or the first start
   * after upgrading), and when the pass found nobody active but this customer is (a server
   * scored at start while empty): 0.45 s at 100k customers (bench/health.ts), and only until
   * the next pass.
   */
  function medianBreadth(appId: string, now: number, ownBreadth: number): { value: number; asOf?: number } {
    const stored = storedMedian.get({ appId });
    if (stored && !(stored.medianBreadth === 0 && ownBreadth > 0)) return { value: stored.medianBreadth, asOf: stored.computedAt };
    return { value: medianOf(gathering.ranges(appId, RANGE_SIZE).flatMap((range) => [...gathering.breadths(appId, range, now).values()])) };
  }

  return {
    customerHealth(app: AppRow, customer: CustomerRow, now: number): Health {
      const range: Range = [customer.pk, customer.pk];
      const breadth = gathering.breadths(app.id, range, now);
      const median = medianBreadth(app.id, now, breadth.get(customer.pk) ?? 0);
      const [scorable] = gathering.gather(app.id, range, now, breadth, median.value);
      return scoreHealth({ ...scorable.inputs, medianAsOf: median.asOf }, weightsOf(app.healthWeights), now);
    },
  };
}

export type ScoringService = ReturnType<typeof createScoringService>;

// Type aliases, not interfaces: bun:sqlite's parameter types need an index signature.
type RangeParams = { appId: string; lo: number; hi: number };
type Days = { since7: number; since14: number; since28: number };

interface SubscriptionFields {
  pk: number;
  customerPk: number;
  status: string;
  startedAt: number | null;
  quantity: number;
  trialEnd: number | null;
  cancelAtPeriodEnd: number;
}

function byPk<T extends { pk: number }>(rows: T[]): Map<number, T> {
  return new Map(rows.map((row) => [row.pk, row]));
}
