// Counts per day, week (ISO: Monday, UTC) or calendar month (UTC), zero-filled, built from the
// per-day counts kept at write time. Pure: no database.
import { toIso } from "./dates";
import { AppError } from "./errors";
import { bucketStart, DAY_MS, type Interval } from "./periods";

/** How far back a chart goes when `from` is not given. */
const DEFAULT_SPAN: Record<Interval, number> = { day: 30, week: 12, month: 12 };
const MAX_BUCKETS = 1000;

function addBuckets(start: number, interval: Interval, n: number): number {
  if (interval === "day") return start + n * DAY_MS;
  if (interval === "week") return start + n * 7 * DAY_MS;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + n, 1);
}

export interface Chart {
  from: number;
  to: number;
  /** The start of every bucket, in order. */
  starts: number[];
}

/**
 * The buckets a chart covers: whole buckets, by default the last few up to and including now's.
 * More than MAX_BUCKETS is a 400 naming `from`.
 */
export function chartBuckets(interval: Interval, now: number, from?: number, to?: number): Chart {
  const end = to ?? addBuckets(bucketStart(now, interval), interval, 1);
  const begin = bucketStart(from ?? addBuckets(bucketStart(end - 1, interval), interval, 1 - DEFAULT_SPAN[interval]), interval);
  const starts: number[] = [];
  for (let start = begin; start < end; start = addBuckets(start, interval, 1)) {
    if (starts.length === MAX_BUCKETS) {
      const message = `more than ${MAX_BUCKETS} ${interval}s between from and to; narrow the range or use a longer interval`;
      throw new AppError("VALIDATION_FAILED", message, { details: [{ path: "/from", message }] });
    }
    starts.push(start);
  }
  return { from: begin, to: end, starts };
}

/** Every bucket of the chart, with the sum of the day counts that fall in it. */
export function series(days: { day: number; count: number }[], interval: Interval, chart: Chart) {
  const buckets = new Map<number, number>(chart.starts.map((start) => [start, 0]));
  for (const { day, count } of days) {
    const start = bucketStart(day * DAY_MS, interval);
    const current = buckets.get(start);
    if (current !== undefined) buckets.set(start, current + count);
  }
  return [...buckets].map(([start, count]) => ({ start: toIso(start), count }));
}
