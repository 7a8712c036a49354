// --db / TRACKD_DB names a SQLite file or a PostgreSQL URL (src/db/target.ts), and a URL's
// password never reaches a message.
import { describe, expect, test } from "bun:test";
import { UsageError, resolveSetting } from "../../src/config";
import { parseDbTarget, redactUrl, scrubSecret } from "../../src/db/target";

describe("--db", () => {
  test.each([
    ["./data/trackd.db", { kind: "sqlite", path: "./data/trackd.db" }],
    [":memory:", { kind: "sqlite", path: ":memory:" }],
    ["/abs/path with spaces.db", { kind: "sqlite", path: "/abs/path with spaces.db" }],
    ["postgres://u:secret@db.example.com:5432/trackd", { kind: "postgres", url: "postgres://u:secret@db.example.com:5432/trackd", display: "postgres://u:***@db.example.com:5432/trackd" }],
    ["postgresql://db.example.com/trackd?sslmode=require", { kind: "postgres", url: "postgresql://db.example.com/trackd?sslmode=require", display: "postgresql://db.example.com/trackd?sslmode=require" }],
    ["postgres:///trackd?host=/run/postgresql", { kind: "postgres", url: "postgres:///trackd?host=/run/postgresql", display: "postgres:///trackd?host=/run/postgresql" }],
    ["POSTGRES://u@h/db", { kind: "postgres", url: "POSTGRES://u@h/db", display: "POSTGRES://u@h/db" }],
    // trackd's own parameter, kept from the driver (which would send it to the server as a setting).
    [
      "postgres://u:secret@h:6432/db?pooler=transaction&sslmode=require",
      { kind: "postgres", url: "postgres://u:secret@h:6432/db?sslmode=require", display: "postgres://u:***@h:6432/db?sslmode=require", pooler: "transaction" },
    ],
    ["postgres://h/db?pooler=session", { kind: "postgres", url: "postgres://h/db", display: "postgres://h/db" }],
  ])("%s", (raw, expected) => {
    expect(parseDbTarget(raw)).toEqual(expected as never);
  });

  test.each([
    ["", "must not be empty"],
    ["mysql://u:secret@h/db", 'must be a SQLite file path or a postgres:// URL: "mysql://" URLs are not supported'],
    ["postgres:///trackd", "names no host"],
    ["postgres://u:secret@/db", "is not a valid postgres:// URL"],
    ["postgres://u:secret@h:99999/db", "is not a valid postgres:// URL"],
    ["postgres://u:secret@h/db?pooler=pgbouncer", 'has pooler=pgbouncer: must be "transaction"'],
  ])("%p is refused, without its password", (raw, message) => {
    const error = (() => {
      try {
        resolveSetting("db", { db: raw }, {});
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error!.message).toContain(message);
    expect(error!.message).not.toContain("secret");
  });

  test("TRACKD_DB selects PostgreSQL the same way", () => {
    expect(resolveSetting("db", {}, { TRACKD_DB: "postgres://h/db" }).kind).toBe("postgres");
  });

  test.each([
    ["postgres://u:p%40ss@h/db", "postgres://u:***@h/db"],
    ["postgres://u@h/db", "postgres://u@h/db"],
    ["not a url://u:pw@h", "not a url://***@h"],
  ])("redactUrl(%s) is %s", (raw, shown) => {
    expect(redactUrl(raw)).toBe(shown);
  });

  test("a driver's message that repeats the password, plain or percent-encoded, is scrubbed", () => {
    const target = parseDbTarget("postgres://u:p%40ss@h/db");
    expect(scrubSecret(target, "auth failed for p@ss (p%40ss)")).toBe("auth failed for *** (***)");
  });
});
