// Prepared statements for the write path, in plain SQL on the connection. Every event runs
// several of these, and Drizzle's per-call work (filling placeholders, mapping rows) cost ~1 µs
// a statement on top of SQLite's 3-8 µs (bench/README.md); the tables are still Drizzle's
// (db/schema.ts). The writer runs them inside its batch transaction.
import type { Db } from "../db";
import type { EventSource } from "../db/schema";
import type { StoredEvent } from "./commands";
import { appKeysOf } from "./app-key";

/** What identity resolution needs of a customer; attributes are read only when updated. */
export interface CustomerIdentity {
  pk: number;
  customerId: string | null;
  uid: string | null;
}

export interface Attributed {
  data: Record<string, unknown>;
  email: string | null;
}

// A type, not an interface: statement parameters need an index signature.
export type NewEventRow = {
  id: string;
  /** apps.pk (app-key.ts), not the public id. */
  appPk: number;
  customerPk: number;
  userPk: number | null;
  event: string;
  eventDate: number;
  receivedAt: number;
  eventData: string | null;
  source: EventSource;
  verified: boolean;
  messageId: string | null;
};

/** The row an event is stored as, on either backend (pg/events.ts buffers it): what was sent, and whom it resolved to. */
export function newEventRow(
  event: StoredEvent,
  resolved: Pick<NewEventRow, "id" | "appPk" | "customerPk" | "userPk">,
  source: EventSource,
  receivedAt: number,
): NewEventRow {
  return {
    ...resolved,
    event: event.event,
    eventDate: event.eventDate,
    receivedAt,
    eventData: event.eventData,
    source,
    verified: event.verified,
    messageId: event.messageId ?? null,
  };
}

const IDENTITY = "pk, customer_id AS customerId, uid";

export function createIngestStore(db: Db) {
  const client = db.$client;
  const customerByCustomerId = client.prepare<CustomerIdentity, { appId: string; value: string }>(
    `SELECT ${IDENTITY} FROM customers WHERE app_id = $appId AND customer_id = $value`,
  );
  const customerByUid = client.prepare<CustomerIdentity, { appId: string; value: string }>(
    `SELECT ${IDENTITY} FROM customers WHERE app_id = $appId AND uid = $value`,
  );
  // Emails are not unique: the oldest customer with it wins, so the answer never changes.
  const customerByEmail = client.prepare<CustomerIdentity, { appId: string; value: string }>(
    `SELECT ${IDENTITY} FROM customers WHERE app_id = $appId AND email = $value ORDER BY pk LIMIT 1`,
  );
  const customerAttributes = client.prepare<{ data: string; email: string | null }, { pk: number }>(
    "SELECT data, email FROM customers WHERE pk = $pk",
  );
  const eventByMessageId = client.prepare<{ id: string }, { appPk: number; messageId: string }>(
    "SELECT id FROM events WHERE app_pk = $appPk AND message_id = $messageId",
  );
  const appPk = client.prepare<{ pk: number }, { appId: string }>("SELECT pk FROM apps WHERE id = $appId");
  const insertCustomer = client.prepare<CustomerIdentity, { appId: string; customerId: string | null; uid: string | null; email: string | null; now: number }>(
    `INSERT INTO customers (app_id, customer_id, uid, email, created_at, updated_at)
     VALUES ($appId, $customerId, $uid, $email, $now, $now) RETURNING ${IDENTITY}`,
  );
  const setCustomerIdentity = client.prepare<never, { pk: number; customerId: string | null; uid: string | null; now: number }>(
    "UPDATE customers SET customer_id = $customerId, uid = $uid, updated_at = $now WHERE pk = $pk",
  );
  const setCustomerAttributes = client.prepare<never, { pk: number; data: string; email: string | null; now: number }>(
    "UPDATE customers SET data = $data, email = $email, updated_at = $now WHERE pk = $pk",
  );
  const fillCustomerEmail = client.prepare<never, { pk: number; email: string; now: number }>(
    "UPDATE customers SET email = $email, updated_at = $now WHERE pk = $pk AND email IS NULL",
  );
  const userByUid = client.prepare<{ pk: number }, { customerPk: number; uid: string }>(
    "SELECT pk FROM users WHERE customer_pk = $customerPk AND uid = $uid",
  );
  // A person can be a user of several customers (one record each): the newest record is the
  // account they were most recently added to. Both use users_app_uid_idx.
  const newestCustomerOfUser = client.prepare<CustomerIdentity, { appId: string; uid: string }>(
    `SELECT c.pk, c.customer_id AS customerId, c.uid FROM users u JOIN customers c ON c.pk = u.customer_pk
     WHERE u.app_id = $appId AND u.uid = $uid ORDER BY u.pk DESC LIMIT 1`,
  );
  const usersByUid = client.prepare<{ pk: number }, { appId: string; uid: string }>(
    "SELECT pk FROM users WHERE app_id = $appId AND uid = $uid",
  );
  const userData = client.prepare<{ data: string }, { pk: number }>("SELECT data FROM users WHERE pk = $pk");
  const insertUser = client.prepare<{ pk: number }, { appId: string; customerPk: number; uid: string; now: number }>(
    "INSERT INTO users (app_id, customer_pk, uid, created_at, updated_at) VALUES ($appId, $customerPk, $uid, $now, $now) RETURNING pk",
  );
  const setUserData = client.prepare<never, { pk: number; data: string; now: number }>(
    "UPDATE users SET data = $data, updated_at = $now WHERE pk = $pk",
  );
  // bun:sqlite binds `verified` (a boolean) as 1 or 0.
  const insertEvent = client.prepare<never, NewEventRow>(
    `INSERT INTO events (id, app_pk, customer_pk, user_pk, event, event_date, received_at, event_data, source, verified, message_id)
     VALUES ($id, $appPk, $customerPk, $userPk, $event, $eventDate, $receivedAt, $eventData, $source, $verified, $messageId)`,
  );

  return {
    /** apps.pk of the app `appId`, found once (app-key.ts). */
    appPk: appKeysOf((appId) => appPk.get({ appId })?.pk),
    eventIdByMessageId: (appPk: number, messageId: string): string | undefined =>
      eventByMessageId.get({ appPk, messageId })?.id,
    customerByCustomerId: (appId: string, value: string): CustomerIdentity | undefined =>
      customerByCustomerId.get({ appId, value }) ?? undefined,
    customerByUid: (appId: string, value: string): CustomerIdentity | undefined => customerByUid.get({ appId, value }) ?? undefined,
    customerByEmail: (appId: string, value: string): CustomerIdentity | undefined => customerByEmail.get({ appId, value }) ?? undefined,
    customerAttributes(pk: number): Attributed {
      const row = customerAttributes.get({ pk })!;
      return { data: JSON.parse(row.data), email: row.email };
    },
    insertCustomer: (row: { appId: string; customerId: string | null; uid: string | null; email: string | null; now: number }) =>
      insertCustomer.get(row)!,
    /** Sets the email only where none is known: a browser event never overwrites one. */
    fillCustomerEmail: (pk: number, email: string, now: number) => fillCustomerEmail.run({ pk, email, now }),
    setCustomerIdentity: (row: { pk: number; customerId: string | null; uid: string | null; now: number }) =>
      setCustomerIdentity.run(row),
    setCustomerAttributes: (row: { pk: number; data: Record<string, unknown>; email: string | null; now: number }) =>
      setCustomerAttributes.run({ ...row, data: JSON.stringify(row.data) }),
    userByUid: (customerPk: number, uid: string): { pk: number } | undefined => userByUid.get({ customerPk, uid }) ?? undefined,
    /** The customer whose user `uid` was added most recently, if it is anyone's user. */
    newestCustomerOfUser: (appId: string, uid: string): CustomerIdentity | undefined =>
      newestCustomerOfUser.get({ appId, uid }) ?? undefined,
    /** Every user record with this uid, one per customer it belongs to. */
    usersByUid: (appId: string, uid: string): { pk: number }[] => usersByUid.all({ appId, uid }),
    userData: (pk: number): Record<string, unknown> => JSON.parse(userData.get({ pk })!.data),
    insertUser: (row: { appId: string; customerPk: number; uid: string; now: number }) => insertUser.get(row)!,
    setUserData: (row: { pk: number; data: Record<string, unknown>; now: number }) =>
      setUserData.run({ ...row, data: JSON.stringify(row.data) }),
    insertEvent: (row: NewEventRow) => insertEvent.run(row),
  };
}

export type IngestStore = ReturnType<typeof createIngestStore>;
