// The events of a batch: each is resolved (identities.ts) and buffered, then all of them are
// inserted before COMMIT in one statement (unnest arrays, in messageId order, with seq numbers
// taken in the order they were written), ON CONFLICT DO NOTHING on (app_pk, message_id): only
// the rows really inserted are counted. A messageId stored already, earlier in the batch, or by
// another node while this batch ran makes the event a repeat: the original's id, as duplicate.
import type { EventSource, StoredEvent, WriteResult } from "../commands";
import { countEvent } from "../counts";
import type { Resolved } from "../identity";
import { newEventRow } from "../ingest";
import { appPkOf, compareKeys, type PendingEvent, type PgBatch } from "./batch";
import { attachUnverified, resolveCustomer, resolveUser } from "./identities";
import { RaceLost } from "./retry";
import { updateCustomerAttributes, updateUserData } from "./row-merges";

/**
 * Buffers the event (inserted by flushEvents), unless its messageId is stored or already
 * written by this batch: then the original's id, as duplicate, before anything is created.
 */
export async function writeEvent(batch: PgBatch, appId: string, event: StoredEvent, source: EventSource, now: number, resolved?: Resolved): Promise<WriteResult> {
  const { tx, events, rows } = batch;
  if (event.messageId !== undefined) {
    const key = `${appId}|${event.messageId}`;
    const earlier = events.written.get(key);
    if (earlier) {
      const repeat = { id: earlier.result.id, duplicate: true, warnings: [] };
      earlier.repeats.push(repeat);
      return repeat;
    }
    const original = events.stored.has(key) ? events.stored.get(key) : await eventIdByMessageId(batch, appId, event.messageId);
    if (original) return { id: original, duplicate: true, warnings: [] };
  }
  const { customer, warnings } = resolved ?? (await (event.verified ? resolveCustomer : attachUnverified)(batch, appId, event, now));
  await updateCustomerAttributes(batch, customer.pk, { customerData: event.customerData }, now);
  // An event's email fills a gap but never replaces one: /customer-update does that.
  if (event.customerEmail !== undefined && event.verified) {
    await tx`UPDATE customers SET email = ${event.customerEmail}, updated_at = ${now} WHERE pk = ${customer.pk} AND email IS NULL`;
  }
  let userPk: number | null = null;
  if (event.user) {
    userPk = (await resolveUser(batch, appId, customer.pk, event.user.uid, now)).pk;
    if (event.user.data) await updateUserData(batch, userPk, event.user.data, now);
  }
  const result: WriteResult = { id: `evt_${Bun.randomUUIDv7()}`, duplicate: false, warnings };
  const resolvedTo = { id: result.id, appPk: await appPkOf(batch, appId), customerPk: customer.pk, userPk };
  const row: PendingEvent = { ...newEventRow(event, resolvedTo, source, now), appId, result, repeats: [] };
  events.pending.push(row);
  // Locked at the end with the others (flushRows), whether or not the insert finds the messageId taken.
  rows.touchedCustomers.add(customer.pk);
  if (userPk !== null) rows.touchedUsers.add(userPk);
  if (row.messageId !== null) events.written.set(`${appId}|${row.messageId}`, row);
  return result;
}

/**
 * Inserts the buffered events in one statement. A row whose messageId another node stored
 * meanwhile is not inserted (the insert waited for that node's commit): its result becomes a
 * duplicate of the stored event, and it is not counted.
 */
export async function flushEvents({ tx, sums, events }: PgBatch): Promise<void> {
  const { pending } = events;
  if (pending.length === 0) return;
  // seq numbers the events in the order they were written, as SQLite's rowid does (the reads
  // break ties of one eventDate by seq): taken before the rows are reordered below.
  const seqs = await tx<{ seq: number }[]>`SELECT nextval(pg_get_serial_sequence('events', 'seq')) AS seq FROM generate_series(1, ${pending.length})`;
  const ascending = seqs.map((row) => Number(row.seq)).sort((a, b) => a - b);
  const seqOf = new Map(pending.map((row, i) => [row, ascending[i]!]));
  // In messageId order: two nodes inserting the same messageIds wait on each other's unique
  // index entries in the same order, rather than deadlocking.
  const rows = pending.sort((a, b) => compareKeys(a.appId, b.appId) || compareKeys(a.messageId, b.messageId));
  events.pending = [];
  const column = <K extends keyof PendingEvent>(key: K) => rows.map((row) => row[key]);
  const inserted = await tx<{ id: string }[]>`
    INSERT INTO events (seq, id, app_pk, customer_pk, user_pk, event, event_date, received_at, event_data, source, verified, message_id)
    SELECT * FROM unnest(${rows.map((row) => seqOf.get(row)!)}::int8[], ${column("id")}::text[], ${column("appPk")}::int8[], ${column("customerPk")}::int8[], ${column("userPk")}::int8[],
      ${column("event")}::text[], ${column("eventDate")}::int8[], ${column("receivedAt")}::int8[], ${column("eventData")}::text[],
      ${column("source")}::text[], ${rows.map((row) => String(row.verified))}::text[]::boolean[], ${column("messageId")}::text[])
    ON CONFLICT (app_pk, message_id) WHERE message_id IS NOT NULL DO NOTHING
    RETURNING id`;
  const ids = new Set(inserted.map((row) => row.id));
  for (const row of rows) {
    if (ids.has(row.id)) {
      countEvent(sums, row);
      continue;
    }
    const [original] = await tx<{ id: string }[]>`SELECT id FROM events WHERE app_pk = ${row.appPk} AND message_id = ${row.messageId}`;
    if (!original) throw new RaceLost(`event ${row.messageId} neither inserted nor found`);
    for (const result of [row.result, ...row.repeats]) Object.assign(result, { id: original.id, duplicate: true, warnings: [] });
    events.written.delete(`${row.appId}|${row.messageId}`);
    events.stored.set(`${row.appId}|${row.messageId}`, original.id);
  }
}

/** The id of the event stored (or written by this batch) with this messageId. */
export async function eventIdByMessageId({ tx, events }: PgBatch, appId: string, messageId: string): Promise<string | undefined> {
  const key = `${appId}|${messageId}`;
  const known = events.written.get(key)?.result.id ?? events.stored.get(key);
  // "" marks a messageId looked up and not found (prefetchMessageIds).
  if (known !== undefined) return known === "" ? undefined : known;
  const [row] = await tx<{ id: string }[]>`SELECT id FROM events WHERE app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND message_id = ${messageId}`;
  if (row) events.stored.set(key, row.id);
  return row?.id;
}

/** One query for many messageIds, before a command's events are written one by one. */
export async function prefetchMessageIds({ tx, events }: PgBatch, appId: string, messageIds: string[]): Promise<void> {
  const unknown = messageIds.filter((id) => !events.written.has(`${appId}|${id}`) && !events.stored.has(`${appId}|${id}`));
  if (unknown.length === 0) return;
  const rows = await tx<{ id: string; messageId: string }[]>`
    SELECT id, message_id AS "messageId" FROM events WHERE app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND message_id = ANY(${unknown}::text[])`;
  for (const row of rows) events.stored.set(`${appId}|${row.messageId}`, row.id);
  // The ones not found are looked up no more in this command: prefetched as absent.
  for (const id of unknown) if (!events.stored.has(`${appId}|${id}`)) events.stored.set(`${appId}|${id}`, "");
}

/** The messageIds the events carry (those without one are never repeats). */
export function messageIds(events: { messageId?: string }[]): string[] {
  return events.flatMap((event) => (event.messageId === undefined ? [] : [event.messageId]));
}
