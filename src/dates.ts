// Dates accepted anywhere in the API: YYYY-MM-DD (midnight UTC), an ISO 8601 date-time WITH an
// offset, or epoch milliseconds. Anything ambiguous is refused rather than guessed: a
// date-time without an offset could be in any time zone.

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const DATE_TIME_NO_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const DIGITS = /^\d+$/;

export type DateResult = { ok: true; ms: number } | { ok: false; message: string };

/** `value` as sent in JSON (string or number); in a query string digits mean epoch milliseconds. */
export function parseDate(value: string | number, field: string): DateResult {
  if (typeof value === "number") return fromEpoch(value, field);
  if (DIGITS.test(value) && value.length > 8) return fromEpoch(Number(value), field);
  return fromString(value, field);
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
    const [year, month, date] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const ms = Date.UTC(year, month - 1, date);
    const check = new Date(ms);
    if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date) {
      return { ok: false, message: `${field} ${value} is not a calendar date` };
    }
    return { ok: true, ms };
  }
  if (DATE_TIME.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? { ok: false, message: `${field} ${value} is not a valid date-time` } : { ok: true, ms };
  }
  if (DATE_TIME_NO_OFFSET.test(value)) {
    return { ok: false, message: `${field} has no time zone offset; add Z or an offset such as +02:00` };
  }
  return { ok: false, message: `${field} must be YYYY-MM-DD, an ISO 8601 date-time with offset, or epoch milliseconds` };
}
