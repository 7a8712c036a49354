// The access log: one line per request with the route pattern, status, duration and app,
// never a key; sampling; and the JSON format a log shipper reads.
import { describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { createHttpApp } from "../../src/app";
import { accessLog } from "../../src/http/access-log";
import { observeRequests } from "../../src/http/observe";
import { createLogger, type LogLevel } from "../../src/log";
import { setup } from "../helpers";

/** The real app with a logger of its own on setup()'s store (the suite's backend). */
async function harness(options: { sample?: number; random?: () => number; level?: LogLevel } = {}) {
  const lines: string[] = [];
  const { store, tenant: newTenant } = await setup();
  const logger = createLogger({ format: "json", level: options.level ?? "info", write: (line) => lines.push(line) });
  const app = createHttpApp({ store, logger, accessLog: { sample: options.sample ?? 1, random: options.random } });
  const tenant = await newTenant("logged");
  const headers = { "x-ck-api-key": tenant.apiKey, "x-ck-app": tenant.appId, "content-type": "application/json" };
  const send = async (method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) => {
    const response = await app.handle(new Request(`http://localhost${path}`, { method, ...init }));
    await response.arrayBuffer();
    await Bun.sleep(1); // the line is written after the response
    return response;
  };
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === "request");
  return { lines, entries, send, tenant, headers };
}

const EVENT = JSON.stringify({ event: "Logged In", customerId: "cus_log" });

describe("access log", () => {
  test("a stored event logs its route pattern, status, duration and app, and no key", async () => {
    const { lines, entries, send, tenant, headers } = await harness();
    expect((await send("POST", "/v1/api/events/new", { headers, body: EVENT })).status).toBe(201);
    expect((await send("GET", "/v1/api/customers/cus_log", { headers })).status).toBe(200);
    const [stored, read] = entries();
    expect(stored).toMatchObject({ level: "info", method: "POST", route: "/v1/api/events/new", status: 201, appId: tenant.appId });
    expect(read).toMatchObject({ method: "GET", route: "/v1/api/customers/:customerId", status: 200 });
    expect(typeof stored!.durationMs).toBe("number");
    expect(typeof stored!.time).toBe("string");
    // Neither the key nor the customer id in the path reaches the log.
    expect(lines.join("\n")).not.toContain(tenant.apiKey);
    expect(lines.join("\n")).not.toContain("cus_log");
  });

  test("errors are logged with their status and request id: 401 with a wrong key, 404 with no route", async () => {
    const { lines, entries, send, headers } = await harness();
    const wrongKey = { ...headers, "x-ck-api-key": "tk_wrong_secret_value" };
    expect((await send("POST", "/v1/api/events/new", { headers: wrongKey, body: EVENT })).status).toBe(401);
    expect((await send("GET", "/nowhere", { headers: { "x-request-id": "trace-404" } })).status).toBe(404);
    expect(entries()).toMatchObject([
      { method: "POST", route: "/v1/api/events/new", status: 401 },
      { method: "GET", route: "(no route)", status: 404, requestId: "trace-404" },
    ]);
    expect(entries()[0]!.requestId).toMatch(/^req_/);
    expect(entries()[0]!.appId).toBeUndefined();
    expect(lines.join("\n")).not.toContain("tk_wrong_secret_value");
  });

  test("a handler's own Response reports its status (an unchanged /sdk.js is a 304)", async () => {
    const { entries, send } = await harness();
    const first = await send("GET", "/sdk.js");
    expect(first.status).toBe(200);
    const again = await send("GET", "/sdk.js", { headers: { "if-none-match": first.headers.get("etag")! } });
    expect(again.status).toBe(304);
    expect(entries().map((entry) => entry.status)).toEqual([200, 304]);
  });

  test.each([
    { sample: 0, expected: 0 },
    { sample: 0.5, expected: 2 },
    { sample: 1, expected: 4 },
  ])("sample $sample logs $expected of 4 requests", async ({ sample, expected }) => {
    const draws = [0.1, 0.9, 0.3, 0.7];
    const { entries, send } = await harness({ sample, random: () => draws.shift()! });
    for (let i = 0; i < 4; i++) await send("GET", "/healthz");
    expect(entries()).toHaveLength(expected);
  });

  test("--log-level warn hides the access log but keeps warnings", async () => {
    const lines: string[] = [];
    const logger = createLogger({ format: "text", level: "warn", write: (line) => lines.push(line) });
    logger.info("hidden");
    logger.warn("shown", { n: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z warn shown \{"n":1\}$/);
  });

  test("a field can never overwrite the fixed keys of a JSON line", () => {
    const lines: string[] = [];
    createLogger({ format: "json", write: (line) => lines.push(line), clock: () => 0 }).error("boom", { level: "debug", msg: "x", time: "y" });
    expect(JSON.parse(lines[0]!)).toEqual({ time: "1970-01-01T00:00:00.000Z", level: "error", msg: "boom" });
  });
});

test("a server error is logged even when sampling is off", async () => {
  const lines: string[] = [];
  const logger = createLogger({ format: "json", write: (line) => lines.push(line) });
  const app = new Elysia()
    .use(observeRequests([accessLog({ logger, sample: 0, requestId: () => "req_1" })]))
    .onError(({ set }) => {
      set.status = 500;
      return "internal error";
    })
    .get("/boom", () => {
      throw new Error("boom");
    });
  expect((await app.handle(new Request("http://localhost/boom"))).status).toBe(500);
  await Bun.sleep(1);
  expect(lines.map((line) => JSON.parse(line))).toMatchObject([{ msg: "request", route: "/boom", status: 500, requestId: "req_1" }]);
});
