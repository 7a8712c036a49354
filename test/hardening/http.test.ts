// 405 with Allow for a known path asked with the wrong method; x-request-id on every response;
// a 500's body and its log line carry the same id.
import { describe, expect, test } from "bun:test";
import { createHttpApp } from "../../src/app";
import { openMigratedDatabase } from "../../src/db";
import { silentLogger, type Logger } from "../../src/log";
import { createAppNow, setup, sqliteStore } from "../helpers";

describe("405 Method Not Allowed", () => {
  test.each([
    ["GET", "/v1/api/events/new", "POST"],
    ["PUT", "/v1/api/events/bulk", "POST"],
    ["POST", "/v1/api/customers/cus_1", "DELETE, GET, HEAD"],
    ["POST", "/healthz", "GET, HEAD"],
    ["DELETE", "/v1/api/events/client", "OPTIONS, POST"],
    ["PATCH", "/v1/api/subscriptions", "POST"],
  ])("%s %s → 405, Allow: %s", async (method, path, allow) => {
    const h = await setup();
    const res = await h.call(method, path, { as: await h.tenant() });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe(allow);
    expect(res.body.error.code).toBe("METHOD_NOT_ALLOWED");
    expect(res.body.error.message).toContain(`use ${allow}`);
  });

  test("an unknown path is still 404", async () => {
    const h = await setup();
    const res = await h.call("GET", "/v1/api/nothing-here");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("NOT_FOUND");
  });
});

describe("x-request-id", () => {
  test.each([
    ["GET", "/healthz"],
    ["GET", "/sdk.js"],
    ["GET", "/v1/api/events"],
    ["POST", "/v1/api/events/new"],
    ["GET", "/nowhere"],
    ["PUT", "/healthz"],
  ])("%s %s answers with one", async (method, path) => {
    const h = await setup();
    const res = await h.call(method, path);
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f-]{36}$/);
  });

  test("each request gets its own", async () => {
    const h = await setup();
    const ids = new Set<string | null>();
    for (let i = 0; i < 5; i++) ids.add((await h.call("GET", "/healthz")).headers.get("x-request-id"));
    expect(ids.size).toBe(5);
  });

  test.each([
    ["a sane incoming id is kept", "trace-01:abc.DEF_9", "trace-01:abc.DEF_9"],
    ["one with spaces is replaced", "no spaces please", undefined],
    ["one over 128 characters is replaced", "a".repeat(129), undefined],
    ["one with a quote is replaced", 'x"y', undefined],
  ])("%s", async (_name, incoming, kept) => {
    const h = await setup();
    const res = await h.call("GET", "/healthz", { headers: { "x-request-id": incoming } });
    if (kept) expect(res.headers.get("x-request-id")).toBe(kept);
    else expect(res.headers.get("x-request-id")).toMatch(/^req_/);
  });

  test("a 500's body and its log line carry the response's id", async () => {
    const db = openMigratedDatabase(":memory:");
    const lines: { message: string; fields?: Record<string, unknown> }[] = [];
    const logger: Logger = { ...silentLogger, error: (message, fields) => lines.push({ message, fields }) };
    const store = sqliteStore(db);
    const app = createHttpApp({ store, logger });
    const created = createAppNow(store, "broken");
    db.$client.run("drop table events"); // a fault no client input can cause
    const res = await app.handle(
      new Request("http://localhost/v1/api/events", { headers: { "x-ck-api-key": created.apiKey, "x-ck-app": created.appId } }),
    );
    expect(res.status).toBe(500);
    const id = res.headers.get("x-request-id");
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error).toEqual({ code: "INTERNAL", message: `internal error; the details are in the server log under request id ${id}`, requestId: id });
    expect(lines).toHaveLength(1);
    expect(lines[0].fields).toMatchObject({ requestId: id, method: "GET", path: "/v1/api/events" });
    expect(String(lines[0].fields?.error)).toContain("events"); // the detail stays in the log
    expect(JSON.stringify(body)).not.toContain("no such table");
  });
});

describe("path parameters", () => {
  test.each([
    ["GET", "/v1/api/customers/%ff", "/customerId"],
    ["GET", "/v1/api/customers/%ED%A0%80/events", "/customerId"],
    ["DELETE", "/v1/api/customers/%", "/customerId"],
    ["GET", "/v1/api/customers/%ff/export", "/customerId"],
    ["POST", "/v1/webhooks/stripe/%ff", "/appId"],
  ])("%s %s: not percent-encoded UTF-8 → 400 naming %s", async (method, path, param) => {
    const h = await setup();
    const res = await h.call(method, path, { as: await h.tenant() });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: param, message: `${param.slice(1)} in the path is not valid percent-encoded UTF-8` }]);
  });
});
