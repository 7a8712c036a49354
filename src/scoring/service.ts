// What scoring needs, gathered for a range of an app's customers at once: a few GROUP BY
// queries per range over counts kept at write time, never the events. The profile gathers a
// range of one with the same queries, so it and the scheduled pass can't disagree.
import { currentSubscription } from "../billing/service";
import type { Db } from "../db";
import { createScoreStore, type ScoreStore } from "../store/scores";
import type { AppRow, CustomerRow } from "../db/schema";
import { DAY_MS, dayOf } from "../periods";
import { scoreHealth, type Health, type HealthInputs } from "./score";
import { weightsOf } from "./weights";

export { formatWeights, parseWeights, weightsOf, type Weights } from "./weights";

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

export function prepareGathering(store: ScoreStore) {
  return {
    /** The app's customers in ranges of about `size` by pk, ascending. */
    ranges(appId: string, size: number): Range[] {
      const pks = Float64Array.from(store.customerPks(appId)).sort();
      const ranges: Range[] = [];
      for (let i = 0; i < pks.length; i += size) ranges.push([pks[i], pks[Math.min(i + size, pks.length) - 1]]);
      return ranges;
    },

    /** Distinct event names in the last 30 days, per customer of the range that had any. */
    breadths(appId: string, [lo, hi]: Range, now: number): Map<number, number> {
      const rows = store.breadths({ appId, lo, hi, since30: dayOf(now) - 29 });
      return new Map(rows.map((row) => [row.pk, row.breadth]));
    },

    /** Every customer of the range with its inputs; `breadth` as from breadths(). */
    gather(appId: string, [lo, hi]: Range, now: number, breadth: Map<number, number>, medianBreadth: number): Scorable[] {
      const today = dayOf(now);
      const range = { appId, lo, hi };
      const totalsOf = byPk(store.totals({ ...range, since7: today - 6, since14: today - 13, since28: today - 27 }));
      const usersOf = byPk(store.users({ ...range, activeSince: now - 30 * DAY_MS }));
      const paymentOf = byPk(store.latestPayments(range));
      const subscriptionsOf = Map.groupBy(store.subscriptions(range), (row) => row.customerPk);
      return store.customersIn(range).map(({ pk, lastSeen, healthScore }) => {
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
  const store = createScoreStore(db);
  const gathering = prepareGathering(store);

  /**
   * The last pass's median, with its time, when it can stand beside this customer's breadth.
   * Otherwise it is worked out here: before the app's first pass (a new app, or the first start
   * after upgrading), and when the pass found nobody active but this customer is (a server
   * scored at start while empty): 0.45 s at 100k customers (bench/health.ts), and only until
   * the next pass.
   */
  function medianBreadth(appId: string, now: number, ownBreadth: number): { value: number; asOf?: number } {
    const stored = store.storedMedian(appId);
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

function byPk<T extends { pk: number }>(rows: T[]): Map<number, T> {
  return new Map(rows.map((row) => [row.pk, row]));
}
