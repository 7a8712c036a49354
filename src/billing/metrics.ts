// App-wide billing figures per currency (MRR is never added across currencies): MRR now,
// customers and MRR by subscription status, MRR at risk (customers the health score grades
// at_risk), and the MRR movements per interval from the billing history.
import type { Chart } from "../charts";
import type { MrrMovement, Store } from "../store/types";
import { toIso } from "../dates";
import { bucketStart, type Interval } from "../periods";
import { GRADE_RANGES } from "../grades";

type Movements = Record<MrrMovement | "net", number>;

const noMovements = (): Movements => ({ new: 0, expansion: 0, contraction: 0, churn: 0, reactivation: 0, net: 0 });

export interface CurrencyMetrics {
  currency: string;
  /** Monthly recurring revenue now, in the currency's minor unit. */
  mrr: number;
  /** Customers with MRR above zero. */
  payingCustomers: number;
  byStatus: { status: string; customers: number; mrr: number }[];
  atRisk: { customers: number; mrr: number };
  /** Signed: contraction and churn are negative. */
  movements: Movements;
  series: ({ start: string } & Movements)[];
}

export function createBillingMetrics(store: Store) {
  return async function billingMetrics(appId: string, chart: Chart, interval: Interval): Promise<CurrencyMetrics[]> {
    const { byStatus, atRisk, movements } = await store.billing.figures(appId, chart.from, chart.to, GRADE_RANGES.at_risk);

    const byCurrency = new Map<string, CurrencyMetrics>();
    const metricsOf = (currency: string) => {
      let metrics = byCurrency.get(currency);
      if (!metrics) {
        metrics = {
          currency,
          mrr: 0,
          payingCustomers: 0,
          byStatus: [],
          atRisk: { customers: 0, mrr: 0 },
          movements: noMovements(),
          series: chart.starts.map((start) => ({ start: toIso(start), ...noMovements() })),
        };
        byCurrency.set(currency, metrics);
      }
      return metrics;
    };
    for (const row of byStatus) {
      const metrics = metricsOf(row.currency!);
      metrics.mrr += row.mrr;
      metrics.payingCustomers += row.paying;
      metrics.byStatus.push({ status: row.status!, customers: row.customers, mrr: row.mrr });
    }
    for (const row of atRisk) metricsOf(row.currency!).atRisk = { customers: row.customers, mrr: row.mrr };
    const bucketIndex = new Map(chart.starts.map((start, index) => [start, index]));
    for (const row of movements) {
      const metrics = metricsOf(row.currency!);
      const point = metrics.series[bucketIndex.get(bucketStart(row.occurredAt, interval))!]!;
      for (const target of [metrics.movements, point]) {
        target[row.movement!] += row.delta;
        target.net += row.delta;
      }
    }
    return [...byCurrency.values()].sort((a, b) => b.mrr - a.mrr || a.currency.localeCompare(b.currency));
  };
}

export type BillingMetrics = ReturnType<typeof createBillingMetrics>;
