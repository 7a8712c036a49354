// Prepared statements for the write path. Drizzle's query builder re-prepares on every call
// (~10× slower than a prepared statement), so everything here is prepared once per database.
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db";
import { customers, events, users, type UserRow } from "../db/schema";

const p = sql.placeholder;

/**
 * Counts one more event at `eventDate`; first/last seen follow eventDate, so a backfilled event
 * can move firstSeen back. Two statements rather than one: a column named in SET rewrites its
 * index entry even when the value stays, and firstSeen almost never moves.
 */
function prepareTouch(db: Db, table: typeof customers | typeof users) {
  const countAndLast = db
    .update(table)
    .set({ lastSeen: sql`max(coalesce(${table.lastSeen}, ${p("eventDate")}), ${p("eventDate")})`, eventCount: sql`${table.eventCount} + 1` })
    .where(eq(table.pk, p("pk")))
    .returning({ firstSeen: table.firstSeen })
    .prepare();
  const first = db.update(table).set({ firstSeen: sql`${p("eventDate")}` }).where(eq(table.pk, p("pk"))).prepare();
  return {
    run(row: { pk: number; eventDate: number }): void {
      const { firstSeen } = countAndLast.get(row)!;
      if (firstSeen === null || row.eventDate < firstSeen) first.run(row);
    },
  };
}

/** What identity resolution needs of a customer; attributes are read only when updated. */
export interface CustomerIdentity {
  pk: number;
  customerId: string | null;
  uid: string | null;
}

export function createIngestStore(db: Db) {
  const identityColumns = { pk: customers.pk, customerId: customers.customerId, uid: customers.uid };
  const customerByCustomerId = db
    .select(identityColumns)
    .from(customers)
    .where(and(eq(customers.appId, p("appId")), eq(customers.customerId, p("value"))))
    .prepare();
  const customerByUid = db
    .select(identityColumns)
    .from(customers)
    .where(and(eq(customers.appId, p("appId")), eq(customers.uid, p("value"))))
    .prepare();
  // Emails are not unique: the oldest customer with it wins, so the answer never changes.
  const customerByEmail = db
    .select(identityColumns)
    .from(customers)
    .where(and(eq(customers.appId, p("appId")), eq(customers.email, p("value"))))
    .orderBy(customers.pk)
    .limit(1)
    .prepare();
  const customerAttributes = db
    .select({ data: customers.data, email: customers.email })
    .from(customers)
    .where(eq(customers.pk, p("pk")))
    .prepare();
  const eventByMessageId = db
    .select({ id: events.id })
    .from(events)
    .where(and(eq(events.appId, p("appId")), eq(events.messageId, p("messageId"))))
    .prepare();
  const insertCustomer = db
    .insert(customers)
    .values({
      appId: p("appId"),
      customerId: p("customerId"),
      uid: p("uid"),
      email: p("email"),
      createdAt: p("now"),
      updatedAt: p("now"),
    })
    .returning(identityColumns)
    .prepare();
  const setCustomerIdentity = db
    .update(customers)
    .set({ customerId: sql`${p("customerId")}`, uid: sql`${p("uid")}`, updatedAt: sql`${p("now")}` })
    .where(eq(customers.pk, p("pk")))
    .prepare();
  const setCustomerAttributes = db
    .update(customers)
    .set({ data: sql`${p("data")}`, email: sql`${p("email")}`, updatedAt: sql`${p("now")}` })
    .where(eq(customers.pk, p("pk")))
    .prepare();
  const fillCustomerEmail = db
    .update(customers)
    .set({ email: sql`${p("email")}`, updatedAt: sql`${p("now")}` })
    .where(and(eq(customers.pk, p("pk")), isNull(customers.email)))
    .prepare();
  const touchCustomer = prepareTouch(db, customers);
  const userByUid = db
    .select()
    .from(users)
    .where(and(eq(users.customerPk, p("customerPk")), eq(users.uid, p("uid"))))
    .prepare();
  const insertUser = db
    .insert(users)
    .values({ appId: p("appId"), customerPk: p("customerPk"), uid: p("uid"), createdAt: p("now"), updatedAt: p("now") })
    .returning()
    .prepare();
  const setUserData = db
    .update(users)
    .set({ data: sql`${p("data")}`, updatedAt: sql`${p("now")}` })
    .where(eq(users.pk, p("pk")))
    .prepare();
  const touchUser = prepareTouch(db, users);
  const insertEvent = db
    .insert(events)
    .values({
      id: p("id"),
      appId: p("appId"),
      customerPk: p("customerPk"),
      userPk: p("userPk"),
      event: p("event"),
      eventDate: p("eventDate"),
      receivedAt: p("receivedAt"),
      eventData: p("eventData"),
      source: p("source"),
      verified: p("verified"),
      messageId: p("messageId"),
    })
    .prepare();

  return {
    eventIdByMessageId: (appId: string, messageId: string): string | undefined =>
      eventByMessageId.get({ appId, messageId })?.id,
    customerByCustomerId: (appId: string, value: string): CustomerIdentity | undefined =>
      customerByCustomerId.get({ appId, value }),
    customerByUid: (appId: string, value: string): CustomerIdentity | undefined => customerByUid.get({ appId, value }),
    customerByEmail: (appId: string, value: string): CustomerIdentity | undefined => customerByEmail.get({ appId, value }),
    customerAttributes: (pk: number) => customerAttributes.get({ pk })!,
    insertCustomer: (row: { appId: string; customerId: string | null; uid: string | null; email: string | null; now: number }) =>
      insertCustomer.get(row) as CustomerIdentity,
    /** Sets the email only where none is known: a browser event never overwrites one. */
    fillCustomerEmail: (pk: number, email: string, now: number) => fillCustomerEmail.run({ pk, email, now }),
    setCustomerIdentity: (row: { pk: number; customerId: string | null; uid: string | null; now: number }) =>
      setCustomerIdentity.run(row),
    setCustomerAttributes: (row: { pk: number; data: Record<string, unknown>; email: string | null; now: number }) =>
      setCustomerAttributes.run({ ...row, data: JSON.stringify(row.data) }),
    touchCustomer: (pk: number, eventDate: number) => touchCustomer.run({ pk, eventDate }),
    userByUid: (customerPk: number, uid: string): UserRow | undefined => userByUid.get({ customerPk, uid }),
    insertUser: (row: { appId: string; customerPk: number; uid: string; now: number }) => insertUser.get(row) as UserRow,
    setUserData: (row: { pk: number; data: Record<string, unknown>; now: number }) =>
      setUserData.run({ ...row, data: JSON.stringify(row.data) }),
    touchUser: (pk: number, eventDate: number) => touchUser.run({ pk, eventDate }),
    insertEvent: (row: {
      id: string;
      appId: string;
      customerPk: number;
      userPk: number | null;
      event: string;
      eventDate: number;
      receivedAt: number;
      eventData: string | null;
      source: "server" | "bulk" | "client";
      verified: boolean;
      messageId: string | null;
    }) => insertEvent.run(row),
  };
}

export type IngestStore = ReturnType<typeof createIngestStore>;
