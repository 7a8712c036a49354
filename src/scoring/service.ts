// What scoring needs, gathered for a range of an app's customers at once: a few GROUP BY
// queries per range over counts kept at write time, never the events. The profile gathers a
// range of one with the same queries, so it and the scheduled pass can't disagree.
import { currentSubscription } from "../billing/service";
import type { AppRow, CustomerRow, ScoreReads, Store } from "../store/types";
import { DAY_MS, dayOf } from "../periods";
import { scoreHealth, type Health, type HealthInputs } from "./score";
import { weightsOf } from "../health-weights";

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

export function prepareGathering(store: ScoreReads) {
  return {
    /** The app's customers in ranges of about `size` by pk, ascending. */
    async ranges(appId: string, size: number): Promise<Range[]> {
      const pks = Float64Array.from(await store.customerPks(appId)).sort();
      const ranges: Range[] = [];
      for (let i = 0; i < pks.length; i += size) ranges.push([pks[i], pks[Math.min(i + size, pks.length) - 1]]);
      return ranges;
    },

    /** Distinct event names in the last 30 days, per customer of the range that had any. */
    async breadths(appId: string, [lo, hi]: Range, now: number): Promise<Map<number, number>> {
      const rows = await store.breadths({ appId, lo, hi, since30: dayOf(now) - 29 });
      return new Map(rows.map((row) => [row.pk, row.breadth]));
    },

    /** Every customer of the range with its inputs; `breadth` as from breadths(). */
    async gather(appId: string, [lo, hi]: Range, now: number, breadth: Map<number, number>, medianBreadth: number): Promise<Scorable[]> {
      const today = dayOf(now);
      const range = { appId, lo, hi };
      const [totals, users, payments, subscriptions, customers] = await Promise.all([
        store.totals({ ...range, since7: today - 6, since14: today - 13, since28: today - 27 }),
        store.users({ ...range, activeSince: now - 30 * DAY_MS }),
        store.latestPayments(range),
        store.subscriptions(range),
        store.customersIn(range),
      ]);
      const totalsOf = byPk(totals);
      const usersOf = byPk(users);
      const paymentOf = byPk(payments);
      const subscriptionsOf = Map.groupBy(subscriptions, (row) => row.customerPk);
      return customers.map(({ pk, lastSeen, healthScore }) => {
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
export function createScoringService(store: Store) {
  const gathering = prepareGathering(store.scores);

  /**
   * The last pass's median, with its time, when it can stand beside this customer's breadth.
   * Otherwise it is worked out here: before the app's first pass (a new app, or the first start
   * after upgrading), and when the pass found nobody active but this customer is (a server
   * scored at start while empty): 0.45 s at 100k customers (bench/health.ts), and only until
   * the next pass.
   */
  async function medianBreadth(appId: string, now: number, ownBreadth: number): Promise<{ value: number; asOf?: number }> {
    const stored = await store.scores.storedMedian(appId);
    if (stored && !(stored.medianBreadth === 0 && ownBreadth > 0)) return { value: stored.medianBreadth, asOf: stored.computedAt };
    const breadths: number[] = [];
    for (const range of await gathering.ranges(appId, RANGE_SIZE)) breadths.push(...(await gathering.breadths(appId, range, now)).values());
    return { value: medianOf(breadths) };
  }

  return {
    async customerHealth(app: AppRow, customer: CustomerRow, now: number): Promise<Health> {
      const range: Range = [customer.pk, customer.pk];
      const breadth = await gathering.breadths(app.id, range, now);
      const median = await medianBreadth(app.id, now, breadth.get(customer.pk) ?? 0);
      const [scorable] = await gathering.gather(app.id, range, now, breadth, median.value);
      return scoreHealth({ ...scorable.inputs, medianAsOf: median.asOf }, weightsOf(app.healthWeights), now);
    },
  };
}

export type ScoringService = ReturnType<typeof createScoringService>;

function byPk<T extends { pk: number }>(rows: T[]): Map<number, T> {
  return new Map(rows.map((row) => [row.pk, row]));
}
