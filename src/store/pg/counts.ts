// The write-time counts on PostgreSQL: what ../counts.ts summed over the batch (the same sums,
// countEvent), written once before COMMIT with one statement per table (unnest arrays), every
// table in the same order and every statement's rows sorted by key, so two nodes' batches lock
// shared rows in the same order instead of deadlocking (a deadlock that happens anyway is
// retried whole, batcher.ts). Raw SQL, as on SQLite.
//
// Distinct active customers without a read-then-write race: the customers' own rows are updated
// (and so locked) first, so a second node writing the same customer waits for this batch's
// COMMIT before it looks at which days that customer was already active on; it then sees
// them. A day is new when the upsert's total equals what this batch added.
import { INTERVALS, periodOf } from "../../periods";
import { newlyActive, type CountSums } from "../counts";
import type { PgTx } from "./batcher";
import { RaceLost } from "./retry";

const byKey =
  <R>(...keys: ((row: R) => string | number)[]) =>
  (a: R, b: R): number => {
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };

export async function flushCounts(tx: PgTx, sums: CountSums): Promise<void> {
  // Statements issued together are pipelined by postgres-js (one round trip), and PostgreSQL
  // still runs them one after the other, in this order.
  const [, , , , newDays] = await Promise.all([
    activity(tx, "customers", sums.customerActivity.take()),
    activity(tx, "users", sums.userActivity.take()),
    perCustomerEvent(tx, sums.perCustomerEvent.take()),
    perCustomerDayEvent(tx, sums.perCustomerDayEvent.take()),
    perCustomerDay(tx, sums.perCustomerDay.take()),
  ]);
  await Promise.all([countActive(tx, newDays), perAppDay(tx, sums.perAppDay.take()), perAppEvent(tx, sums.perAppEvent.take())]);
}

type Rows<K extends keyof CountSums> = ReturnType<CountSums[K]["take"]>;

async function perCustomerEvent(tx: PgTx, rows: Rows<"perCustomerEvent">): Promise<void> {
  if (rows.length === 0) return;
  const col = columns(rows.sort(byKey((r) => r.customerPk, (r) => r.event)));
  await tx`INSERT INTO customer_event_stats (customer_pk, app_pk, event, count, first_seen, last_seen)
    SELECT * FROM unnest(${col("customerPk")}::int8[], ${col("appPk")}::int8[], ${col("event")}::text[], ${col("count")}::int8[],
      ${col("firstSeen")}::int8[], ${col("lastSeen")}::int8[])
    ON CONFLICT (customer_pk, event) DO UPDATE SET count = customer_event_stats.count + excluded.count,
      first_seen = least(customer_event_stats.first_seen, excluded.first_seen),
      last_seen = greatest(customer_event_stats.last_seen, excluded.last_seen)`;
}

async function perCustomerDayEvent(tx: PgTx, rows: Rows<"perCustomerDayEvent">): Promise<void> {
  if (rows.length === 0) return;
  const col = columns(rows.sort(byKey((r) => r.customerPk, (r) => r.day, (r) => r.event)));
  await tx`INSERT INTO customer_daily_counts (customer_pk, app_pk, day, event, count)
    SELECT * FROM unnest(${col("customerPk")}::int8[], ${col("appPk")}::int8[], ${col("day")}::int8[], ${col("event")}::text[], ${col("count")}::int8[])
    ON CONFLICT (customer_pk, day, event) DO UPDATE SET count = customer_daily_counts.count + excluded.count`;
}

/** The customers' day totals; returns the (customer, day) pairs that are new: the total is what this batch added. */
async function perCustomerDay(tx: PgTx, rows: Rows<"perCustomerDay">) {
  if (rows.length === 0) return [];
  const col = columns(rows.sort(byKey((r) => r.customerPk, (r) => r.day)));
  const totals = await tx<{ customerPk: number; day: number; count: number }[]>`
    INSERT INTO customer_daily_totals (customer_pk, app_pk, day, count)
    SELECT * FROM unnest(${col("customerPk")}::int8[], ${col("appPk")}::int8[], ${col("day")}::int8[], ${col("count")}::int8[])
    ON CONFLICT (customer_pk, day) DO UPDATE SET count = customer_daily_totals.count + excluded.count
    RETURNING customer_pk AS "customerPk", day, count`;
  const added = new Map(rows.map((row) => [`${row.customerPk}|${row.day}`, row]));
  return totals.flatMap((row) => {
    const mine = added.get(`${row.customerPk}|${row.day}`)!;
    return mine.count === row.count ? [mine] : [];
  });
}

async function perAppDay(tx: PgTx, rows: Rows<"perAppDay">): Promise<void> {
  if (rows.length === 0) return;
  const col = columns(rows.sort(byKey((r) => r.appPk, (r) => r.day, (r) => r.event)));
  await tx`INSERT INTO app_daily_counts (app_pk, day, event, count)
    SELECT * FROM unnest(${col("appPk")}::int8[], ${col("day")}::int8[], ${col("event")}::text[], ${col("count")}::int8[])
    ON CONFLICT (app_pk, day, event) DO UPDATE SET count = app_daily_counts.count + excluded.count`;
}

async function perAppEvent(tx: PgTx, rows: Rows<"perAppEvent">): Promise<void> {
  if (rows.length === 0) return;
  const col = columns(rows.sort(byKey((r) => r.appPk, (r) => r.event)));
  await tx`INSERT INTO app_event_stats (app_pk, event, count, first_seen, last_seen)
    SELECT * FROM unnest(${col("appPk")}::int8[], ${col("event")}::text[], ${col("count")}::int8[], ${col("firstSeen")}::int8[], ${col("lastSeen")}::int8[])
    ON CONFLICT (app_pk, event) DO UPDATE SET count = app_event_stats.count + excluded.count,
      first_seen = least(app_event_stats.first_seen, excluded.first_seen),
      last_seen = greatest(app_event_stats.last_seen, excluded.last_seen)`;
}

/** Event counts and first/last seen of customer or user rows; every row must still exist. */
async function activity(tx: PgTx, table: "customers" | "users", rows: { pk: number; count: number; firstSeen: number; lastSeen: number }[]) {
  if (rows.length === 0) return;
  rows.sort(byKey((r) => r.pk));
  const col = columns(rows);
  // least/greatest skip NULLs: a row's first event sets both.
  const updated = await tx`UPDATE ${tx(table)} AS t SET event_count = t.event_count + v.count,
      first_seen = least(t.first_seen, v.first_seen), last_seen = greatest(t.last_seen, v.last_seen)
    FROM unnest(${col("pk")}::int8[], ${col("count")}::int8[], ${col("firstSeen")}::int8[], ${col("lastSeen")}::int8[])
      AS v(pk, count, first_seen, last_seen)
    WHERE t.pk = v.pk RETURNING t.pk`;
  // Another node erased one of them after this batch wrote its events: run the batch again,
  // which then creates the customer afresh (as SQLite would, the erasure having come first).
  if (updated.length !== rows.length) throw new RaceLost(`${rows.length - updated.length} ${table} erased during the batch`);
}

/** The periods each customer with new days becomes active in, added to app_active_customers. */
async function countActive(tx: PgTx, newDays: { appPk: number; customerPk: number; day: number }[]): Promise<void> {
  if (newDays.length === 0) return;
  const perCustomer = new Map<number, { appPk: number; days: number[]; lo: number; hi: number }>();
  for (const { appPk, customerPk, day } of newDays) {
    const month = periodOf(day, "month");
    const week = periodOf(day, "week");
    const lo = Math.min(month.start, week.start);
    const hi = Math.max(month.end, week.end);
    const entry = perCustomer.get(customerPk);
    if (!entry) perCustomer.set(customerPk, { appPk, days: [day], lo, hi });
    else Object.assign(entry, { lo: Math.min(entry.lo, lo), hi: Math.max(entry.hi, hi) }).days.push(day);
  }
  const pks = [...perCustomer.keys()].sort((a, b) => a - b);
  const known = await tx<{ customerPk: number; day: number }[]>`
    SELECT t.customer_pk AS "customerPk", t.day FROM customer_daily_totals t
    JOIN unnest(${pks}::int8[], ${pks.map((pk) => perCustomer.get(pk)!.lo)}::int8[], ${pks.map((pk) => perCustomer.get(pk)!.hi)}::int8[])
      AS r(pk, lo, hi) ON t.customer_pk = r.pk AND t.day >= r.lo AND t.day < r.hi`;
  const knownDays = new Map<number, number[]>();
  for (const { customerPk, day } of known) {
    if (perCustomer.get(customerPk)!.days.includes(day)) continue;
    knownDays.set(customerPk, [...(knownDays.get(customerPk) ?? []), day]);
  }
  const increments = new Map<string, { appPk: number; interval: string; period: number; customers: number }>();
  for (const [pk, { appPk, days }] of perCustomer) {
    for (const { interval, period } of newlyActive(days, knownDays.get(pk) ?? [])) {
      const key = `${appPk}|${interval}|${period}`;
      const entry = increments.get(key);
      if (entry) entry.customers += 1;
      else increments.set(key, { appPk, interval, period, customers: 1 });
    }
  }
  const rows = [...increments.values()].sort(byKey((r) => r.appPk, (r) => INTERVALS.indexOf(r.interval as "day"), (r) => r.period));
  const col = columns(rows);
  await tx`INSERT INTO app_active_customers (app_pk, "interval", period, customers)
    SELECT * FROM unnest(${col("appPk")}::int8[], ${col("interval")}::text[], ${col("period")}::int8[], ${col("customers")}::int8[])
    ON CONFLICT (app_pk, "interval", period) DO UPDATE SET customers = app_active_customers.customers + excluded.customers`;
}

/** A column of rows as an array, for unnest. */
function columns<R>(rows: R[]) {
  return <K extends keyof R>(key: K): R[K][] => rows.map((row) => row[key]);
}
