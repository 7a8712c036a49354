import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../db";
import { customers, users, type CustomerRow } from "../db/schema";
import { toIso } from "../dates";
import type { CustomerView } from "./model";

const p = sql.placeholder;

export type CustomerKey = "customerId" | "uid" | "email";

export function createCustomersService(db: Db) {
  const byCustomerId = db
    .select()
    .from(customers)
    .where(and(eq(customers.appId, p("appId")), eq(customers.customerId, p("value"))))
    .prepare();
  const byUid = db
    .select()
    .from(customers)
    .where(and(eq(customers.appId, p("appId")), eq(customers.uid, p("value"))))
    .prepare();
  // Emails are not unique: the oldest customer with it is the answer (as for browser events).
  const byEmail = db
    .select()
    .from(customers)
    .where(and(eq(customers.appId, p("appId")), eq(customers.email, p("value"))))
    .orderBy(asc(customers.pk))
    .limit(1)
    .prepare();
  const byPk = db.select().from(customers).where(eq(customers.pk, p("pk"))).prepare();
  const usersOf = db
    .select()
    .from(users)
    .where(eq(users.customerPk, p("customerPk")))
    .orderBy(asc(users.uid))
    .prepare();

  function view(row: CustomerRow): CustomerView {
    return {
      customerId: row.customerId,
      uid: row.uid,
      email: row.email,
      data: row.data,
      users: usersOf.all({ customerPk: row.pk }).map((user) => ({
        uid: user.uid,
        data: user.data,
        firstSeen: toIso(user.firstSeen),
        lastSeen: toIso(user.lastSeen),
        eventCount: user.eventCount,
      })),
      firstSeen: toIso(row.firstSeen),
      lastSeen: toIso(row.lastSeen),
      eventCount: row.eventCount,
      createdAt: toIso(row.createdAt),
      updatedAt: toIso(row.updatedAt),
    };
  }

  return {
    /** Always scoped to the app: another app's customer with the same id is never found. */
    find(appId: string, value: string, by: CustomerKey = "customerId"): CustomerRow | undefined {
      const query = { customerId: byCustomerId, uid: byUid, email: byEmail }[by];
      return query.get({ appId, value });
    },
    viewByPk(pk: number): CustomerView | undefined {
      const row = byPk.get({ pk });
      return row && view(row);
    },
    view,
  };
}

export type CustomersService = ReturnType<typeof createCustomersService>;
