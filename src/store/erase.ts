// Erasure (right to be forgotten): a customer, its users, its events and every count derived
// from them, in one transaction. Runs as a writer job, so no event for the customer can commit
// between the lookup and the delete. Raw SQL: UPDATE … FROM joins over the count tables, plainer
// as SQL than as builder calls, run once per erasure.
import type { Db } from "../db";
import { INTERVALS, periodOf } from "../periods";
import { APP_PK } from "./app-key";

export interface Erased {
  events: number;
  users: number;
  subscriptions: number;
}

export function prepareErase(db: Db) {
  const client = db.$client;
  // App-wide counts lose exactly what this customer contributed; emptied rows go.
  const subtractFromApp = [
    `UPDATE app_daily_counts SET count = app_daily_counts.count - c.count
       FROM customer_daily_counts AS c
      WHERE c.customer_pk = $pk AND app_daily_counts.app_pk = ${APP_PK}
        AND app_daily_counts.day = c.day AND app_daily_counts.event = c.event`,
    `DELETE FROM app_daily_counts WHERE app_pk = ${APP_PK} AND count <= 0`,
    `UPDATE app_event_stats SET count = app_event_stats.count - s.count
       FROM customer_event_stats AS s
      WHERE s.customer_pk = $pk AND app_event_stats.app_pk = ${APP_PK} AND app_event_stats.event = s.event`,
    `DELETE FROM app_event_stats WHERE app_pk = ${APP_PK} AND count <= 0`,
  ].map((sql) => client.prepare(sql));
  const customerStats = client.prepare<{ event: string; first: number; last: number }, { pk: number }>(
    "SELECT event, first_seen AS first, last_seen AS last FROM customer_event_stats WHERE customer_pk = $pk",
  );
  // The customer was one of the distinct active customers of each period it had events in.
  const activeDays = client.prepare<{ day: number }, { pk: number }>("SELECT day FROM customer_daily_totals WHERE customer_pk = $pk");
  const oneLessActive = client.prepare(
    `UPDATE app_active_customers SET customers = customers - 1 WHERE app_pk = ${APP_PK} AND interval = $interval AND period = $period`,
  );
  const deleteInactive = client.prepare(`DELETE FROM app_active_customers WHERE app_pk = ${APP_PK} AND customers <= 0`);
  const deleteCounts = [
    "DELETE FROM customer_daily_counts WHERE customer_pk = $pk",
    "DELETE FROM customer_daily_totals WHERE customer_pk = $pk",
    "DELETE FROM customer_event_stats WHERE customer_pk = $pk",
  ].map((sql) => client.prepare(sql));
  // Where the app-wide first/last seen was this customer's, take it again from the others (the
  // scan over that event's customers happens only then).
  const recomputeFirstLast = client.prepare(
    `UPDATE app_event_stats SET
        first_seen = (SELECT min(first_seen) FROM customer_event_stats WHERE app_pk = ${APP_PK} AND event = $event),
        last_seen = (SELECT max(last_seen) FROM customer_event_stats WHERE app_pk = ${APP_PK} AND event = $event)
      WHERE app_pk = ${APP_PK} AND event = $event AND (first_seen = $first OR last_seen = $last)`,
  );
  const deleteEvents = client.prepare("DELETE FROM events WHERE customer_pk = $pk");
  const deleteUsers = client.prepare("DELETE FROM users WHERE customer_pk = $pk");
  // Billing goes too, history included: MRR metrics then count as if it had never been a customer.
  const deleteBillingEvents = client.prepare("DELETE FROM billing_events WHERE customer_pk = $pk");
  const deleteSubscriptions = client.prepare("DELETE FROM subscriptions WHERE customer_pk = $pk");
  const deleteCustomer = client.prepare("DELETE FROM customers WHERE pk = $pk AND app_id = $appId");

  return (appId: string, pk: number): Erased => {
    const stats = customerStats.all({ pk });
    for (const statement of subtractFromApp) statement.run({ pk, appId });
    const days = activeDays.all({ pk }).map((row) => row.day);
    for (const interval of INTERVALS) {
      for (const period of new Set(days.map((day) => periodOf(day, interval).start))) oneLessActive.run({ appId, interval, period });
    }
    deleteInactive.run({ appId });
    for (const statement of deleteCounts) statement.run({ pk });
    for (const stat of stats) recomputeFirstLast.run({ appId, ...stat });
    const events = deleteEvents.run({ pk }).changes;
    const users = deleteUsers.run({ pk }).changes;
    deleteBillingEvents.run({ pk });
    const subscriptions = deleteSubscriptions.run({ pk }).changes;
    deleteCustomer.run({ pk, appId });
    return { events, users, subscriptions };
  };
}
