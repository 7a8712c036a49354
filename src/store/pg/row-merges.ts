// Attribute merges on customers and users, held back to the end of the batch (phase 3 of the
// lock order, ingest.ts), where every customer and user row the batch touched is locked once
// (FOR UPDATE), in pk order, then merged: a merge taking its row's lock mid-batch, in event
// order, deadlocked nodes writing the same customers in different orders, and two nodes'
// merges never overwrite each other this way. Nothing in a batch reads attributes before then
// (billing and erasure flush them first).
import { mergeAttributes, type Attributes } from "../../attributes";
import type { Merges, PgBatch } from "./batch";
import { RaceLost } from "./retry";

/** An email set or filled is written now: email lookups later in the batch must see it. */
export async function updateCustomerAttributes(
  { tx, rows }: PgBatch,
  pk: number,
  update: { customerData?: Attributes; customerEmail?: string },
  now: number,
): Promise<void> {
  if (update.customerData !== undefined) defer(rows.customerMerges, pk, update.customerData, now);
  if (update.customerEmail !== undefined) {
    await tx`UPDATE customers SET email = ${update.customerEmail}, updated_at = ${now} WHERE pk = ${pk}`;
  }
}

export async function updateUserData({ rows }: PgBatch, pk: number, data: Attributes, now: number): Promise<void> {
  defer(rows.userMerges, pk, data, now);
}

/**
 * Locks every customer and user row the batch wrote (events counted on them, merges waiting),
 * in pk order, and applies the merges in the order they were made. A row gone means another
 * node erased it meanwhile: the batch runs again (and creates it afresh).
 */
export async function flushRows(batch: PgBatch): Promise<void> {
  const { rows } = batch;
  // Both tables' locks in one round trip (pipelined), customers first.
  await Promise.all([mergeRows(batch, "customers", rows.customerMerges, rows.touchedCustomers), mergeRows(batch, "users", rows.userMerges, rows.touchedUsers)]);
}

async function mergeRows({ tx }: PgBatch, table: "customers" | "users", merges: Map<number, Merges>, touched: Set<number>): Promise<void> {
  const pks = [...new Set([...merges.keys(), ...touched])].sort((a, b) => a - b);
  touched.clear();
  if (pks.length === 0) return;
  const rows = await tx<{ pk: number; data: Attributes }[]>`SELECT pk, data FROM ${tx(table)} WHERE pk = ANY(${pks}::int8[]) ORDER BY pk FOR UPDATE`;
  if (rows.length !== pks.length) throw new RaceLost(`${pks.length - rows.length} ${table} erased during the batch`);
  const changed = rows.filter((row) => merges.has(row.pk));
  if (changed.length > 0) {
    const merged = changed.map(({ pk, data }) => JSON.stringify(merges.get(pk)!.updates.reduce(mergeAttributes, data)));
    const nows = changed.map((row) => merges.get(row.pk)!.now);
    merges.clear();
    await tx`UPDATE ${tx(table)} AS t SET data = v.data::jsonb, updated_at = greatest(t.updated_at, v.now)
      FROM unnest(${changed.map((row) => row.pk)}::int8[], ${merged}::text[], ${nows}::int8[]) AS v(pk, data, now)
      WHERE t.pk = v.pk`;
  }
}

function defer(merges: Map<number, Merges>, pk: number, update: Attributes, now: number): void {
  const entry = merges.get(pk);
  if (entry) entry.updates.push(update), (entry.now = now);
  else merges.set(pk, { updates: [update], now });
}
