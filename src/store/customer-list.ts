// GET /v1/api/customers: one page of customers in the order asked for, each row with its 7- and
// 30-day totals and user count read for that page only, never by scanning events.
//
// Keyset pagination on (sort value, pk). Customers without a value for the sort key (never seen,
// no customerId) come last in either direction, so a page is read in two phases: the customers
// with a value, in the index's order, then those without, by pk. Each phase is one plain range
// query an index can answer, which an "x < ? OR x IS NULL" condition would not be.
//
// Drizzle's builder: a page's conditions are composed per request from the filter, which is what
// the builder is for (the page's totals and the grade count are prepared once). The cursor and
// the row shape live here with the queries because each names the sort columns.
import { and, asc, between, desc, eq, gte, isNotNull, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db";
import { customerDailyCounts, customerDailyTotals, customerEventStats, customers, events, users, type CustomerRow } from "../db/schema";
import { dayOf } from "../periods";
import { GRADE_RANGES, type Grade } from "../grades";
import { didEvent } from "./did-event";
import { decodeListCursor, encodeListCursor, sortField, toListRow, type CustomerListRow, type ListFilter, type SortKey } from "./shapes";

export { DEFAULT_SORT, SORT_KEYS, SORTS, type CustomerListRow, type ListFilter, type Sort, type SortKey } from "./shapes";

export function createCustomerList(db: Db) {
  const withTotals = prepareTotals(db);
  const gradeCounts = db.$client.prepare<{ total: number; inGrade: number }, { appId: string; min: number; max: number }>(
    `SELECT (SELECT count(*) FROM customers WHERE app_id = $appId) AS total,
            (SELECT count(*) FROM customers WHERE app_id = $appId AND health_score BETWEEN $min AND $max) AS inGrade`,
  );

  /**
   * A grade is a range of the health index, and sorted by anything else SQLite reads all of
   * that range and sorts it: 20-45 ms when 28-65k of 100k customers match. When at least 1
   * customer in 50 is in the grade, walking the sort's own index and testing each score reads
   * about 50 rows per match instead: 0.1-3 ms, after ~3 ms of counting (bench/README.md). Not
   * for lastSeen: recency is part of the score, so the newest customers are seldom at risk and
   * the oldest seldom healthy, and that walk took 27-81 ms.
   */
  function walkSortIndex(appId: string, grade: Grade, key: SortKey): boolean {
    if (key === "health" || key === "lastSeen") return false;
    const { total, inGrade } = gradeCounts.get({ appId, ...GRADE_RANGES[grade] })!;
    return inGrade * 50 >= total;
  }

  return function list(appId: string, filter: ListFilter, now: number): { customers: CustomerListRow[]; nextCursor: string | null } {
    const descending = filter.sort.startsWith("-");
    const key = filter.sort.replace("-", "") as SortKey;
    const column = customers[sortField[key]];
    const after = filter.cursor === undefined ? undefined : decodeListCursor(filter.cursor, filter.sort);
    const walk = filter.health !== undefined && walkSortIndex(appId, filter.health, key);
    const matching = and(eq(customers.appId, appId), ...filterConditions(appId, filter, walk));
    const order = descending ? desc : asc;
    const beyond = (left: SQL, right: SQL) => (descending ? sql`${left} < ${right}` : sql`${left} > ${right}`);

    const rows: CustomerRow[] = [];
    if (after?.value !== null) {
      const withValues = db
        .select()
        .from(customers)
        .where(and(matching, isNotNull(column), after && beyond(sql`(${column}, ${customers.pk})`, sql`(${after.value}, ${after.pk})`)))
        .orderBy(order(column), order(customers.pk))
        .limit(filter.limit + 1)
        .all();
      rows.push(...withValues);
    }
    if (rows.length <= filter.limit) {
      const withoutValues = db
        .select()
        .from(customers)
        .where(and(matching, isNull(column), after?.value === null ? beyond(sql`${customers.pk}`, sql`${after.pk}`) : undefined))
        .orderBy(order(customers.pk))
        .limit(filter.limit + 1 - rows.length)
        .all();
      rows.push(...withoutValues);
    }

    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      customers: withTotals(page, now),
      nextCursor: rows.length > filter.limit && last ? encodeListCursor(filter.sort, { value: last[sortField[key]], pk: last.pk }) : null,
    };
  };
}

/** `walkSortIndex`: keep SQLite off the health index (see walkSortIndex). */
function filterConditions(appId: string, filter: ListFilter, walkSortIndex: boolean): (SQL | undefined)[] {
  return [
    filter.q === undefined ? undefined : prefixMatch(appId, filter.q),
    filter.activeSince === undefined ? undefined : gte(customers.lastSeen, filter.activeSince),
    // Never seen at all counts as inactive.
    filter.inactiveSince === undefined ? undefined : or(lt(customers.lastSeen, filter.inactiveSince), isNull(customers.lastSeen)),
    ...filter.attributes.map(([key, value]) => attributeEquals(key, value)),
    filter.event === undefined ? undefined : didEvent({ customers, customerEventStats, customerDailyCounts, events }, filter.event),
    filter.health === undefined ? undefined : inGrade(filter.health, walkSortIndex),
    filter.status === undefined ? undefined : eq(customers.billingStatus, filter.status),
    filter.plan === undefined ? undefined : eq(customers.plan, filter.plan),
  ];
}

function inGrade(grade: Grade, walkSortIndex: boolean): SQL {
  const { min, max } = GRADE_RANGES[grade];
  // A unary + makes the column an expression, which no index answers.
  return walkSortIndex ? sql`+${customers.healthScore} between ${min} and ${max}` : between(customers.healthScore, min, max);
}

/**
 * Each alternative is a range on its own index (see the customers table); as a union of four
 * index searches SQLite reads only the matches, where the same ORs in one WHERE made it walk
 * the sort index and test every customer.
 */
function prefixMatch(appId: string, q: string): SQL {
  const lower = q.toLowerCase();
  const search = (expression: SQL, prefix: string) =>
    sql`select ${customers.pk} from ${customers} where ${customers.appId} = ${appId} and ${expression} >= ${prefix} and ${expression} < ${prefix + "\u{10FFFF}"}`;
  return sql`${customers.pk} in (${search(sql`${customers.customerId}`, q)} union all ${search(sql`${customers.uid}`, q)}
    union all ${search(sql`lower(email)`, lower)} union all ${search(sql`lower(data ->> '$.name')`, lower)})`;
}

function attributeEquals(key: string, value: string): SQL {
  const path = `$."${key}"`; // keys with " or \ are refused by the route
  return sql`(case json_type(${customers.data}, ${path})
    when 'true' then 'true' when 'false' then 'false' when 'null' then 'null'
    else cast(json_extract(${customers.data}, ${path}) as text) end) = ${value}`;
}

/**
 * The page's 7/30-day totals (at most 30 rows a customer) and user counts: two statements over
 * the page's pks, passed as one JSON array so that they are prepared once whatever the page's
 * size (an IN list of n values is a new statement for every n, built and compiled per request:
 * 45% of a list request's time, bench/README.md).
 */
function prepareTotals(db: Db) {
  const pagePks = sql`(select value from json_each(${sql.placeholder("pks")}))`;
  const totals = db
    .select({
      pk: customerDailyTotals.customerPk,
      last7d: sql<number>`sum(case when ${customerDailyTotals.day} >= ${sql.placeholder("since7")} then ${customerDailyTotals.count} else 0 end)`,
      last30d: sql<number>`sum(${customerDailyTotals.count})`,
    })
    .from(customerDailyTotals)
    .where(and(sql`${customerDailyTotals.customerPk} in ${pagePks}`, gte(customerDailyTotals.day, sql.placeholder("since30"))))
    .groupBy(customerDailyTotals.customerPk)
    .prepare();
  const userCounts = db
    .select({ pk: users.customerPk, count: sql<number>`count(*)` })
    .from(users)
    .where(sql`${users.customerPk} in ${pagePks}`)
    .groupBy(users.customerPk)
    .prepare();

  return function withTotals(page: CustomerRow[], now: number): CustomerListRow[] {
    const pks = JSON.stringify(page.map((row) => row.pk));
    const today = dayOf(now);
    const totalsOf = new Map(totals.all({ pks, since7: today - 6, since30: today - 29 }).map((row) => [row.pk, row]));
    const usersOf = new Map(userCounts.all({ pks }).map((row) => [row.pk, row.count]));
    return page.map((row) => toListRow(row, totalsOf.get(row.pk), usersOf.get(row.pk) ?? 0));
  };
}
