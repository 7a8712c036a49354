// Export on PostgreSQL (ExportReads): every event of an app (or of one customer) in (eventDate,
// seq) order, a keyset page at a time. Raw postgres-js, as on SQLite.
//
// The snapshot: on SQLite, "events with a seq above the first page's high-water mark" is the
// set committed later, since one writer commits in seq order. With several nodes sequence
// order is not commit order (a node may commit seq 10 after another committed seq 11), so
// instead the whole iteration runs in one REPEATABLE READ, READ ONLY transaction on a connection
// reserved for it: every page sees the database as it was at the first. The connection goes
// back to the pool when the loop ends, throws or is broken out of (the generator's finally).
import type postgres from "postgres";
import { dayOf } from "../../../periods";
import { EXPORT_PAGE_SIZE, type ExportRow } from "../../export";
import type { ExportReads } from "../../types";
import { num } from "./numbers";

export function createPgExportReads(sql: postgres.Sql): ExportReads {
  return {
    async *pages(appId, filter, pageSize = EXPORT_PAGE_SIZE) {
      const connection = await sql.reserve();
      try {
        await connection`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`;
        const to = filter.to ?? Number.MAX_SAFE_INTEGER;
        let position = { date: filter.from ?? Number.MIN_SAFE_INTEGER, seq: -1 };
        for (;;) {
          const rows = await connection`
            SELECT e.seq, e.id, e.event, e.event_date, e.received_at, c.customer_id, c.uid, c.email, u.uid AS user_uid,
                   e.source, e.verified, e.message_id, e.event_data
              FROM events e
              JOIN customers c ON c.pk = e.customer_pk
              LEFT JOIN users u ON u.pk = e.user_pk
             WHERE e.app_pk = (SELECT pk FROM apps WHERE id = ${appId}) ${filter.customerPk === undefined ? connection`` : connection`AND e.customer_pk = ${filter.customerPk}`}
               AND (e.event_date, e.seq) > (${position.date}, ${position.seq}) AND e.event_date < ${to}
             ORDER BY e.event_date, e.seq LIMIT ${pageSize}`;
          const page = rows.map(toExportRow);
          if (page.length > 0) yield page;
          if (page.length < pageSize) return;
          const last = page.at(-1)!;
          position = { date: last.eventDate, seq: last.seq };
        }
      } finally {
        // Read only: nothing to commit. Also ends a transaction a failed query left aborted.
        await connection`ROLLBACK`.catch(() => {});
        connection.release();
      }
    },

    async estimate(appId, filter) {
      const fromDay = filter.from === undefined ? Number.MIN_SAFE_INTEGER : dayOf(filter.from);
      const toDay = filter.to === undefined ? Number.MAX_SAFE_INTEGER : dayOf(filter.to - 1);
      const [row] =
        filter.customerPk === undefined
          ? await sql`SELECT coalesce(sum(count), 0) AS n FROM app_daily_counts WHERE app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND day >= ${fromDay} AND day <= ${toDay}`
          : await sql`SELECT coalesce(sum(count), 0) AS n FROM customer_daily_counts
                       WHERE customer_pk = ${filter.customerPk} AND day >= ${fromDay} AND day <= ${toDay}`;
      return num(row?.n ?? 0);
    },
  };
}

function toExportRow(row: postgres.Row): ExportRow {
  return {
    seq: num(row.seq),
    id: row.id,
    event: row.event,
    eventDate: num(row.event_date),
    receivedAt: num(row.received_at),
    customerId: row.customer_id,
    uid: row.uid,
    email: row.email,
    userUid: row.user_uid,
    source: row.source,
    // 0/1, as SQLite's raw statement gives it (the export formats write it as such).
    verified: row.verified ? 1 : 0,
    messageId: row.message_id,
    eventData: row.event_data,
  };
}
