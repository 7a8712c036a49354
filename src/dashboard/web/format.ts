// Numbers and dates for people: thousands separators, money in the currency's units, and
// dates both relative ("3 days ago") and absolute (in the title attribute).
const integer = new Intl.NumberFormat("en-US");
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const absolute = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
const dayOnly = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" });

export const num = (value: number | null | undefined): string => (value === null || value === undefined ? "—" : integer.format(value));
export const short = (value: number): string => (Math.abs(value) < 10_000 ? integer.format(value) : compact.format(value));

/** Minor units (cents) to "$1,234.50"; currencies without minor units (JPY) are handled by Intl. */
export function money(minor: number | null | undefined, currency: string | null | undefined, options: { signed?: boolean } = {}): string {
  if (minor === null || minor === undefined || !currency) return "—";
  const format = new Intl.NumberFormat("en-US", { style: "currency", currency: currency.toUpperCase(), signDisplay: options.signed ? "exceptZero" : "auto" });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86_400_000],
  ["month", 30 * 86_400_000],
  ["week", 7 * 86_400_000],
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const diff = Date.parse(iso) - now;
  for (const [unit, ms] of UNITS) if (Math.abs(diff) >= ms) return relative.format(Math.round(diff / ms), unit);
  return "just now";
}

export const when = (iso: string | null | undefined): string => (iso ? `${absolute.format(new Date(iso))} UTC` : "");
export const day = (iso: string | null | undefined): string => (iso ? dayOnly.format(new Date(iso)) : "—");

export const GRADE_LABEL: Record<string, string> = { healthy: "Healthy", watch: "Watch", at_risk: "At risk" };
