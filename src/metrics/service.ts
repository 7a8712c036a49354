// App-wide reads, all from the counts kept at write time (never the events table): events per
// interval and per name, distinct active customers per interval, and the names seen.
import type { Store } from "../store/types";
import { toIso } from "../dates";
import type { Chart } from "../charts";
import { bucketStart, DAY_MS, dayOf, type Interval } from "../periods";
import type { EventNameView, MetricsPoint } from "./model";
import { namingProblems, spellingKey } from "./naming";

export function createMetricsService(store: Store) {
  const counts = store.counts;

  return {
    /** Customers per health grade (from the last scoring pass), and how many are not scored yet. */
    async health(appId: string) {
      const row = await counts.grades(appId);
      return { customers: row.customers, grades: { healthy: row.healthy, watch: row.watch, at_risk: row.atRisk }, unscored: row.customers - row.healthy - row.watch - row.atRisk };
    },

    /** Per bucket of the chart: events by name and distinct active customers; `event` narrows both. */
    async events(appId: string, chart: Chart, interval: Interval, event?: string): Promise<{ totals: Record<string, number>; series: MetricsPoint[] }> {
      const fromDay = dayOf(chart.from);
      const toDay = dayOf(chart.to - 1) + 1;
      const active = new Map(event === undefined ? (await counts.activeCustomers(appId, interval, fromDay, toDay)).map((row) => [row.period * DAY_MS, row.customers]) : []);
      const points = new Map<number, MetricsPoint>();
      for (const [i, start] of chart.starts.entries()) {
        if (event !== undefined) {
          active.set(start, await counts.activeCustomersOfEvent(appId, event, dayOf(start), dayOf((chart.starts[i + 1] ?? chart.to) - 1) + 1));
        }
        points.set(start, { start: toIso(start), events: 0, activeCustomers: active.get(start) ?? 0, byEvent: Object.create(null) });
      }
      // Keyed by event names, which clients choose: prototype-less, so "__proto__" or
      // "constructor" is counted like any other name.
      const totals: Record<string, number> = Object.create(null);
      const days = await counts.dailyCounts(appId, fromDay, toDay, event);
      for (const { day, event: name, count } of days) {
        const point = points.get(bucketStart(day * DAY_MS, interval));
        if (!point) continue;
        point.events += count;
        point.byEvent[name] = (point.byEvent[name] ?? 0) + count;
        totals[name] = (totals[name] ?? 0) + count;
      }
      return { totals, series: [...points.values()] };
    },

    /** Every name the app has seen, most frequent first, checked against the naming convention. */
    async names(appId: string): Promise<EventNameView[]> {
      const [rows, perEvent] = await Promise.all([counts.eventNames(appId), counts.customersPerEvent(appId)]);
      const doing = new Map(perEvent.map((row) => [row.event, row.customers]));
      const spellings = Map.groupBy(rows, (row) => spellingKey(row.event));
      return rows.map((row) => {
        const problems = namingProblems(row.event);
        return {
          event: row.event,
          count: row.count,
          customers: doing.get(row.event) ?? 0,
          firstSeen: toIso(row.firstSeen),
          lastSeen: toIso(row.lastSeen),
          conventional: problems.length === 0,
          problems,
          similarTo: spellings
            .get(spellingKey(row.event))!
            .filter((other) => other.event !== row.event)
            .map((other) => other.event),
        };
      });
    },
  };
}

export type MetricsService = ReturnType<typeof createMetricsService>;
