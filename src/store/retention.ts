// The purge's SQL: one step deletes at most `limit` rows, so each step is one short writer job
// (ingestion's jobs commit between steps, not behind one long delete). Raw events go first;
// once none is left before the horizon, the per-day counts of those days go, and the periods of
// distinct active customers that ended before it. Raw SQL, like erasure: bounded deletes by rowid
// and SQLite's date() arithmetic.
//
// What stays: every all-time figure. customers/users event_count, first_seen and last_seen,
// and customer_event_stats / app_event_stats (per event name: count, firstSeen, lastSeen) still
// count purged events: they are summaries with no event data, and they are what "first seen"
// and "all-time count" mean. README ("Data retention") says so.
import type { Db } from "../db";
import { dayOf } from "../periods";
import { APP_PK } from "./app-key";

export interface PurgeStep {
  events: number;
  /** Per-day count rows deleted (customer and app-wide). */
  dayRows: number;
  /** Nothing left before the horizon. */
  done: boolean;
}

export function preparePurge(db: Db) {
  const client = db.$client;
  // The events_app_date index finds the oldest first; the rowid list keeps the delete to `limit`.
  const deleteEvents = client.prepare<never, { appId: string; horizon: number; limit: number }>(
    `DELETE FROM events WHERE seq IN (
       SELECT seq FROM events WHERE app_pk = ${APP_PK} AND event_date < $horizon ORDER BY event_date LIMIT $limit)`,
  );
  // customer_daily_totals has no app index: its rows are found through customer_daily_counts',
  // which has a row for every (customer, day) it has.
  const customerDays = client.prepare<{ customerPk: number; day: number }, { appId: string; day: number; limit: number }>(
    `SELECT DISTINCT customer_pk AS customerPk, day FROM customer_daily_counts
      WHERE app_pk = ${APP_PK} AND day < $day LIMIT $limit`,
  );
  const deleteCustomerDay = [
    "DELETE FROM customer_daily_counts WHERE customer_pk = $customerPk AND day = $day",
    "DELETE FROM customer_daily_totals WHERE customer_pk = $customerPk AND day = $day",
  ].map((sql) => client.prepare<never, { customerPk: number; day: number }>(sql));
  const deleteAppDays = client.prepare<never, { appId: string; day: number; limit: number }>(
    `DELETE FROM app_daily_counts WHERE rowid IN (
       SELECT rowid FROM app_daily_counts WHERE app_pk = ${APP_PK} AND day < $day LIMIT $limit)`,
  );
  // A week or month that straddles the horizon keeps its distinct count (it counted customers
  // active on days still kept too); periods that ended before it go. Days end the day after.
  const deleteActive = client.prepare<never, { appId: string; day: number }>(
    `DELETE FROM app_active_customers WHERE app_pk = ${APP_PK} AND (
        (interval = 'day' AND period < $day)
        OR (interval = 'week' AND period + 7 <= $day)
        OR (interval = 'month' AND date(period * 86400, 'unixepoch', '+1 month') <= date($day * 86400, 'unixepoch')))`,
  );

  return (appId: string, horizon: number, limit: number): PurgeStep => {
    const events = deleteEvents.run({ appId, horizon, limit }).changes;
    if (events === limit) return { events, dayRows: 0, done: false };
    const day = dayOf(horizon);
    let dayRows = 0;
    const pairs = customerDays.all({ appId, day, limit });
    for (const pair of pairs) for (const statement of deleteCustomerDay) dayRows += statement.run(pair).changes;
    const appRows = deleteAppDays.run({ appId, day, limit }).changes;
    dayRows += appRows;
    const done = pairs.length < limit && appRows < limit;
    if (done) dayRows += deleteActive.run({ appId, day }).changes;
    return { events, dayRows, done };
  };
}

export type Purge = ReturnType<typeof preparePurge>;

/** The apps with a retention period, oldest first. */
export function prepareRetentionApps(db: Db) {
  const apps = db.$client.prepare<{ id: string; retentionDays: number }, []>(
    "SELECT id, retention_days AS retentionDays FROM apps WHERE retention_days IS NOT NULL ORDER BY created_at, id",
  );
  return () => apps.all();
}
