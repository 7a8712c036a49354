// Plain data shapes and codecs of the store's contract that every backend shares (types.ts
// holds the interfaces): the customer list's sorts, filter, rows and cursor, and the dashboard
// roles. No SQL and no driver here.
import type { CustomerRow } from "../db/schema";
import { AppError } from "../errors";
import { toIso } from "../dates";
import { gradeOf, type Grade } from "../grades";

export const ROLES = ["admin", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** A dashboard account as shown: never its password hash. */
export interface DashboardUser {
  id: string;
  email: string;
  role: Role;
  createdAt: number;
}

export const SORT_KEYS = ["lastSeen", "firstSeen", "eventCount", "customerId", "health", "mrr"] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export const SORTS = SORT_KEYS.flatMap((key) => [key, `-${key}`] as const);
export type Sort = (typeof SORTS)[number];
export const DEFAULT_SORT: Sort = "-lastSeen";

/** The customer row's field (and so the column) each sort key orders by. */
export const sortField = {
  lastSeen: "lastSeen",
  firstSeen: "firstSeen",
  eventCount: "eventCount",
  customerId: "customerId",
  health: "healthScore",
  mrr: "mrr",
} as const satisfies Record<SortKey, keyof CustomerRow>;

export interface ListFilter {
  /** Prefix of customerId or uid (exact case), or of email or the `name` attribute (any case). */
  q?: string;
  activeSince?: number;
  inactiveSince?: number;
  /** Attribute equality, compared as text: attr.seats=3 matches 3 and "3". */
  attributes: [key: string, value: string][];
  /** Did this event at least once, within [from, to) when given. */
  event?: { name: string; from?: number; to?: number };
  /** The stored health score is in the grade's range. */
  health?: Grade;
  /** The current subscription's status and plan id, as billing keeps them on the customer. */
  status?: string;
  plan?: string;
  sort: Sort;
  cursor?: string;
  limit: number;
}

export interface CustomerListRow {
  customerId: string | null;
  uid: string | null;
  email: string | null;
  name: string | null;
  data: Record<string, unknown>;
  firstSeen: string | null;
  lastSeen: string | null;
  eventCount: number;
  eventsLast7d: number;
  eventsLast30d: number;
  userCount: number;
  /** From the last scoring pass; null until the customer has been scored. */
  health: { score: number; grade: Grade } | null;
  mrr: number | null;
  currency: string | null;
  billingStatus: string | null;
  plan: string | null;
}

export type SortValue = string | number | null;
export interface Position {
  value: SortValue;
  pk: number;
}

// The cursor names its sort, so a cursor from one order can't be replayed in another. Like the
// events cursor it is opaque but not secret: every query is scoped to the caller's app.
export function encodeListCursor(sort: Sort, position: Position): string {
  return Buffer.from(JSON.stringify([sort, position.value, position.pk])).toString("base64url");
}

export function decodeListCursor(cursor: string, sort: Sort): Position {
  const invalid = (reason: string) =>
    new AppError("VALIDATION_FAILED", `cursor ${reason}; pass nextCursor from the previous page`, {
      details: [{ path: "/cursor", message: `cursor ${reason}` }],
    });
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString());
  } catch {
    throw invalid("is not valid");
  }
  if (!Array.isArray(decoded) || decoded.length !== 3) throw invalid("is not valid");
  const [cursorSort, value, pk] = decoded as unknown[];
  if (cursorSort !== sort) throw invalid(`was made for sort ${JSON.stringify(cursorSort)}, not ${sort}`);
  const valueType = sort.endsWith("customerId") ? "string" : "number";
  const valueOk = value === null || (typeof value === valueType && (valueType === "string" || Number.isSafeInteger(value)));
  if (!valueOk || !Number.isSafeInteger(pk)) throw invalid("is not valid");
  return { value: value as SortValue, pk: pk as number };
}

/** A customer as the list shows it, with the page's totals (absent: none in 30 days) and user count. */
export function toListRow(row: CustomerRow, totals: { last7d: number; last30d: number } | undefined, userCount: number): CustomerListRow {
  return {
    customerId: row.customerId,
    uid: row.uid,
    email: row.email,
    name: typeof row.data.name === "string" ? row.data.name : null,
    data: row.data,
    firstSeen: toIso(row.firstSeen),
    lastSeen: toIso(row.lastSeen),
    eventCount: row.eventCount,
    eventsLast7d: totals?.last7d ?? 0,
    eventsLast30d: totals?.last30d ?? 0,
    userCount,
    health: row.healthScore === null ? null : { score: row.healthScore, grade: gradeOf(row.healthScore) },
    mrr: row.mrr,
    currency: row.currency,
    billingStatus: row.billingStatus,
    plan: row.plan,
  };
}
