// Lever 3's reads (bench/README.md "Lever 3, priced"): what the customer list's sorts and the
// count tables' reads cost on a seeded database, as they are and as they would be served without
// the index or the table priced for removal. In process, ms per statement, median of 7.
// `bun bench/read-models.ts --db SEEDED.db --app APP_ID` (it copies the file and drops on the copy).
import { Database } from "bun:sqlite";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: flags } = parseArgs({ options: { db: { type: "string" }, app: { type: "string" } } });
const dir = mkdtempSync(join(tmpdir(), "trackd-read-models-"));
const path = join(dir, "copy.db");
copyFileSync(flags.db!, path);
let db = new Database(path);
const appId = flags.app!;
const appPk = (db.query("SELECT pk FROM apps WHERE id = ?").get(appId) as { pk: number }).pk;
const today = (db.query("SELECT max(day) AS d FROM customer_daily_totals WHERE app_pk = ?").get(appPk) as { d: number }).d;

function time(label: string, sql: string, params: Record<string, unknown> = {}): void {
  const statement = db.query(sql);
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < 8; i++) {
    const t = performance.now();
    rows = statement.all(params as never).length;
    if (i > 0) ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const plan = (db.query(`EXPLAIN QUERY PLAN ${sql}`).all(params as never) as { detail: string }[]).map((r) => r.detail).join("; ");
  console.log(`${label}: ${ms[3]!.toFixed(2)} ms (${rows} rows) [${plan}]`);
}

const page = (column: string) =>
  `SELECT * FROM customers WHERE app_id = $app AND ${column} IS NOT NULL ORDER BY ${column} DESC, pk DESC LIMIT 51`;
const middle = (column: string) => {
  const row = db
    .query(
      `SELECT ${column} AS v, pk FROM customers WHERE app_id = ? AND ${column} IS NOT NULL ORDER BY ${column} DESC, pk DESC LIMIT 1 OFFSET 10000`,
    )
    .get(appId) as { v: number; pk: number };
  return [
    `SELECT * FROM customers WHERE app_id = $app AND ${column} IS NOT NULL AND (${column}, pk) < (${row.v}, ${row.pk}) ORDER BY ${column} DESC, pk DESC LIMIT 51`,
    {},
  ] as const;
};
function sorts(when: string): void {
  for (const column of ["event_count", "last_seen"]) {
    time(`${when}: list by -${column}, first page`, page(column), { $app: appId });
    const [sql] = middle(column);
    time(`${when}: list by -${column}, page at 10,000`, sql, { $app: appId });
  }
}
sorts("with the indexes");

const pagePks = JSON.stringify(
  (db.query("SELECT pk FROM customers WHERE app_id = ? ORDER BY last_seen DESC LIMIT 50").all(appId) as { pk: number }[]).map((r) => r.pk),
);
const onePk = (db.query("SELECT pk FROM customers WHERE app_id = ? ORDER BY event_count DESC LIMIT 1").get(appId) as { pk: number }).pk;
const range = db.query("SELECT min(pk) AS lo, max(pk) AS hi FROM customers WHERE app_id = ?").get(appId) as { lo: number; hi: number };
for (const [table, sum] of [
  ["customer_daily_totals", "count"],
  ["customer_daily_counts", "count"],
] as const) {
  time(
    `list page's 7/30-day totals from ${table}`,
    `SELECT customer_pk, sum(CASE WHEN day >= $since7 THEN ${sum} ELSE 0 END), sum(${sum}) FROM ${table}
      WHERE customer_pk IN (SELECT value FROM json_each($pks)) AND day >= $since30 GROUP BY customer_pk`,
    { $since7: today - 7, $since30: today - 30, $pks: pagePks },
  );
  time(
    `the busiest customer's profile chart, 365 days, from ${table}`,
    `SELECT day, sum(${sum}) FROM ${table} WHERE customer_pk = $pk AND day >= $from AND day <= $to GROUP BY day ORDER BY day`,
    { $pk: onePk, $from: today - 365, $to: today },
  );
  time(
    `health scoring's 28-day totals, whole app, from ${table}`,
    `SELECT c.pk, sum(CASE WHEN t.day >= $since14 THEN t.count ELSE 0 END), sum(CASE WHEN t.day < $since14 THEN t.count ELSE 0 END), count(DISTINCT t.day)
       FROM customers c JOIN ${table} t ON t.customer_pk = c.pk AND t.day >= $since28
      WHERE c.app_id = $app AND c.pk BETWEEN $lo AND $hi GROUP BY c.pk`,
    { $since14: today - 14, $since28: today - 28, $app: appId, $lo: range.lo, $hi: range.hi },
  );
}
for (const days of [30, 365]) {
  time(
    `app chart by day and event, ${days} days, from app_daily_counts`,
    `SELECT day, event, count FROM app_daily_counts WHERE app_pk = $a AND day >= $from AND day < $to`,
    { $a: appPk, $from: today - days, $to: today + 1 },
  );
  time(
    `app chart by day and event, ${days} days, from customer_daily_counts`,
    `SELECT day, event, sum(count) FROM customer_daily_counts WHERE app_pk = $a AND day >= $from AND day < $to GROUP BY day, event`,
    { $a: appPk, $from: today - days, $to: today + 1 },
  );
}
time(
  "export's event count, 365 days, from app_daily_counts",
  `SELECT coalesce(sum(count), 0) FROM app_daily_counts WHERE app_pk = $a AND day >= $from AND day <= $to`,
  { $a: appPk, $from: today - 365, $to: today },
);
time(
  "export's event count, 365 days, from customer_daily_counts",
  `SELECT coalesce(sum(count), 0) FROM customer_daily_counts WHERE app_pk = $a AND day >= $from AND day <= $to`,
  { $a: appPk, $from: today - 365, $to: today },
);

db.close(); // its cached statements would hold the table
const dropped = new Database(path);
dropped.run("DROP INDEX customers_app_event_count_idx");
dropped.run("DROP INDEX customers_app_last_seen_idx");
dropped.close();
db = new Database(path);
sorts("without them");
db.close();
rmSync(dir, { recursive: true, force: true });
