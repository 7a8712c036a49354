// Erasure (right to be forgotten): a customer, its users, its events and every count derived
// from them, in one transaction. Runs as a writer job, so no event for the customer can commit
// between the lookup and the delete.
import type { Database } from "bun:sqlite";

export interface Erased {
  events: number;
  users: number;
}

export function prepareErase(client: Database) {
  const statements = [
    // App-wide counts lose exactly what this customer contributed.
    `UPDATE app_daily_counts SET count = app_daily_counts.count - c.count
       FROM customer_daily_counts AS c
      WHERE c.customer_pk = $pk AND app_daily_counts.app_id = $appId
        AND app_daily_counts.day = c.day AND app_daily_counts.event = c.event`,
    "DELETE FROM app_daily_counts WHERE app_id = $appId AND count <= 0",
    "DELETE FROM customer_daily_counts WHERE customer_pk = $pk",
    "DELETE FROM customer_event_stats WHERE customer_pk = $pk",
  ].map((sql) => client.prepare(sql));
  const deleteEvents = client.prepare("DELETE FROM events WHERE customer_pk = $pk");
  const deleteUsers = client.prepare("DELETE FROM users WHERE customer_pk = $pk");
  const deleteCustomer = client.prepare("DELETE FROM customers WHERE pk = $pk AND app_id = $appId");

  return (appId: string, pk: number): Erased => {
    for (const statement of statements) statement.run({ pk, appId });
    const events = deleteEvents.run({ pk }).changes;
    const users = deleteUsers.run({ pk }).changes;
    deleteCustomer.run({ pk, appId });
    return { events, users };
  };
}
