// Where an app's history starts. Retention keeps the current UTC day and the N days before it,
// so the horizon is always a UTC midnight: whole days go, and the per-day counts go with them
// exactly (a day is either fully kept or fully purged).
import type { ErrorDetail } from "../errors";
import { validationError } from "../http/validate";
import { DAY_MS, dayOf } from "../periods";

/** Events with an eventDate before this (ms) are past the horizon; null: kept forever. */
export function retentionHorizon(retentionDays: number | null, now: number): number | null {
  return retentionDays === null ? null : (dayOf(now) - retentionDays) * DAY_MS;
}

/** What read routes and exports say about it: `retainedSince`, an ISO date-time or null. */
export function retainedSince(app: { retentionDays: number | null }, now: number): string | null {
  const horizon = retentionHorizon(app.retentionDays, now);
  return horizon === null ? null : new Date(horizon).toISOString();
}

export const MAX_RETENTION_DAYS = 36_500;

/**
 * A read's `from`, moved up to the horizon: events past it are hidden from the moment the
 * horizon passes them, not only once the background purge has deleted them.
 */
export function retainedFrom(from: number | undefined, app: { retentionDays: number | null }, now: number): number | undefined {
  const horizon = retentionHorizon(app.retentionDays, now);
  return horizon === null || (from !== undefined && from > horizon) ? from : horizon;
}

/**
 * Refuses events dated before the app's horizon, naming each one: stored, they would vanish
 * from every read at once and be deleted by the next purge, after a 201 that said otherwise.
 * `batch`: the body is an array, and details carry each item's index.
 */
export function refusePastHorizon(app: { retentionDays: number | null }, eventDates: number[], now: number, batch: boolean): void {
  const horizon = retentionHorizon(app.retentionDays, now);
  if (horizon === null) return;
  const message = `eventDate is before ${new Date(horizon).toISOString()}: this app keeps events for ${app.retentionDays} days`;
  const details: ErrorDetail[] = [];
  eventDates.forEach((date, index) => {
    if (date >= horizon) return;
    details.push(batch ? { index, field: "eventDate", path: `/${index}/eventDate`, message } : { path: "/eventDate", message });
  });
  if (details.length > 0) throw validationError(details);
}
