// Dates accepted anywhere in the API (bodies, query parameters, CLI flags): YYYY-MM-DD
// (midnight UTC), an ISO 8601 date-time WITH an offset, or epoch milliseconds. Anything
// ambiguous is refused rather than guessed: a date-time without an offset could be in any time
// zone. Every part is checked by hand, not by Date.parse, which rolls 2024-02-30T10:00Z over to
// March 1st; and not by Date.UTC, which reads years 0-99 as 1900-1999.
//
// One range everywhere: 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z. Everything a
// client can send then has an ISO form (toIso cannot throw on a stored date), and a fat-fingered
// 9e15 is a 400 naming the field instead of a row no read can render. Routes narrow it further
// (an event's date: from 2000 to one hour ahead; see ingest/normalize.ts).

export const EARLIEST_DATE = 0;
export const LATEST_DATE = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/i;
const DATE_TIME_NO_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const DIGITS = /^\d+$/;

export type DateResult = { ok: true; ms: number } | { ok: false; message: string };

/** `value` as sent in JSON (string or number); in a query string digits mean epoch milliseconds. */
export function parseDate(value: string | number, field: string): DateResult {
  const parsed =
    typeof value === "number" ? fromEpoch(value, field)
    : DIGITS.test(value) && value.length > 8 ? fromEpoch(Number(value), field)
    : fromString(value, field);
  if (parsed.ok && (parsed.ms < EARLIEST_DATE || parsed.ms > LATEST_DATE)) {
    return { ok: false, message: `${field} must be between 1970-01-01 and 9999-12-31` };
  }
  return parsed;
}

export function toIso(ms: number): string;
export function toIso(ms: number | null): string | null;
export function toIso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function fromEpoch(value: number, field: string): DateResult {
  if (!Number.isFinite(value)) return { ok: false, message: `${field} must be a finite number of milliseconds` };
  // Epoch seconds for any date after 1973 are below 1e11; as milliseconds they'd mean 1970.
  if (Math.abs(value) < 1e11) return { ok: false, message: `${field} looks like epoch seconds; send milliseconds` };
  return { ok: true, ms: Math.trunc(value) };
}

function fromString(value: string, field: string): DateResult {
  const day = DAY.exec(value);
  if (day) {
    const ms = utc(Number(day[1]), Number(day[2]), Number(day[3]), 0, 0, 0, 0);
    return ms === null ? { ok: false, message: `${field} ${value} is not a calendar date` } : { ok: true, ms };
  }
  const dateTime = DATE_TIME.exec(value);
  if (dateTime) {
    const [, year, month, date, hour, minute, second = "0", fraction = "0", zulu, sign, offsetHours, offsetMinutes] = dateTime;
    const ms = utc(Number(year), Number(month), Number(date), Number(hour), Number(minute), Number(second), Number(fraction.padEnd(3, "0").slice(0, 3)));
    if (ms === null) return { ok: false, message: `${field} ${value} is not a valid date-time` };
    if (zulu) return { ok: true, ms };
    if (Number(offsetHours) > 23 || Number(offsetMinutes) > 59) return { ok: false, message: `${field} ${value} has an invalid offset` };
    const offset = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
    return { ok: true, ms: sign === "+" ? ms - offset : ms + offset };
  }
  if (DATE_TIME_NO_OFFSET.test(value)) {
    return { ok: false, message: `${field} has no time zone offset; add Z or an offset such as +02:00` };
  }
  return { ok: false, message: `${field} must be YYYY-MM-DD, an ISO 8601 date-time with offset, or epoch milliseconds` };
}

/** The instant, or null when a part is out of its range (Feb 30th, hour 24, second 60). */
function utc(year: number, month: number, date: number, hour: number, minute: number, second: number, ms: number): number | null {
  if (month < 1 || month > 12 || date < 1 || date > daysIn(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const instant = new Date(0);
  instant.setUTCFullYear(year, month - 1, date); // unlike Date.UTC, year 50 stays year 50
  instant.setUTCHours(hour, minute, second, ms);
  return instant.getTime();
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// When something happened, as a client reports it (an event's date, a billing change's
// updatedAt): nothing a SaaS product records predates 2000 (an earlier date is almost always a
// unit mistake), and a clock more than an hour ahead is wrong. A far-future updatedAt would
// otherwise make every later real change look stale, for good.
export const EARLIEST_EVENT_DATE = Date.UTC(2000, 0, 1);
export const MAX_FUTURE_MS = 60 * 60 * 1000;

/** Why `ms` can't be when something happened, seen at `now`; undefined when it can. */
export function happenedAtProblem(ms: number, now: number, field: string): string | undefined {
  if (ms > now + MAX_FUTURE_MS) return `${field} is more than 1 hour in the future`;
  if (ms < EARLIEST_EVENT_DATE) return `${field} is before 2000-01-01`;
  return undefined;
}
