// GET /v1/api/customers on PostgreSQL (CustomerListReads): the same keyset pages as SQLite's
// customer-list.ts (its cursor, its row shape), composed per request with Drizzle's builder
// over schema.pg.ts, since the conditions depend on the filter.
//
// What it takes to give SQLite's answers:
// - customerId is ordered and compared with COLLATE "C" (SQLite's byte order), see collate.ts.
// - The search's case-insensitive half lowers with COLLATE "C", which lowers ASCII letters only,
//   as SQLite's lower() does (PostgreSQL's lower() under a UTF-8 locale also lowers "É").
// - JSON: SQLite's ->> and json_extract turn true/false into 1/0 for the name search and into
//   'true'/'false' for attribute equality (json_type); both are written out below.
// SQLite's grade walk (walkSortIndex) is a plan choice for its planner; PostgreSQL needs none.
import { and, asc, between, desc, eq, gte, inArray, isNotNull, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { PgDb } from "../../../db/postgres";
import { customerDailyCounts, customerDailyTotals, customerEventStats, customers, events, users } from "../../../db/schema.pg";
import type { CustomerRow } from "../../../db/schema";
import { GRADE_RANGES } from "../../../grades";
import { dayOf } from "../../../periods";
import { didEvent } from "../../did-event";
import { decodeListCursor, encodeListCursor, sortField, toListRow, type ListFilter, type SortKey } from "../../shapes";
import type { CustomerListReads } from "../../types";
import { C } from "./collate";

export function createPgCustomerListReads(db: PgDb): CustomerListReads {
  return {
    async list(appId, filter, now) {
      const descending = filter.sort.startsWith("-");
      const key = filter.sort.replace("-", "") as SortKey;
      const column = customers[sortField[key]];
      const ordered = key === "customerId" ? C(column) : sql`${column}`;
      const after = filter.cursor === undefined ? undefined : decodeListCursor(filter.cursor, filter.sort);
      const matching = and(eq(customers.appId, appId), ...filterConditions(appId, filter));
      const order = descending ? desc : asc;
      const beyond = (left: SQL, right: SQL) => (descending ? sql`${left} < ${right}` : sql`${left} > ${right}`);

      // Two phases as on SQLite: customers with a value for the sort column, then those without.
      const rows: CustomerRow[] = [];
      if (after?.value !== null) {
        const withValues = await db
          .select()
          .from(customers)
          .where(and(matching, isNotNull(column), after && beyond(sql`(${ordered}, ${customers.pk})`, sql`(${after.value}, ${after.pk})`)))
          .orderBy(order(ordered), order(customers.pk))
          .limit(filter.limit + 1);
        rows.push(...withValues);
      }
      if (rows.length <= filter.limit) {
        const withoutValues = await db
          .select()
          .from(customers)
          .where(and(matching, isNull(column), after?.value === null ? beyond(sql`${customers.pk}`, sql`${after.pk}`) : undefined))
          .orderBy(order(customers.pk))
          .limit(filter.limit + 1 - rows.length);
        rows.push(...withoutValues);
      }

      const page = rows.slice(0, filter.limit);
      const last = page.at(-1);
      return {
        customers: await withTotals(db, page, now),
        nextCursor: rows.length > filter.limit && last ? encodeListCursor(filter.sort, { value: last[sortField[key]], pk: last.pk }) : null,
      };
    },
  };
}

function filterConditions(appId: string, filter: ListFilter): (SQL | undefined)[] {
  const health = filter.health === undefined ? undefined : GRADE_RANGES[filter.health];
  return [
    filter.q === undefined ? undefined : prefixMatch(appId, filter.q),
    filter.activeSince === undefined ? undefined : gte(customers.lastSeen, filter.activeSince),
    // Never seen at all counts as inactive.
    filter.inactiveSince === undefined ? undefined : or(lt(customers.lastSeen, filter.inactiveSince), isNull(customers.lastSeen)),
    ...filter.attributes.map(([key, value]) => attributeEquals(key, value)),
    filter.event === undefined ? undefined : didEvent({ customers, customerEventStats, customerDailyCounts, events }, filter.event),
    health === undefined ? undefined : between(customers.healthScore, health.min, health.max),
    filter.status === undefined ? undefined : eq(customers.billingStatus, filter.status),
    filter.plan === undefined ? undefined : eq(customers.plan, filter.plan),
  ];
}

/** The `name` attribute as SQLite's `data ->> '$.name'` gives it: true/false as 1/0. */
const nameText = sql`(case jsonb_typeof(${customers.data} -> 'name')
  when 'boolean' then (case when (${customers.data} ->> 'name')::boolean then '1' else '0' end)
  else ${customers.data} ->> 'name' end)`;

/**
 * A prefix of customerId or uid (exact case), or of email or name (ASCII case folded, as q is
 * by toLowerCase on SQLite): byte ranges in COLLATE "C", each alternative its own search.
 */
function prefixMatch(appId: string, q: string): SQL {
  // PostgreSQL's text holds no NUL (a parameter with one is an error, a 500): no stored value
  // starts with such a prefix, so it matches nothing, as on SQLite.
  if (q.includes("\0")) return sql`false`;
  const lower = q.toLowerCase();
  const search = (expression: SQL, prefix: string) =>
    sql`select ${customers.pk} from ${customers} where ${customers.appId} = ${appId}
      and ${expression} >= ${prefix} and ${expression} < ${prefix + "\u{10FFFF}"}`;
  return sql`${customers.pk} in (${search(C(customers.customerId), q)} union all ${search(C(customers.uid), q)}
    union all ${search(sql`lower(${customers.email} collate "C")`, lower)} union all ${search(sql`lower(${nameText} collate "C")`, lower)})`;
}

/** As SQLite's json_type/json_extract comparison: JSON null as 'null', booleans as 'true'/'false'. */
function attributeEquals(key: string, value: string): SQL {
  return sql`(case jsonb_typeof(${customers.data} -> ${key}) when 'null' then 'null'
    else ${customers.data} ->> ${key} end) = ${value}`;
}

/** The page's 7/30-day totals and user counts, two statements over the page's pks. */
async function withTotals(db: PgDb, page: CustomerRow[], now: number) {
  if (page.length === 0) return [];
  const pks = page.map((row) => row.pk);
  const today = dayOf(now);
  const [totals, userCounts] = await Promise.all([
    db
      .select({
        pk: customerDailyTotals.customerPk,
        last7d: sql`sum(case when ${customerDailyTotals.day} >= ${today - 6} then ${customerDailyTotals.count} else 0 end)`.mapWith(Number),
        last30d: sql`sum(${customerDailyTotals.count})`.mapWith(Number),
      })
      .from(customerDailyTotals)
      .where(and(inArray(customerDailyTotals.customerPk, pks), gte(customerDailyTotals.day, today - 29)))
      .groupBy(customerDailyTotals.customerPk),
    db
      .select({ pk: users.customerPk, count: sql`count(*)`.mapWith(Number) })
      .from(users)
      .where(inArray(users.customerPk, pks))
      .groupBy(users.customerPk),
  ]);
  const totalsOf = new Map(totals.map((row) => [row.pk, row]));
  const usersOf = new Map(userCounts.map((row) => [row.pk, row.count]));
  return page.map((row) => toListRow(row, totalsOf.get(row.pk), usersOf.get(row.pk) ?? 0));
}
