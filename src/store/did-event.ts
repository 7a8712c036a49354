// The customer list's "did this event" filter, built once for both backends: the SQL is plain
// enough to read the same on SQLite and PostgreSQL, so each backend passes its own schema's
// tables (schema.ts or schema.pg.ts, which share column names) and gets the same condition.
import { or, sql, type AnyColumn, type SQL, type Table } from "drizzle-orm";
import { DAY_MS, dayOf } from "../periods";
import type { ListFilter } from "./shapes";

/** The four tables the filter reads, as either backend's schema declares them. */
interface DidEventTables {
  customers: Table & { pk: AnyColumn };
  customerEventStats: Table & { customerPk: AnyColumn; event: AnyColumn };
  customerDailyCounts: Table & { customerPk: AnyColumn; day: AnyColumn; event: AnyColumn };
  events: Table & { customerPk: AnyColumn; eventDate: AnyColumn; event: AnyColumn };
}

/** Did the customer of the row being filtered do the event in [from, to)? See didEventRanges. */
export function didEvent(tables: DidEventTables, { name, from, to }: NonNullable<ListFilter["event"]>): SQL {
  const { customers, customerEventStats: stats, customerDailyCounts: daily, events } = tables;
  if (from === undefined && to === undefined) {
    return sql`exists (select 1 from ${stats} where ${stats.customerPk} = ${customers.pk} and ${stats.event} = ${name})`;
  }
  const inEvents = ({ from: start, to: end }: { from?: number; to?: number }) =>
    sql`exists (select 1 from ${events} where ${events.customerPk} = ${customers.pk}
      and ${events.eventDate} >= ${start ?? Number.MIN_SAFE_INTEGER} and ${events.eventDate} < ${end ?? Number.MAX_SAFE_INTEGER}
      and ${events.event} = ${name})`;
  const { days, partial } = didEventRanges(from, to);
  const alternatives: SQL[] = partial.map(inEvents);
  if (days) {
    alternatives.unshift(sql`exists (select 1 from ${daily} where ${daily.customerPk} = ${customers.pk}
      and ${daily.day} >= ${days.from ?? Number.MIN_SAFE_INTEGER}
      and ${daily.day} < ${days.to ?? Number.MAX_SAFE_INTEGER}
      and ${daily.event} = ${name})`);
  }
  // An empty range matches no one; "1 = 0" reads as false in both dialects.
  return alternatives.length === 0 ? sql`1 = 0` : or(...alternatives)!;
}

/**
 * Where "did this event in [from, to)" is answered: whole UTC days from the per-day counts (one
 * primary-key probe per customer), and a range that starts or ends inside a day from that day's
 * events, so the answer is exact. Undefined bounds are open; `days` is absent when no whole day
 * lies in the range. didEvent builds its SQL from this.
 */
function didEventRanges(from: number | undefined, to: number | undefined): { days?: { from?: number; to?: number }; partial: { from?: number; to?: number }[] } {
  const firstWholeDay = from === undefined ? undefined : Math.ceil(from / DAY_MS);
  const endWholeDays = to === undefined ? undefined : dayOf(to); // exclusive
  const days = firstWholeDay === undefined || endWholeDays === undefined || firstWholeDay < endWholeDays ? { from: firstWholeDay, to: endWholeDays } : undefined;
  const partial: { from?: number; to?: number }[] = [];
  // The partial days at either end (when the whole range is inside one day, it is one of them).
  if (from !== undefined && from % DAY_MS !== 0) partial.push({ from, to: Math.min(firstWholeDay! * DAY_MS, to ?? Infinity) });
  if (to !== undefined && to % DAY_MS !== 0 && (from === undefined || endWholeDays! * DAY_MS >= from)) {
    partial.push({ from: Math.max(endWholeDays! * DAY_MS, from ?? -Infinity), to });
  }
  return { days, partial };
}
