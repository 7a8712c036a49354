// One bounded step of an app's retention purge on PostgreSQL: ../retention.ts's statements
// (raw SQL), with ctid for SQLite's rowid and date arithmetic for SQLite's date(). The same
// order and the same answer: raw events first, then the day rows, then the ended periods.
import { dayOf } from "../../periods";
import type { PurgeStep } from "../retention";
import type { PgTx } from "./batcher";

export async function purgeRetention(tx: PgTx, appId: string, horizon: number, limit: number): Promise<PurgeStep> {
  const events = (
    await tx`DELETE FROM events WHERE seq IN (
      SELECT seq FROM events WHERE app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND event_date < ${horizon} ORDER BY event_date LIMIT ${limit})`
  ).count;
  if (events === limit) return { events, dayRows: 0, done: false };
  const day = dayOf(horizon);
  const pairs = await tx<{ customerPk: number; day: number }[]>`
    SELECT DISTINCT customer_pk AS "customerPk", day FROM customer_daily_counts WHERE app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND day < ${day} LIMIT ${limit}`;
  let dayRows = 0;
  if (pairs.length > 0) {
    const pks = pairs.map((pair) => pair.customerPk);
    const days = pairs.map((pair) => pair.day);
    for (const table of ["customer_daily_counts", "customer_daily_totals"]) {
      dayRows += (
        await tx`DELETE FROM ${tx(table)} AS t USING unnest(${pks}::int8[], ${days}::int8[]) AS v(customer_pk, day)
          WHERE t.customer_pk = v.customer_pk AND t.day = v.day`
      ).count;
    }
  }
  const appRows = (
    await tx`DELETE FROM app_daily_counts WHERE ctid IN (
      SELECT ctid FROM app_daily_counts WHERE app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND day < ${day} LIMIT ${limit})`
  ).count;
  dayRows += appRows;
  const done = pairs.length < limit && appRows < limit;
  // A week or month that straddles the horizon keeps its distinct count; periods that ended before it go.
  if (done) {
    dayRows += (
      await tx`DELETE FROM app_active_customers WHERE app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND (
        ("interval" = 'day' AND period < ${day})
        OR ("interval" = 'week' AND period + 7 <= ${day})
        OR ("interval" = 'month' AND date '1970-01-01' + period::int + interval '1 month' <= date '1970-01-01' + ${day}::int))`
    ).count;
  }
  return { events, dayRows, done };
}
