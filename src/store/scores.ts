// Statements for health scoring (db/schema.ts: customers.health_score, app_health_runs) and the
// range reads it gathers its inputs with, over the counts, users, subscriptions and billing
// events. Raw SQL on the connection: the reads carry index hints (`+app_id`) and window
// functions measured in bench/health.ts, which Drizzle's builder would only wrap in sql``.
import type { Db } from "../db";

export function createScoreStore(db: Db) {
  const client = db.$client;
  // Every query reads its range through an index on the customer pk. `+app_id` keeps SQLite
  // from choosing an (app_id, …) index instead, which reads the whole app for each range: 11 ms
  // a range of customers against under 1, and 4.7 ms to find one customer's subscriptions
  // among 40,000 (bench/health.ts).
  const RANGE = "+c.app_id = $appId AND c.pk BETWEEN $lo AND $hi";
  // Unsorted: the caller sorts, rather than ORDER BY, for which SQLite built a temporary b-tree: 20 ms
  // against 45 at 100k customers, all of it holding the event loop.
  const pksOf = client.prepare<[number], { appId: string }>("SELECT pk FROM customers WHERE app_id = $appId");
  const customersIn = client.prepare<{ pk: number; lastSeen: number | null; healthScore: number | null }, RangeParams>(
    `SELECT c.pk, c.last_seen AS lastSeen, c.health_score AS healthScore FROM customers c WHERE ${RANGE}`,
  );
  const totals = client.prepare<{ pk: number; last14: number; prior14: number; activeDays7: number }, RangeParams & Days>(
    `SELECT c.pk, sum(CASE WHEN t.day >= $since14 THEN t.count ELSE 0 END) AS last14,
            sum(CASE WHEN t.day < $since14 THEN t.count ELSE 0 END) AS prior14, sum(t.day >= $since7) AS activeDays7
       FROM customers c JOIN customer_daily_totals t ON t.customer_pk = c.pk AND t.day >= $since28
      WHERE ${RANGE} GROUP BY c.pk`,
  );
  const breadths = client.prepare<{ pk: number; breadth: number }, RangeParams & { since30: number }>(
    `SELECT c.pk, count(DISTINCT d.event) AS breadth
       FROM customers c JOIN customer_daily_counts d ON d.customer_pk = c.pk AND d.day >= $since30
      WHERE ${RANGE} GROUP BY c.pk`,
  );
  // users has its own app_id: joining customers to scope it, as above, made this twice as slow.
  const users = client.prepare<{ pk: number; users: number; activeUsers: number }, RangeParams & { activeSince: number }>(
    `SELECT customer_pk AS pk, count(*) AS users, sum(last_seen >= $activeSince) AS activeUsers
       FROM users WHERE +app_id = $appId AND customer_pk BETWEEN $lo AND $hi GROUP BY customer_pk`,
  );
  const subscriptions = client.prepare<SubscriptionFields, RangeParams>(
    `SELECT pk, customer_pk AS customerPk, status, started_at AS startedAt, quantity, trial_end AS trialEnd,
            cancel_at_period_end AS cancelAtPeriodEnd
       FROM subscriptions WHERE +app_id = $appId AND customer_pk BETWEEN $lo AND $hi`,
  );
  // The latest payment event of each customer, the newest row winning a tie on time.
  const latestPayments = client.prepare<{ pk: number; kind: string; occurredAt: number }, RangeParams>(
    `SELECT customer_pk AS pk, kind, occurred_at AS occurredAt FROM (
       SELECT customer_pk, kind, occurred_at,
              row_number() OVER (PARTITION BY customer_pk ORDER BY occurred_at DESC, pk DESC) AS latest
         FROM billing_events
        WHERE +app_id = $appId AND customer_pk BETWEEN $lo AND $hi AND kind IN ('payment_failed', 'payment_succeeded'))
      WHERE latest = 1`,
  );

  const storedMedian = client.prepare<{ medianBreadth: number; computedAt: number }, { appId: string }>(
    "SELECT median_breadth AS medianBreadth, computed_at AS computedAt FROM app_health_runs WHERE app_id = $appId",
  );
  const apps = client.prepare<{ id: string; weights: string | null }, { appId: string | null }>(
    "SELECT id, health_weights AS weights FROM apps WHERE $appId IS NULL OR id = $appId ORDER BY created_at, id",
  );
  const setScore = client.prepare<never, { pk: number; score: number }>("UPDATE customers SET health_score = $score WHERE pk = $pk");
  const saveRun = client.prepare<never, HealthRun>(
    `INSERT INTO app_health_runs (app_id, median_breadth, customers_scored, duration_ms, computed_at)
     VALUES ($appId, $medianBreadth, $customersScored, $durationMs, $computedAt)
     ON CONFLICT (app_id) DO UPDATE SET median_breadth = excluded.median_breadth, customers_scored = excluded.customers_scored,
       duration_ms = excluded.duration_ms, computed_at = excluded.computed_at`,
  );

  return {
    /** The app's customer pks, unsorted. */
    customerPks: (appId: string): number[] => pksOf.values({ appId }).map(([pk]) => pk as number),
    customersIn: (range: RangeParams) => customersIn.all(range),
    totals: (range: RangeParams & Days) => totals.all(range),
    breadths: (range: RangeParams & { since30: number }) => breadths.all(range),
    users: (range: RangeParams & { activeSince: number }) => users.all(range),
    subscriptions: (range: RangeParams): SubscriptionFields[] => subscriptions.all(range),
    latestPayments: (range: RangeParams) => latestPayments.all(range),
    /** What the app's last pass found, if it has had one. */
    storedMedian: (appId: string) => storedMedian.get({ appId }) ?? undefined,
    /** Every app (or only `appId`) with its weights as stored (JSON text), oldest first. */
    appsToScore: (appId: string | null) => apps.all({ appId }),
    /** Writes: run inside a writer job. */
    setScores: (changes: { pk: number; score: number }[]) => changes.forEach((change) => setScore.run(change)),
    saveRun: (run: HealthRun) => void saveRun.run(run),
  };
}

export type ScoreStore = ReturnType<typeof createScoreStore>;

// Type aliases, not interfaces: bun:sqlite's parameter types need an index signature.
export type RangeParams = { appId: string; lo: number; hi: number };
export type Days = { since7: number; since14: number; since28: number };

export interface SubscriptionFields {
  pk: number;
  customerPk: number;
  status: string;
  startedAt: number | null;
  quantity: number;
  trialEnd: number | null;
  cancelAtPeriodEnd: number;
}

export type HealthRun = { appId: string; medianBreadth: number; customersScored: number; durationMs: number; computedAt: number };
