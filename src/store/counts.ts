// What each stored event adds at write time: the count tables (db/schema.ts) and the activity
// on its customer and user rows (first/last seen, event count). Events add to sums in memory;
// the writer flushes them inside the same transaction, before COMMIT (see Deferred in writer.ts),
// so they can never disagree with the events table, and a batch that has 64 events for a dozen
// names writes a dozen app-wide rows rather than 64. Plain SQL for the reason given in ingest.ts.
import type { Db } from "../db";
import { dayOf, INTERVALS, periodOf, type Interval } from "../periods";
import type { Deferred } from "./writer";

/** Occurrences summed for one row: the count, and first/last seen where the table has them. */
export type Sum = {
  count: number;
  firstSeen?: number;
  lastSeen?: number;
};

type Part = string | number;

/**
 * Rows summed over a batch by a key of up to three parts, which each backend writes when
 * the batch flushes. A row is made (by `make`, with the first occurrence's values) only for a new key: with Zipf traffic
 * most events repeat a key of their batch, and then cost three lookups and two comparisons. The
 * key is nested maps of numbers and the strings the event already holds, rather than one string
 * built per event: building and hashing five such strings an event was most of this class's
 * cost (~8 µs of ~9 per event for the counts' bookkeeping, in a profile under load).
 */
export class Sums<R extends Sum> {
  private readonly rows = new Map<Part, Map<Part, Map<Part, R>>>();

  /** One more occurrence at `at` (ms) under (`a`, `b`, `c`). */
  add(a: Part, b: Part, c: Part, at: number, make: () => R): void {
    let second = this.rows.get(a);
    if (!second) this.rows.set(a, (second = new Map()));
    let third = second.get(b);
    if (!third) second.set(b, (third = new Map()));
    const into = third.get(c);
    if (!into) return void third.set(c, make());
    into.count += 1;
    if (into.firstSeen !== undefined && at < into.firstSeen) into.firstSeen = at;
    if (into.lastSeen !== undefined && at > into.lastSeen) into.lastSeen = at;
  }

  /** Writes each row summed so far, emptying the sums. */
  drain(write: (row: R) => void): void {
    for (const second of this.rows.values()) for (const third of second.values()) for (const row of third.values()) write(row);
    this.rows.clear();
  }

  /** The rows summed so far, emptying the sums. */
  take(): R[] {
    const rows: R[] = [];
    this.drain((row) => rows.push(row));
    return rows;
  }

  discard(): void {
    this.rows.clear();
  }
}

/**
 * A customer's day as one number: days run from 0 (1970) to under 2^22 (9999-12-31 is day
 * 2,932,896; src/dates.ts), so this is exact while customer keys stay under 2^31.
 */
const customerDay = (customerPk: number, day: number) => customerPk * 4_194_304 + day;

export type Occurrences = Required<Sum>;

/** One stored event, as the counts see it. */
export interface Counted {
  /** apps.pk (app-key.ts). */
  appPk: number;
  customerPk: number;
  userPk: number | null;
  event: string;
  eventDate: number;
}

/**
 * More events for a customer or user row: count them and move last seen forward. Two statements
 * rather than one: a column named in SET rewrites its index entry even when the value stays, and
 * first seen (indexed for the customer list) moves only when a backfilled event is older.
 */
function prepareActivity(db: Db, table: "customers" | "users") {
  const countAndLast = db.$client.prepare<{ firstSeen: number | null }, { pk: number; count: number; lastSeen: number }>(
    `UPDATE ${table} SET last_seen = max(coalesce(last_seen, $lastSeen), $lastSeen), event_count = event_count + $count
     WHERE pk = $pk RETURNING first_seen AS firstSeen`,
  );
  const first = db.$client.prepare<never, { pk: number; firstSeen: number }>(`UPDATE ${table} SET first_seen = $firstSeen WHERE pk = $pk`);
  return (row: Occurrences & { pk: number }): void => {
    const { firstSeen } = countAndLast.get(row)!;
    if (firstSeen === null || row.firstSeen < firstSeen) first.run(row);
  };
}

export function createCounters(db: Db): Deferred & { count(event: Counted): void } {
  const client = db.$client;
  const perCustomerEvent = client.prepare<never, Occurrences & { appPk: number; customerPk: number; event: string }>(
    `INSERT INTO customer_event_stats (customer_pk, app_pk, event, count, first_seen, last_seen)
     VALUES ($customerPk, $appPk, $event, $count, $firstSeen, $lastSeen)
     ON CONFLICT (customer_pk, event) DO UPDATE SET count = count + excluded.count,
       first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
  );
  const perAppEvent = client.prepare<never, Occurrences & { appPk: number; event: string }>(
    `INSERT INTO app_event_stats (app_pk, event, count, first_seen, last_seen) VALUES ($appPk, $event, $count, $firstSeen, $lastSeen)
     ON CONFLICT (app_pk, event) DO UPDATE SET count = count + excluded.count,
       first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
  );
  const perCustomerDayEvent = client.prepare<never, Sum & { appPk: number; customerPk: number; day: number; event: string }>(
    `INSERT INTO customer_daily_counts (customer_pk, app_pk, day, event, count) VALUES ($customerPk, $appPk, $day, $event, $count)
     ON CONFLICT (customer_pk, day, event) DO UPDATE SET count = count + excluded.count`,
  );
  // Returns the day's new total: equal to what was added means the customer's first events of that day.
  const perCustomerDay = client.prepare<{ count: number }, Sum & { appPk: number; customerPk: number; day: number }>(
    `INSERT INTO customer_daily_totals (customer_pk, app_pk, day, count) VALUES ($customerPk, $appPk, $day, $count)
     ON CONFLICT (customer_pk, day) DO UPDATE SET count = count + excluded.count RETURNING count`,
  );
  const perAppDay = client.prepare<never, Sum & { appPk: number; day: number; event: string }>(
    `INSERT INTO app_daily_counts (app_pk, day, event, count) VALUES ($appPk, $day, $event, $count)
     ON CONFLICT (app_pk, day, event) DO UPDATE SET count = count + excluded.count`,
  );
  const activeOnAnotherDay = client.prepare<{ day: number }, { customerPk: number; start: number; end: number; day: number }>(
    `SELECT day FROM customer_daily_totals
     WHERE customer_pk = $customerPk AND day >= $start AND day < $end AND day <> $day LIMIT 1`,
  );
  const oneMoreActive = client.prepare<never, { appPk: number; interval: string; period: number }>(
    `INSERT INTO app_active_customers (app_pk, interval, period, customers) VALUES ($appPk, $interval, $period, 1)
     ON CONFLICT (app_pk, interval, period) DO UPDATE SET customers = customers + 1`,
  );

  /** A customer's first events of `day`: newly active that day, and in its week and its month unless active on another of their days. */
  function countActive(appPk: number, customerPk: number, day: number): void {
    for (const interval of INTERVALS) {
      const { start, end } = periodOf(day, interval);
      // A week can straddle two months: each period is checked on its own.
      if (interval !== "day" && activeOnAnotherDay.get({ customerPk, start, end, day })) continue;
      oneMoreActive.run({ appPk, interval, period: start });
    }
  }

  const writers: { [K in keyof CountSums]: (row: RowOf<CountSums[K]>) => void } = {
    customerActivity: prepareActivity(db, "customers"),
    userActivity: prepareActivity(db, "users"),
    perCustomerEvent: (row) => perCustomerEvent.run(row),
    perAppEvent: (row) => perAppEvent.run(row),
    perCustomerDayEvent: (row) => perCustomerDayEvent.run(row),
    // Days are flushed one at a time, so each new day's check sees the days flushed before it.
    perCustomerDay: (row) => {
      if (perCustomerDay.get(row)!.count === row.count) countActive(row.appPk, row.customerPk, row.day);
    },
    perAppDay: (row) => perAppDay.run(row),
  };
  const sums = newCountSums();

  return {
    count(event: Counted): void {
      countEvent(sums, event);
    },
    flush(): void {
      for (const name of Object.keys(sums) as (keyof CountSums)[]) {
        (sums[name] as Sums<Sum>).drain(writers[name] as (row: Sum) => void);
      }
    },
    discard(): void {
      for (const sum of Object.values(sums)) sum.discard();
    },
  };
}

type RowOf<S> = S extends Sums<infer R> ? R : never;

/** A batch's counts, per table, before they are written. */
export interface CountSums {
  customerActivity: Sums<Occurrences & { pk: number }>;
  userActivity: Sums<Occurrences & { pk: number }>;
  perCustomerEvent: Sums<Occurrences & { appPk: number; customerPk: number; event: string }>;
  perAppEvent: Sums<Occurrences & { appPk: number; event: string }>;
  perCustomerDayEvent: Sums<Sum & { appPk: number; customerPk: number; day: number; event: string }>;
  perCustomerDay: Sums<Sum & { appPk: number; customerPk: number; day: number }>;
  perAppDay: Sums<Sum & { appPk: number; day: number; event: string }>;
}

export function newCountSums(): CountSums {
  return {
    customerActivity: new Sums(),
    userActivity: new Sums(),
    perCustomerEvent: new Sums(),
    perAppEvent: new Sums(),
    perCustomerDayEvent: new Sums(),
    perCustomerDay: new Sums(),
    perAppDay: new Sums(),
  };
}

/** What one stored event adds to each count table: the same for every backend. */
export function countEvent(sums: CountSums, { appPk, customerPk, userPk, event, eventDate: at }: Counted): void {
  const day = dayOf(at);
  const ofDay = customerDay(customerPk, day);
  sums.customerActivity.add(customerPk, 0, 0, at, () => ({ pk: customerPk, count: 1, firstSeen: at, lastSeen: at }));
  if (userPk !== null) sums.userActivity.add(userPk, 0, 0, at, () => ({ pk: userPk, count: 1, firstSeen: at, lastSeen: at }));
  sums.perCustomerEvent.add(customerPk, event, 0, at, () => ({ appPk, customerPk, event, count: 1, firstSeen: at, lastSeen: at }));
  sums.perAppEvent.add(appPk, event, 0, at, () => ({ appPk, event, count: 1, firstSeen: at, lastSeen: at }));
  sums.perCustomerDayEvent.add(ofDay, event, 0, at, () => ({ appPk, customerPk, day, event, count: 1 }));
  sums.perCustomerDay.add(ofDay, 0, 0, at, () => ({ appPk, customerPk, day, count: 1 }));
  sums.perAppDay.add(appPk, day, event, at, () => ({ appPk, day, event, count: 1 }));
}

/**
 * The periods a customer becomes newly active in, given the days it has its first events on
 * (`newDays`) and the days it was already active on (`knownDays`): every new day, and each week
 * and month with no known day in it, once. The set-based form of countActive above (PostgreSQL
 * writes a batch's days at once, so it cannot check them one at a time).
 */
export function newlyActive(newDays: number[], knownDays: Iterable<number>): { interval: Interval; period: number }[] {
  const knownPeriods = new Set<string>();
  for (const day of knownDays) for (const interval of INTERVALS) knownPeriods.add(`${interval}|${periodOf(day, interval).start}`);
  const found = new Map<string, { interval: Interval; period: number }>();
  for (const day of newDays) {
    for (const interval of INTERVALS) {
      const period = periodOf(day, interval).start;
      const key = `${interval}|${period}`;
      if (!knownPeriods.has(key)) found.set(key, { interval, period });
    }
  }
  return [...found.values()];
}
