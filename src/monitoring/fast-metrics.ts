// The metrics that move on every request, kept in plain numbers. prom-client's own observe()
// and inc() check the label names and hash the label object on every call: ~1.2 µs a request
// in a profile of the single-event path under load (~2% of it). Here a request costs one Map
// lookup by a string key; the figures stay exact, and the registry formats them as usual.
import { Counter, type Registry } from "prom-client";

type Labels<L extends string> = Record<L, string>;

const SEPARATOR = "\u0000"; // never in a label value we count: routes, codes, app ids, sources

/**
 * A labelled counter whose increments are tallied here and handed to prom-client when it is
 * scraped (its collect() hook), so the text it serves is prom-client's own.
 */
export class TalliedCounter<L extends string> {
  private readonly pending = new Map<string, { labels: Labels<L>; n: number }>();
  private readonly labelNames: readonly L[];

  constructor(options: { name: string; help: string; labelNames: readonly L[]; registers: Registry[] }) {
    const pending = this.pending;
    this.labelNames = options.labelNames;
    // Registered in `registers`; read only through them.
    new Counter<L>({
      ...options,
      collect() {
        for (const entry of pending.values()) {
          if (entry.n > 0) this.inc(entry.labels, entry.n);
          entry.n = 0;
        }
      },
    });
  }

  inc(labels: Labels<L>, n = 1): void {
    const key = keyOf(this.labelNames, labels);
    const entry = this.pending.get(key);
    if (entry) entry.n += n;
    else this.pending.set(key, { labels: { ...labels }, n });
  }
}

interface Series<L extends string> {
  labels: Labels<L>;
  /** Per bucket (not cumulative); the last one is +Inf. */
  buckets: number[];
  sum: number;
  count: number;
}

/** A labelled histogram in prom-client's exposition format (registered as a custom metric). */
export class FastHistogram<L extends string> {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly series = new Map<string, Series<L>>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly upperBounds: readonly number[],
    registers: Registry[],
  ) {
    for (const registry of registers) registry.registerMetric(this as never);
  }

  observe(labels: Labels<L>, value: number): void {
    const key = keyOf(this.labelNames, labels);
    let series = this.series.get(key);
    if (!series) {
      series = { labels: { ...labels }, buckets: new Array(this.upperBounds.length + 1).fill(0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    let bucket = 0;
    while (bucket < this.upperBounds.length && value > this.upperBounds[bucket]!) bucket++;
    series.buckets[bucket]! += 1;
    series.sum += value;
    series.count += 1;
  }

  /** What the registry reads at scrape: the same series prom-client's Histogram writes. */
  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const { labels, buckets, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += buckets[i]!;
        values.push({ labels: { le, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: "+Inf", ...labels }, value: count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.series.clear();
  }
}

function keyOf<L extends string>(names: readonly L[], labels: Labels<L>): string {
  let key = labels[names[0]!];
  for (let i = 1; i < names.length; i++) key += SEPARATOR + labels[names[i]!];
  return key;
}
