// trackd export: the app's events from the database (the suite's backend) to a file or stdout, as a process.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createAppJson, ok, removeScratches, scratch, trackd, withAppOn, type Scratch } from "../support/cli";

afterEach(removeScratches);

const T = Date.UTC(2026, 0, 15, 12);
const iso = (ms: number) => new Date(ms).toISOString();

/** An app with `count` events (one per minute back from T, customers cus_0 … cus_4), written through the real app. */
async function appWithEvents(s: Scratch, count: number) {
  const app = createAppJson(s, "Acme");
  await withAppOn(s.db, async (handle) => {
    for (let i = 0; i < count; i += 100) {
      const batch = Array.from({ length: Math.min(100, count - i) }, (_, j) => ({
        event: "Row Imported",
        customerId: `cus_${(i + j) % 5}`,
        eventDate: iso(T - (i + j) * 60_000),
        eventData: { n: i + j, note: "a,b" },
      }));
      const res = await handle(
        new Request("http://localhost/v1/api/events/bulk", {
          method: "POST",
          headers: { "x-ck-api-key": app.apiKey, "x-ck-app": app.appId, "content-type": "application/json" },
          body: JSON.stringify(batch),
        }),
      );
      expect(res.status).toBe(201);
    }
  });
  return app;
}

const ndjson = (text: string) => text.split("\n").filter(Boolean).map((line) => JSON.parse(line));

describe("trackd export", () => {
  test("writes every event as NDJSON, oldest first, reports progress and a summary on stderr", async () => {
    const s = await scratch();
    const { appId } = await appWithEvents(s, 2500);
    const out = join(s.dir, "events.ndjson");
    const result = ok(["export", "--app", appId, "--out", out], s);
    expect(result.stdout).toBe("");
    const rows = ndjson(readFileSync(out, "utf8"));
    expect(rows).toHaveLength(2500);
    expect(rows[0]).toMatchObject({ event: "Row Imported", customerId: "cus_4", eventDate: iso(T - 2499 * 60_000), eventData: { n: 2499, note: "a,b" } });
    expect(rows.at(-1)).toMatchObject({ customerId: "cus_0", eventDate: iso(T) });
    // Not a terminal: a plain progress line per tenth, then the summary.
    expect(result.stderr).toContain("exporting: 100% (2500 of 2500 events");
    expect(result.stderr).toMatch(/exported 2500 events to .*events\.ndjson as ndjson in [\d.]+ s \(\d+ events\/s\)/);
    expect(readdirSync(s.dir).filter((name) => name.endsWith(".partial"))).toEqual([]);
  });

  test("CSV by the file's extension or --format; --from, --to and --customer-id narrow it", async () => {
    const s = await scratch();
    const { appId } = await appWithEvents(s, 300);
    const csv = join(s.dir, "events.csv");
    ok(["export", "--app", appId, "--out", csv, "--from", iso(T - 9 * 60_000), "--to", iso(T - 4 * 60_000)], s);
    const lines = readFileSync(csv, "utf8").split("\r\n").filter(Boolean);
    expect(lines[0]).toBe("id,event,eventDate,receivedAt,customerId,uid,email,userUid,source,verified,messageId,eventData");
    expect(lines.slice(1).map((line) => line.split(",")[2])).toEqual([9, 8, 7, 6, 5].map((m) => iso(T - m * 60_000)));
    expect(lines[1]).toEndWith(',bulk,true,,"{""n"":9,""note"":""a,b""}"');

    const other = join(s.dir, "cus_2.txt");
    ok(["export", "--app", appId, "--out", other, "--format", "csv", "--customer-id", "cus_2"], s);
    const rows = readFileSync(other, "utf8").split("\r\n").filter(Boolean).slice(1);
    expect(rows).toHaveLength(60);
    expect(rows.every((row) => row.split(",")[4] === "cus_2")).toBe(true);
  });

  test("--out - writes to stdout, keeping the summary on stderr", async () => {
    const s = await scratch();
    const { appId } = await appWithEvents(s, 10);
    const result = ok(["export", "--app", appId, "--out", "-"], s);
    expect(ndjson(result.stdout)).toHaveLength(10);
    expect(result.stderr).toContain("exported 10 events to stdout as ndjson");
  });

  test("usage errors exit 2 with the reason and write no file", async () => {
    const s = await scratch();
    const { appId } = await appWithEvents(s, 1);
    const out = join(s.dir, "out.ndjson");
    const cases: [string[], string][] = [
      [["export", "--out", out], "export needs --app APP_ID"],
      [["export", "--app", appId], "export needs --out FILE (or --out - for stdout)"],
      [["export", "--app", appId, "--out", out, "--format", "xml"], '--format must be ndjson or csv, got "xml"'],
      [["export", "--app", appId, "--out", out, "--from", "tomorrow"], "--from must be YYYY-MM-DD"],
      [["export", "--app", appId, "--out", out, "--from", "2026-02-01", "--to", "2026-01-01"], "--to must not be before --from"],
    ];
    for (const [args, message] of cases) {
      const result = trackd([...args, "--db", s.db], { cwd: s.dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    }
    // What is not there is not a usage error: exit 1, as from every command.
    const missingThings: [string[], string][] = [
      [["export", "--app", "app_nope", "--out", out], "no app with id app_nope"],
      [["export", "--app", appId, "--out", out, "--customer-id", "cus_nobody"], `no customer with customerId cus_nobody in app ${appId}`],
    ];
    for (const [args, message] of missingThings) {
      const result = trackd([...args, "--db", s.db], { cwd: s.dir });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(message);
    }
    expect(existsSync(out)).toBe(false);
    const missing = trackd(["export", "--app", appId, "--out", out, "--db", join(s.dir, "nope.db")], { cwd: s.dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no database at");
  });

  test("reads the same events as GET /v1/api/export", async () => {
    const s = await scratch();
    const app = await appWithEvents(s, 120);
    const out = join(s.dir, "cli.ndjson");
    ok(["export", "--app", app.appId, "--out", out], s);
    const served = await withAppOn(s.db, async (handle) => {
      const res = await handle(new Request("http://localhost/v1/api/export", { headers: { "x-ck-api-key": app.apiKey, "x-ck-app": app.appId } }));
      return res.text();
    });
    expect(readFileSync(out, "utf8")).toBe(served);
  });
});
