// Reads of the events table for the event list (db/schema.ts: events, with each event's
// customer and user). Drizzle, prepared once per filter shape (db/prepared.ts): a page is one
// call per request. The insert is in ingest.ts (raw SQL, per event), the export's paging in
// export.ts.
import { aliasedTable, and, desc, eq, gte, lt, sql } from "drizzle-orm";
import type { Db } from "../db";
import { preparedPerShape } from "../db/prepared";
import { customers, events, users } from "../db/schema";
import { appPkOf } from "./app-key";

const eventUser = aliasedTable(users, "event_user");
const p = sql.placeholder;

export function createEventReads(db: Db) {
  const userByUid = db
    .select({ pk: users.pk })
    .from(users)
    .where(and(eq(users.customerPk, p("customerPk")), eq(users.uid, p("uid"))))
    .prepare();

  const pageQuery = preparedPerShape((present: Record<"customerPk" | "userPk" | "verified" | "event" | "from" | "to" | "afterDate", boolean>) =>
    db
      .select({
        seq: events.seq,
        id: events.id,
        event: events.event,
        customerId: customers.customerId,
        uid: customers.uid,
        userUid: eventUser.uid,
        eventDate: events.eventDate,
        receivedAt: events.receivedAt,
        eventData: events.eventData,
        source: events.source,
        verified: events.verified,
        messageId: events.messageId,
      })
      .from(events)
      .innerJoin(customers, eq(customers.pk, events.customerPk))
      .leftJoin(eventUser, eq(eventUser.pk, events.userPk))
      .where(
        and(
          eq(events.appPk, appPkOf(p("appId"))),
          present.customerPk ? eq(events.customerPk, p("customerPk")) : undefined,
          present.userPk ? eq(events.userPk, p("userPk")) : undefined,
          present.verified ? eq(events.verified, p("verified")) : undefined,
          present.event ? eq(events.event, p("event")) : undefined,
          present.from ? gte(events.eventDate, p("from")) : undefined,
          present.to ? lt(events.eventDate, p("to")) : undefined,
          // A row value, not `date < d OR (date = d AND seq < s)`: SQLite (and PostgreSQL) seek
          // the index to it, where the OR was a filter over every newer entry (a page in the
          // middle of 300k events: ~18 ms, bench/README.md).
          present.afterDate ? sql`(${events.eventDate}, ${events.seq}) < (${p("afterDate")}, ${p("afterSeq")})` : undefined,
        ),
      )
      .orderBy(desc(events.eventDate), desc(events.seq))
      .limit(p("limit"))
      .prepare(),
  );

  return { userByUid, pageQuery };
}
