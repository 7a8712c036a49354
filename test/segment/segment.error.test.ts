// What the Segment routes refuse, and exactly how a client is told: per message inside a batch
// (the rest stored), or the whole request.
import { describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { gzipSync } from "node:zlib";
import { createHttpApp } from "../../src/app";
import { createCustomersService } from "../../src/customers/service";
import { AppError, errorResponse } from "../../src/errors";
import { createIngestService } from "../../src/ingest/service";
import { silentLogger, type Logger } from "../../src/log";
import { segmentRoutes, type RejectionHook } from "../../src/segment/index";
import type { Rejection } from "../../src/segment/model";
import { T0, setup, type Harness } from "../helpers";
import { basicAuth, segment } from "./support";

const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;
const VALID = { type: "track", userId: "u_ok", event: "Valid Sent" };
/** An object `levels` deep, counting itself: { a: { a: … } }. */
const nested = (levels: number): Record<string, unknown> => (levels === 1 ? { leaf: true } : { a: nested(levels - 1) });

// [what, message, code, field]
const rejectedMessages: [string, unknown, Rejection["code"], string][] = [
  ["a message that is not an object", "hello", "invalid", "message"],
  ["properties nested 33 levels deep", { ...VALID, properties: nested(33) }, "invalid", "properties"],
  ["traits nested 40 levels deep", { type: "identify", userId: "u_1", traits: nested(40) }, "invalid", "traits"],
  ["context nested 33 levels deep", { ...VALID, context: nested(33) }, "invalid", "context"],
  ["a message that is an array", [VALID], "invalid", "message"],
  ["no type", { userId: "u_1", event: "X" }, "invalid", "type"],
  ["an unknown type", { type: "purchase", userId: "u_1" }, "invalid", "type"],
  ["a type named like an object's own member", { type: "constructor", userId: "u_1" }, "invalid", "type"],
  ["a type named __proto__", { type: "__proto__", userId: "u_1" }, "invalid", "type"],
  ["alias", { type: "alias", userId: "u_1", previousId: "anon_1" }, "unsupported_type", "type"],
  ["track without event", { type: "track", userId: "u_1" }, "invalid", "event"],
  ["an empty event name", { type: "track", userId: "u_1", event: "" }, "invalid", "event"],
  ["an event name over 255 characters", { type: "track", userId: "u_1", event: "x".repeat(256) }, "invalid", "event"],
  ["an event name that is a number", { type: "track", userId: "u_1", event: 7 }, "invalid", "event"],
  ["properties that are an array", { type: "track", userId: "u_1", event: "X", properties: [1] }, "invalid", "properties"],
  ["neither userId nor anonymousId", { type: "track", event: "X" }, "invalid", "userId"],
  ["track with only an anonymousId", { type: "track", anonymousId: "anon_1", event: "X" }, "anonymous_only", "userId"],
  ["page with only an anonymousId", { type: "page", anonymousId: "anon_1", name: "Home" }, "anonymous_only", "userId"],
  ["identify with only an anonymousId", { type: "identify", anonymousId: "anon_1", traits: { a: 1 } }, "anonymous_only", "userId"],
  ["identify with only an anonymousId and a group", { type: "identify", anonymousId: "a", context: { groupId: "acme" } }, "anonymous_only", "userId"],
  ["identify without userId", { type: "identify", traits: { a: 1 } }, "invalid", "userId"],
  ["an empty userId", { type: "track", userId: "", event: "X" }, "invalid", "userId"],
  ["a fractional userId", { type: "track", userId: 1.5, event: "X" }, "invalid", "userId"],
  ["a userId that is an object", { type: "track", userId: { id: 1 }, event: "X" }, "invalid", "userId"],
  ["group without groupId", { type: "group", userId: "u_1" }, "invalid", "groupId"],
  ["a traits.customerId that is a number", { type: "group", groupId: "acme", traits: { customerId: 5 } }, "invalid", "traits.customerId"],
  ["a traits.email that is no email", { type: "identify", userId: "u_1", traits: { email: "jane" } }, "invalid", "traits.email"],
  ["traits that are an array", { type: "identify", userId: "u_1", traits: ["a"] }, "invalid", "traits"],
  ["context that is a string", { type: "track", userId: "u_1", event: "X", context: "web" }, "invalid", "context"],
  ["a context.groupId that is an object", { type: "track", userId: "u_1", event: "X", context: { groupId: {} } }, "invalid", "context.groupId"],
  ["an empty messageId", { ...VALID, messageId: "" }, "invalid", "messageId"],
  ["a messageId over 255 characters", { ...VALID, messageId: "m".repeat(256) }, "invalid", "messageId"],
  ["a timestamp that is no date", { ...VALID, timestamp: "yesterday" }, "invalid", "timestamp"],
  ["a timestamp without an offset", { ...VALID, timestamp: "2026-01-15T10:00:00" }, "invalid", "timestamp"],
  ["a timestamp in epoch seconds", { ...VALID, timestamp: Math.floor(T0 / 1000) }, "invalid", "timestamp"],
  ["a timestamp 2 hours ahead", { ...VALID, timestamp: iso(T0 + 2 * HOUR) }, "date_out_of_range", "timestamp"],
  ["a timestamp before 2000", { ...VALID, timestamp: "1999-12-31T00:00:00Z" }, "date_out_of_range", "timestamp"],
  ["an originalTimestamp 2 hours ahead", { ...VALID, originalTimestamp: iso(T0 + 2 * HOUR) }, "date_out_of_range", "originalTimestamp"],
  // Within bounds as sent, but the sender's clock is 1 h slow: corrected, it is 1.5 h ahead.
  ["a timestamp the skew correction moves past the bound", { ...VALID, timestamp: iso(T0 + HOUR / 2), sentAt: iso(T0 - HOUR) }, "date_out_of_range", "timestamp"],
  ["a sentAt that is no date", { ...VALID, timestamp: iso(T0), sentAt: "now" }, "invalid", "sentAt"],
  ["an empty page name", { type: "page", userId: "u_1", name: "" }, "invalid", "name"],
  ["a page name and category too long together", { type: "page", userId: "u_1", name: "n".repeat(200), category: "c".repeat(200) }, "invalid", "name"],
  ["a message over 32 KB", { ...VALID, properties: { blob: "x".repeat(33 * 1024) } }, "too_large", "message"],
];

describe("a batch with rejected messages", () => {
  test.each(rejectedMessages)("%s: beside a valid message it is reported and the other stored (200)", async (_what, message, code, field) => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await segment(h).batch(acme, [VALID, message]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: false,
      accepted: 1,
      rejected: [
        {
          index: 1,
          code,
          field,
          path: field === "message" ? "/batch/1" : `/batch/1/${field.replaceAll(".", "/")}`,
          message: expect.any(String),
          ...(typeof (message as { type?: unknown })?.type === "string" ? { type: (message as { type: string }).type } : {}),
          ...(typeof (message as { messageId?: unknown })?.messageId === "string" && (message as { messageId: string }).messageId !== ""
            ? { messageId: (message as { messageId: string }).messageId }
            : {}),
        },
      ],
    });
    expect(res.body.rejected[0].message.length).toBeGreaterThan(10);
    expect(await h.count("events")).toBe(1);
    expect(await h.count("customers")).toBe(1);
  });

  test.each(rejectedMessages)("%s: alone it is 400 with the same detail, and nothing is stored", async (_what, message, code, field) => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await segment(h).batch(acme, [message]);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      code: "VALIDATION_FAILED",
      message: "all 1 messages were rejected; nothing was stored",
      details: [{ index: 0, code, field, path: expect.stringMatching(/^\/batch\/0/), message: expect.any(String) }],
    });
    expect(await h.count("events") + await h.count("customers") + await h.count("users")).toBe(0);
  });

  test("every rejected message of a batch is listed, in order, with its messageId", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await segment(h).batch(acme, [
      { type: "track", anonymousId: "a", event: "X", messageId: "m0" },
      VALID,
      { type: "alias", userId: "u", previousId: "a", messageId: "m2" },
      { type: "identify", userId: "u_2" },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected.map((r: Rejection) => [r.index, r.code, r.messageId])).toEqual([
      [0, "anonymous_only", "m0"],
      [2, "unsupported_type", "m2"],
    ]);
  });

  test("an identify's timestamp is checked as a date but not bounded: it stores no event", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await segment(h).batch(acme, [{ type: "identify", userId: "u_1", traits: { a: 1 }, timestamp: "1999-01-01T00:00:00Z" }]);
    expect(res.status).toBe(200);
  });
});

describe("requests refused whole (nothing stored)", () => {
  const cases: [string, string | unknown, number, string, string | undefined][] = [
    ["a body that is not JSON", "{not json", 400, "INVALID_JSON", undefined],
    ["an empty body", "", 400, "INVALID_JSON", undefined],
    ["a body that is an array", [VALID], 400, "VALIDATION_FAILED", ""],
    ["no batch", { sentAt: iso(T0) }, 400, "VALIDATION_FAILED", "/batch"],
    ["a batch that is an object", { batch: { 0: VALID } }, 400, "VALIDATION_FAILED", "/batch"],
    ["an empty batch", { batch: [] }, 400, "VALIDATION_FAILED", "/batch"],
    ["a batch sentAt that is no date", { batch: [VALID], sentAt: "yesterday" }, 400, "VALIDATION_FAILED", "/sentAt"],
    ["a batch context that is a string", { batch: [VALID], context: "web" }, 400, "VALIDATION_FAILED", "/context"],
  ];
  test.each(cases)("%s", async (_what, body, status, code, path) => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.call("POST", "/v1/batch", { headers: basicAuth(acme.apiKey), body });
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    if (path !== undefined) expect(res.body.error.details).toContainEqual(expect.objectContaining({ path }));
    expect(await h.count("events") + await h.count("customers")).toBe(0);
  });
});

describe("the single-message routes", () => {
  test("a rejected message is 400 naming the field, with no index", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await segment(h).send(acme, "track", { userId: "u_1", event: "" });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      code: "VALIDATION_FAILED",
      message: "event must be a string of 1 to 255 characters",
      details: [{ code: "invalid", field: "event", path: "/event", message: "event must be a string of 1 to 255 characters" }],
    });
  });

  test("a body whose type is not the route's is refused", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await segment(h).send(acme, "track", { type: "identify", userId: "u_1", event: "X" });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ code: "invalid", field: "type", path: "/type", message: 'type must be "track" on /v1/track, or left out' }]);
    expect(await h.count("events")).toBe(0);
  });

  test("/v1/alias is 400, saying why alias is not supported", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await segment(h).send(acme, "alias", { userId: "u_1", previousId: "anon_1" });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ code: "unsupported_type", field: "type", path: "/type", message: expect.stringContaining("alias is not supported") }]);
  });
});

describe("limits", () => {
  const message = (i: number, kb: number) => ({ type: "track", userId: `u_${i}`, event: "Big", properties: { blob: "x".repeat(kb * 1024) } });

  test("a batch of 16 messages of 30 KB (480 KB) is stored whole", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await segment(h).batch(acme, Array.from({ length: 16 }, (_, i) => message(i, 30)));
    expect(res.status).toBe(200);
    expect(await h.count("events")).toBe(16);
  });

  test("a message nested 100,000 levels deep is rejected on its own, quickly, and its neighbour is stored", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const body = `{"batch":[${JSON.stringify(VALID)},{"type":"track","userId":"u_2","event":"Deep","properties":{"x":${deep}}}]}`;
    const res = await h.call("POST", "/v1/batch", { headers: basicAuth(acme.apiKey), body });
    expect(res.status).toBe(200);
    expect(res.body.rejected).toMatchObject([{ index: 1, code: "invalid", field: "properties" }]);
    expect(await h.count("events")).toBe(1);
  });

  test("a batch body over 500 KB is 413 and stores nothing", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await segment(h).batch(acme, Array.from({ length: 17 }, (_, i) => message(i, 30)));
    expect(res.status).toBe(413);
    expect(res.body.error).toEqual({ code: "PAYLOAD_TOO_LARGE", message: "request body exceeds the 500 KB limit for this route" });
    expect(await h.count("events")).toBe(0);
  });

  test("a single-message route takes up to 32 KB: 31 KB is stored, 33 KB is 413", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    expect((await s.send(acme, "track", message(1, 31))).status).toBe(200);
    const big = await s.send(acme, "track", message(2, 33));
    expect(big.status).toBe(413);
    expect(big.body.error.message).toBe("request body exceeds the 32 KB limit for this route");
    expect(await h.count("events")).toBe(1);
  });

  test("a gzip body that inflates past 500 KB is 413 and stores nothing", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const body = gzipSync(JSON.stringify({ batch: Array.from({ length: 40 }, (_, i) => message(i, 20)) }));
    expect(body.byteLength).toBeLessThan(50 * 1024);
    const res = await h.app.handle(
      new Request("http://localhost/v1/batch", { method: "POST", headers: { ...basicAuth(acme.apiKey), "content-encoding": "gzip" }, body }),
    );
    expect(res.status).toBe(413);
    expect(await h.count("events")).toBe(0);
  });

  test.each([
    ["br", new Uint8Array([1, 2, 3]), 400, "VALIDATION_FAILED"],
    ["gzip", new TextEncoder().encode("not gzip at all"), 400, "INVALID_JSON"],
  ])("content-encoding %s with %p is %p", async (encoding, body, status, code) => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.app.handle(
      new Request("http://localhost/v1/batch", { method: "POST", headers: { ...basicAuth(acme.apiKey), "content-encoding": encoding }, body }),
    );
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  test("a batch the write queue has no room for is 503 with Retry-After, and nothing of it is stored", async () => {
    const h = await setup({ writer: { maxPending: 3 } });
    const acme = await h.tenant();
    const s = segment(h);
    const res = await s.batch(acme, [VALID, VALID, VALID, VALID]);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(res.body.error.code).toBe("SERVICE_UNAVAILABLE");
    expect(await h.count("events")).toBe(0);
    expect((await s.batch(acme, [VALID, VALID, VALID])).status).toBe(200);
  });
});

describe("the rejection hook", () => {
  function appWithHook(h: Harness, hook: RejectionHook) {
    const ingest = createIngestService({ store: h.store, clock: () => h.clock.now, customers: createCustomersService(h.store) });
    return new Elysia()
      .onError(({ error }) => (error instanceof AppError ? errorResponse(error) : undefined))
      .use(segmentRoutes({ apps: h.apps, ingest, clock: () => h.clock.now, logger: silentLogger, onRejected: hook }));
  }

  test("gets every rejection of a request, once, whether the reply is 200 or 400, and nothing for a clean batch", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const calls: [string, string, Rejection[]][] = [];
    const app = appWithHook(h, (appId, route, rejected) => calls.push([appId, route, rejected]));
    const post = (body: unknown) =>
      app.handle(new Request("http://localhost/v1/batch", { method: "POST", headers: basicAuth(acme.apiKey), body: JSON.stringify(body) }));

    const mixed = await post({ batch: [VALID, { type: "alias", userId: "u", previousId: "a" }] });
    expect(mixed.status).toBe(200);
    const mixedBody = (await mixed.json()) as { rejected: Rejection[] };
    const allRejected = await post({ batch: [{ type: "track", anonymousId: "a", event: "X" }] });
    expect(allRejected.status).toBe(400);
    expect((await post({ batch: [VALID] })).status).toBe(200);

    expect(calls).toEqual([
      [acme.appId, "batch", mixedBody.rejected],
      [acme.appId, "batch", [expect.objectContaining({ index: 0, code: "anonymous_only", field: "userId", message: expect.any(String) })]],
    ]);
  });

  test("each request with rejections is logged", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const lines: [string, Record<string, unknown> | undefined][] = [];
    const logger: Logger = { ...silentLogger, info: (message, fields) => lines.push([message, fields]) };
    const app = createHttpApp({ store: h.store, clock: () => h.clock.now, logger });
    await app.handle(
      new Request("http://localhost/v1/batch", { method: "POST", headers: basicAuth(acme.apiKey), body: JSON.stringify({ batch: [VALID, { type: "alias" }] }) }),
    );
    expect(lines.filter(([message]) => message !== "request")).toEqual([
      ["segment messages rejected", { appId: acme.appId, route: "batch", rejected: 1, first: { index: 1, code: "unsupported_type", message: expect.any(String) } }],
    ]);
  });
});
