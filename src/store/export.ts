// Every event of an app (or of one customer) in (eventDate, seq) order, read one page at a time
// along an index, so an export of any size holds one page in memory. It covers the events
// stored when it began: anything committed later (a higher seq) is left out, so an export taken
// under load is a stable snapshot of its range rather than a moving target. Raw SQL: a keyset
// page along one index, with a row-value comparison Drizzle would only wrap in sql``.
import type { Db } from "../db";
import { dayOf } from "../periods";
import { APP_PK } from "./app-key";

/** One exported event: the event and the identity of its customer (and user). */
export interface ExportRow {
  seq: number;
  id: string;
  event: string;
  eventDate: number;
  receivedAt: number;
  customerId: string | null;
  uid: string | null;
  email: string | null;
  userUid: string | null;
  source: string;
  verified: number;
  messageId: string | null;
  /** As stored: JSON text, already validated at ingestion. */
  eventData: string | null;
}

export interface ExportFilter {
  /** Inclusive, epoch ms. */
  from?: number;
  /** Exclusive, epoch ms. */
  to?: number;
  /** One customer (already found within the app). */
  customerPk?: number;
}

export const EXPORT_PAGE_SIZE = 2000;

const SELECT = `SELECT e.seq, e.id, e.event, e.event_date AS eventDate, e.received_at AS receivedAt,
    c.customer_id AS customerId, c.uid, c.email, u.uid AS userUid,
    e.source, e.verified, e.message_id AS messageId, e.event_data AS eventData
  FROM events e
  JOIN customers c ON c.pk = e.customer_pk
  LEFT JOIN users u ON u.pk = e.user_pk`;
const AFTER = `(e.event_date, e.seq) > ($date, $seq) AND e.event_date < $to AND e.seq <= $maxSeq
  ORDER BY e.event_date, e.seq LIMIT $limit`;

type PageParams = { appId: string; pk: number; date: number; seq: number; to: number; maxSeq: number; limit: number };

export function createExporter(db: Db) {
  const client = db.$client;
  const highWaterMark = client.prepare<{ seq: number }, []>("SELECT coalesce(max(seq), 0) AS seq FROM events");
  const appPage = client.prepare<ExportRow, PageParams>(`${SELECT} WHERE e.app_pk = ${APP_PK} AND ${AFTER}`);
  const customerPage = client.prepare<ExportRow, PageParams>(`${SELECT} WHERE e.customer_pk = $pk AND e.app_pk = ${APP_PK} AND ${AFTER}`);
  const appCount = client.prepare<{ n: number }, { appId: string; fromDay: number; toDay: number }>(
    `SELECT coalesce(sum(count), 0) AS n FROM app_daily_counts WHERE app_pk = ${APP_PK} AND day >= $fromDay AND day <= $toDay`,
  );
  const customerCount = client.prepare<{ n: number }, { pk: number; fromDay: number; toDay: number }>(
    "SELECT coalesce(sum(count), 0) AS n FROM customer_daily_counts WHERE customer_pk = $pk AND day >= $fromDay AND day <= $toDay",
  );

  return {
    *pages(appId: string, filter: ExportFilter, pageSize = EXPORT_PAGE_SIZE): Generator<ExportRow[]> {
      const statement = filter.customerPk === undefined ? appPage : customerPage;
      const params: PageParams = {
        appId,
        pk: filter.customerPk ?? 0,
        date: filter.from ?? Number.MIN_SAFE_INTEGER,
        seq: -1,
        to: filter.to ?? Number.MAX_SAFE_INTEGER,
        maxSeq: highWaterMark.get()!.seq,
        limit: pageSize,
      };
      for (;;) {
        const rows = statement.all(params);
        if (rows.length > 0) yield rows;
        if (rows.length < pageSize) return;
        const last = rows.at(-1)!;
        params.date = last.eventDate;
        params.seq = last.seq;
      }
    },

    /** About how many events the export holds, from the daily counts (whole days): for progress. */
    estimate(appId: string, filter: ExportFilter): number {
      const days = {
        fromDay: filter.from === undefined ? Number.MIN_SAFE_INTEGER : dayOf(filter.from),
        toDay: filter.to === undefined ? Number.MAX_SAFE_INTEGER : dayOf(filter.to - 1),
      };
      const row = filter.customerPk === undefined ? appCount.get({ appId, ...days }) : customerCount.get({ pk: filter.customerPk, ...days });
      return row?.n ?? 0;
    },
  };
}

export type Exporter = ReturnType<typeof createExporter>;
