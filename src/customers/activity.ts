// Counts per day, week (ISO: Monday, UTC) or calendar month (UTC), zero-filled, built from the
// per-day counts kept at write time. Pure: no database.
import { toIso } from "../dates";
import { DAY_MS } from "../ingest/counters";

export const INTERVALS = ["day", "week", "month"] as const;
export type Interval = (typeof INTERVALS)[number];

/** How far back a chart goes when `from` is not given. */
const DEFAULT_SPAN: Record<Interval, number> = { day: 30, week: 12, month: 12 };
export const MAX_BUCKETS = 1000;

export function bucketStart(ms: number, interval: Interval): number {
  const date = new Date(ms);
  const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  if (interval === "day") return day;
  if (interval === "week") return day - ((date.getUTCDay() + 6) % 7) * DAY_MS;
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

function addBuckets(start: number, interval: Interval, n: number): number {
  if (interval === "day") return start + n * DAY_MS;
  if (interval === "week") return start + n * 7 * DAY_MS;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + n, 1);
}

/** The range a chart covers: whole buckets, by default the last few up to and including now's. */
export function chartRange(interval: Interval, now: number, from?: number, to?: number): { from: number; to: number } {
  const end = to ?? addBuckets(bucketStart(now, interval), interval, 1);
  const start = bucketStart(from ?? addBuckets(bucketStart(end - 1, interval), interval, 1 - DEFAULT_SPAN[interval]), interval);
  return { from: start, to: end };
}

export function bucketCount(range: { from: number; to: number }, interval: Interval): number {
  let n = 0;
  for (let start = range.from; start < range.to && n <= MAX_BUCKETS; start = addBuckets(start, interval, 1)) n++;
  return n;
}

/** Every bucket of the range, with the sum of the day counts that fall in it. */
export function series(days: { day: number; count: number }[], interval: Interval, range: { from: number; to: number }) {
  const buckets = new Map<number, number>();
  for (let start = range.from; start < range.to; start = addBuckets(start, interval, 1)) buckets.set(start, 0);
  for (const { day, count } of days) {
    const start = bucketStart(day * DAY_MS, interval);
    const current = buckets.get(start);
    if (current !== undefined) buckets.set(start, current + count);
  }
  return [...buckets].map(([start, count]) => ({ start: toIso(start), count }));
}
