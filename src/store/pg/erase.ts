// Erasure on PostgreSQL: the same statements as ../erase.ts (raw SQL, UPDATE … FROM over the
// count tables), in PostgreSQL's spelling. The customer row is locked first (FOR UPDATE), so a
// node writing events for that customer at the same moment waits, then finds it gone and runs
// its batch again (pg/counts.ts), rather than counting into a deleted customer.
import { INTERVALS, periodOf } from "../../periods";
import type { CustomerKey, ErasedCustomer } from "../commands";
import type { PgTx } from "./batcher";

type Found = { pk: number; customerId: string | null; uid: string | null; email: string | null };

export async function eraseCustomer(tx: PgTx, appId: string, by: CustomerKey, value: string): Promise<ErasedCustomer | null> {
  const column = { customerId: "customer_id", uid: "uid", email: "email" }[by];
  const [customer] = await tx<Found[]>`
    SELECT pk, customer_id AS "customerId", uid, email FROM customers WHERE app_id = ${appId} AND ${tx(column)} = ${value}
    ORDER BY pk LIMIT 1 FOR UPDATE`;
  if (!customer) return null;
  const { pk } = customer;
  const stats = await tx<{ event: string; first: number; last: number }[]>`
    SELECT event, first_seen AS first, last_seen AS last FROM customer_event_stats WHERE customer_pk = ${pk}`;
  // App-wide counts lose exactly what this customer contributed; emptied rows go.
  await tx`UPDATE app_daily_counts AS a SET count = a.count - c.count FROM customer_daily_counts AS c
    WHERE c.customer_pk = ${pk} AND a.app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND a.day = c.day AND a.event = c.event`;
  await tx`DELETE FROM app_daily_counts WHERE app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND count <= 0`;
  await tx`UPDATE app_event_stats AS a SET count = a.count - s.count FROM customer_event_stats AS s
    WHERE s.customer_pk = ${pk} AND a.app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND a.event = s.event`;
  await tx`DELETE FROM app_event_stats WHERE app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND count <= 0`;
  // The customer was one of the distinct active customers of each period it had events in.
  const days = (await tx<{ day: number }[]>`SELECT day FROM customer_daily_totals WHERE customer_pk = ${pk}`).map((row) => row.day);
  const periods = INTERVALS.flatMap((interval) => [...new Set(days.map((day) => periodOf(day, interval).start))].map((period) => ({ interval, period })));
  if (periods.length > 0) {
    await tx`UPDATE app_active_customers AS a SET customers = a.customers - 1
      FROM unnest(${periods.map((p) => p.interval)}::text[], ${periods.map((p) => p.period)}::int8[]) AS v("interval", period)
      WHERE a.app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND a."interval" = v."interval" AND a.period = v.period`;
  }
  await tx`DELETE FROM app_active_customers WHERE app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND customers <= 0`;
  await tx`DELETE FROM customer_daily_counts WHERE customer_pk = ${pk}`;
  await tx`DELETE FROM customer_daily_totals WHERE customer_pk = ${pk}`;
  await tx`DELETE FROM customer_event_stats WHERE customer_pk = ${pk}`;
  // Where the app-wide first/last seen was this customer's, take it again from the others.
  for (const { event, first, last } of stats) {
    await tx`UPDATE app_event_stats SET
        first_seen = (SELECT min(first_seen) FROM customer_event_stats WHERE app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND event = ${event}),
        last_seen = (SELECT max(last_seen) FROM customer_event_stats WHERE app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND event = ${event})
      WHERE app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND event = ${event} AND (first_seen = ${first} OR last_seen = ${last})`;
  }
  const events = (await tx`DELETE FROM events WHERE customer_pk = ${pk}`).count;
  const users = (await tx`DELETE FROM users WHERE customer_pk = ${pk}`).count;
  // Billing goes too, history included: MRR metrics then count as if it had never been a customer.
  await tx`DELETE FROM billing_events WHERE customer_pk = ${pk}`;
  const subscriptions = (await tx`DELETE FROM subscriptions WHERE customer_pk = ${pk}`).count;
  await tx`DELETE FROM customers WHERE pk = ${pk} AND app_id = ${appId}`;
  return { customer: { customerId: customer.customerId, uid: customer.uid, email: customer.email }, events, users, subscriptions };
}
