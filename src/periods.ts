// Calendar periods, all in UTC: days since the epoch, weeks starting on Monday (ISO), calendar
// months. Counts are kept and charted in these; the SQL backfills in drizzle/ use the same rules.

export const DAY_MS = 86_400_000;

/** The UTC day (days since the epoch) a time falls on. */
export const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

export const INTERVALS = ["day", "week", "month"] as const;
export type Interval = (typeof INTERVALS)[number];

/** The start (ms) of the day, week or month `ms` falls in. */
export function bucketStart(ms: number, interval: Interval): number {
  const date = new Date(ms);
  const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  if (interval === "day") return day;
  if (interval === "week") return day - ((date.getUTCDay() + 6) % 7) * DAY_MS;
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** The first day of the period a day falls in, and the first day after it. */
export function periodOf(day: number, interval: Interval): { start: number; end: number } {
  const start = dayOf(bucketStart(day * DAY_MS, interval));
  if (interval === "day") return { start, end: start + 1 };
  if (interval === "week") return { start, end: start + 7 };
  const first = new Date(start * DAY_MS);
  return { start, end: dayOf(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 1)) };
}
