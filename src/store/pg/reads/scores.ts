// Health scoring's range reads on PostgreSQL (ScoreReads). Raw postgres-js statements, as on
// SQLite: aggregates and a window function, which Drizzle's builder would only wrap in sql``.
// Numbers are converted where read (numbers.ts). SQLite's `+app_id` index hints have no
// PostgreSQL equivalent and no need: the planner picks the pk range by its statistics.
import type postgres from "postgres";
import type { ScoreReads } from "../../types";
import { num, numOrNull } from "./numbers";

export function createPgScoreReads(sql: postgres.Sql): ScoreReads {
  return {
    customerPks: async (appId) => (await sql`SELECT pk FROM customers WHERE app_id = ${appId}`).map((row) => num(row.pk)),
    async customersIn({ appId, lo, hi }) {
      const rows = await sql`SELECT pk, last_seen, health_score FROM customers WHERE app_id = ${appId} AND pk BETWEEN ${lo} AND ${hi}`;
      return rows.map((row) => ({ pk: num(row.pk), lastSeen: numOrNull(row.last_seen), healthScore: numOrNull(row.health_score) }));
    },
    async totals({ appId, lo, hi, since7, since14, since28 }) {
      const rows = await sql`
        SELECT c.pk, sum(CASE WHEN t.day >= ${since14} THEN t.count ELSE 0 END) AS last14,
               sum(CASE WHEN t.day < ${since14} THEN t.count ELSE 0 END) AS prior14,
               count(*) FILTER (WHERE t.day >= ${since7}) AS active_days7
          FROM customers c JOIN customer_daily_totals t ON t.customer_pk = c.pk AND t.day >= ${since28}
         WHERE c.app_id = ${appId} AND c.pk BETWEEN ${lo} AND ${hi} GROUP BY c.pk`;
      return rows.map((row) => ({ pk: num(row.pk), last14: num(row.last14), prior14: num(row.prior14), activeDays7: num(row.active_days7) }));
    },
    async breadths({ appId, lo, hi, since30 }) {
      const rows = await sql`
        SELECT c.pk, count(DISTINCT d.event) AS breadth
          FROM customers c JOIN customer_daily_counts d ON d.customer_pk = c.pk AND d.day >= ${since30}
         WHERE c.app_id = ${appId} AND c.pk BETWEEN ${lo} AND ${hi} GROUP BY c.pk`;
      return rows.map((row) => ({ pk: num(row.pk), breadth: num(row.breadth) }));
    },
    async users({ appId, lo, hi, activeSince }) {
      // sum of a nullable comparison, as SQLite's sum(last_seen >= ?): NULL when no user was ever seen.
      const rows = await sql`
        SELECT customer_pk AS pk, count(*) AS users, sum((last_seen >= ${activeSince})::int) AS active_users
          FROM users WHERE app_id = ${appId} AND customer_pk BETWEEN ${lo} AND ${hi} GROUP BY customer_pk`;
      return rows.map((row) => ({ pk: num(row.pk), users: num(row.users), activeUsers: numOrNull(row.active_users) as number }));
    },
    async subscriptions({ appId, lo, hi }) {
      const rows = await sql`
        SELECT pk, customer_pk, status, started_at, quantity, trial_end, cancel_at_period_end
          FROM subscriptions WHERE app_id = ${appId} AND customer_pk BETWEEN ${lo} AND ${hi}`;
      return rows.map((row) => ({
        pk: num(row.pk),
        customerPk: num(row.customer_pk),
        status: row.status as string,
        startedAt: numOrNull(row.started_at),
        quantity: num(row.quantity),
        trialEnd: numOrNull(row.trial_end),
        // 0/1, as SQLite's raw statement gives it.
        cancelAtPeriodEnd: row.cancel_at_period_end ? 1 : 0,
      }));
    },
    async latestPayments({ appId, lo, hi }) {
      // The latest payment event of each customer, the newest row winning a tie on time.
      const rows = await sql`
        SELECT DISTINCT ON (customer_pk) customer_pk, kind, occurred_at
          FROM billing_events
         WHERE app_id = ${appId} AND customer_pk BETWEEN ${lo} AND ${hi} AND kind IN ('payment_failed', 'payment_succeeded')
         ORDER BY customer_pk, occurred_at DESC, pk DESC`;
      return rows.map((row) => ({ pk: num(row.customer_pk), kind: row.kind as string, occurredAt: num(row.occurred_at) }));
    },
    async storedMedian(appId) {
      const [row] = await sql`SELECT median_breadth, computed_at FROM app_health_runs WHERE app_id = ${appId}`;
      return row && { medianBreadth: num(row.median_breadth), computedAt: num(row.computed_at) };
    },
    async appsToScore(appId) {
      // JSON text, as the caller parses it (jsonb's text form: keys may come in another order than stored).
      const rows = await sql`
        SELECT id, health_weights::text AS weights FROM apps
         WHERE ${appId}::text IS NULL OR id = ${appId} ORDER BY created_at, id COLLATE "C"`;
      return rows.map((row) => ({ id: row.id as string, weights: row.weights as string | null }));
    },
  };
}
