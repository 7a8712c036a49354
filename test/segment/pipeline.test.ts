// The Segment routes' steps (src/segment/pipeline.ts), each on its own: what it adds to the
// request, the code and fields it refuses with (or, per message, the rejection it records);
// run in order, nothing after a refusal runs.
import { describe, expect, test } from "bun:test";
import { createCustomersService } from "../../src/customers/service";
import { createIngestService } from "../../src/ingest/service";
import type { Rejection, Route } from "../../src/segment/model";
import {
  authenticate,
  messages,
  normalise,
  read,
  report,
  segmentRequest,
  segmentSteps,
  verdict,
  write,
  writeKey,
  type SegmentRequest,
  type SegmentResult,
} from "../../src/segment/pipeline";
import { setup, T0 } from "../helpers";
import { refusal, traceSteps } from "../support/steps";
import { basicAuth } from "./support";

const ALL = ["authenticate", "read", "write-key", "messages", "normalise", "write", "report", "verdict"];
const TRACK = { type: "track", userId: "u_1", event: "Report Exported" };

async function harness() {
  const h = await setup();
  const tenant = await h.tenant();
  const app = (await h.apps.findApp(tenant.appId))!;
  const ingest = createIngestService({ store: h.store, clock: () => T0, customers: createCustomersService(h.store) });
  const hooked: [string, Route, Rejection[], number][] = [];
  const steps = segmentSteps({ apps: h.apps, ingest, onRejected: (...call) => void hooked.push(call) });
  /** A request to /v1/`route`; `init` sets what earlier steps would have. */
  const request = (route: Route, body: unknown, headers: Record<string, string> = basicAuth(tenant.apiKey), init: Partial<SegmentRequest> = {}) => {
    const sent = new Request(`http://localhost/v1/${route}`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
    return { ...segmentRequest(sent, route, T0), ...init };
  };
  /** The request after the steps up to `messages`, as the route would have it. */
  const received = async (route: Route, body: unknown) => {
    const ctx = request(route, body);
    for (const step of steps.slice(0, ALL.indexOf("messages") + 1)) await step.run(ctx);
    return ctx;
  };
  const stored = () => h.sql.all("select event, source from events order by seq");
  return { ...h, tenant, app, ingest, steps, hooked, request, received, stored };
}

const result = (accepted: number, rejected: Partial<Rejection>[]): SegmentResult => ({ accepted, duplicates: 0, rejected: rejected as Rejection[], warnings: [] });

describe("the Segment routes' steps", () => {
  test(`are ${ALL.join(", ")}, in that order`, async () => {
    expect((await harness()).steps.map((step) => step.name)).toEqual(ALL);
  });

  test("authenticate finds the app of the Authorization header's write key, and lets a request without one through to the body", async () => {
    const { request, apps, app } = await harness();
    const ctx = request("track", TRACK);
    await authenticate(apps).run(ctx);
    expect(ctx.app).toEqual(app);
    const bare = request("track", TRACK, {});
    await authenticate(apps).run(bare);
    expect([bare.headerKey, bare.app]).toEqual([undefined, undefined]);
  });

  test.each([
    ["an Authorization header that is not Basic", () => ({ authorization: "Bearer abc" }), "UNAUTHORIZED"],
    ["a Basic header with no key", () => basicAuth(""), "UNAUTHORIZED"],
    ["an unknown write key", () => basicAuth("ck_nope"), "UNAUTHORIZED"],
    ["a write key without the ingest scope", async (h: Awaited<ReturnType<typeof harness>>) => basicAuth((await h.apps.createKey(h.tenant.appId, ["read"]))!.apiKey), "FORBIDDEN"],
  ])("authenticate refuses %s", async (_, headers, code) => {
    const h = await harness();
    expect(await refusal(authenticate(h.apps), h.request("track", TRACK, await headers(h)))).toEqual({ code, paths: [] });
  });

  test("read refuses a message over 32 KB (PAYLOAD_TOO_LARGE), an unknown encoding (VALIDATION_FAILED) and broken JSON (INVALID_JSON)", async () => {
    const { request, tenant } = await harness();
    const big = { ...TRACK, properties: { pad: "x".repeat(33_000) } };
    expect((await refusal(read, request("track", big))).code).toBe("PAYLOAD_TOO_LARGE");
    expect((await refusal(read, request("track", TRACK, { ...basicAuth(tenant.apiKey), "content-encoding": "br" }))).code).toBe("VALIDATION_FAILED");
    expect((await refusal(read, request("track", "{nope"))).code).toBe("INVALID_JSON");
    const batch = request("batch", { batch: [big] });
    await read.run(batch);
    expect(batch.body).toEqual({ batch: [big] });
  });

  test("write-key takes the body's writeKey when the header had none", async () => {
    const { request, apps, tenant, app } = await harness();
    const ctx = request("track", "", {}, { body: { ...TRACK, writeKey: tenant.apiKey } });
    await writeKey(apps).run(ctx);
    expect(ctx.app).toEqual(app);
  });

  test.each([
    ["no write key anywhere", false, undefined],
    ["a body key other than the header's", true, "ck_other"],
    ["a body key that is not a string", false, 7],
    ["an unknown body key", false, "ck_nope"],
  ])("write-key refuses %s with UNAUTHORIZED", async (_, keyInHeader, bodyKey) => {
    const { request, apps, tenant, app } = await harness();
    const init = keyInHeader ? { headerKey: tenant.apiKey, app } : {};
    const ctx = request("track", "", {}, { ...init, body: { ...TRACK, ...(bodyKey === undefined ? {} : { writeKey: bodyKey }) } });
    expect(await refusal(writeKey(apps), ctx)).toEqual({ code: "UNAUTHORIZED", paths: [] });
  });

  test("messages takes one message on /v1/track, and a batch's messages with its sentAt and context", async () => {
    const { request, app } = await harness();
    const one = request("track", "", {}, { app, body: TRACK });
    messages.run(one);
    expect([one.items, one.envelope, one.prefix!(0)]).toEqual([[TRACK], { receivedAt: T0, horizon: null }, ""]);
    const sentAt = new Date(T0 - 1000).toISOString();
    const batch = request("batch", "", {}, { app, body: { batch: [TRACK, TRACK], sentAt, context: { ip: "1.2.3.4" } } });
    messages.run(batch);
    expect([batch.items?.length, batch.envelope, batch.prefix!(1)]).toEqual([2, { receivedAt: T0, horizon: null, sentAt: T0 - 1000, context: { ip: "1.2.3.4" } }, "/batch/1"]);
  });

  test.each([
    ["a body that is an array", "track", [TRACK], [""]],
    ["a batch without messages", "batch", { batch: [] }, ["/batch"]],
    ["a batch with no batch", "batch", { sentAt: "2026-01-15T12:00:00Z" }, ["/batch"]],
    ["a batch's unreadable sentAt", "batch", { batch: [TRACK], sentAt: "noon" }, ["/sentAt"]],
  ] as [string, Route, unknown, string[]][])("messages refuses %s with VALIDATION_FAILED naming the field", async (_, route, body, paths) => {
    const { request, app } = await harness();
    expect(await refusal(messages, request(route, "", {}, { app, body }))).toEqual({ code: "VALIDATION_FAILED", paths });
  });

  test("normalise sets each bad message aside with its code, field and path, and refuses nothing", async () => {
    const { received } = await harness();
    const ctx = await received("batch", { batch: [TRACK, { type: "alias", userId: "u_1" }, { type: "track", userId: "u_1" }, { type: "track", anonymousId: "a", event: "X" }] });
    normalise.run(ctx);
    expect(ctx.valid!.map(({ index }) => index)).toEqual([0]);
    expect(ctx.rejected!.map(({ index, code, field, path }) => ({ index, code, field, path }))).toEqual([
      { index: 1, code: "unsupported_type", field: "type", path: "/batch/1/type" },
      { index: 2, code: "invalid", field: "event", path: "/batch/2/event" },
      { index: 3, code: "anonymous_only", field: "userId", path: "/batch/3/userId" },
    ]);
  });

  test("normalise rejects a message naming another type than its route", async () => {
    const { received } = await harness();
    const ctx = await received("track", { ...TRACK, type: "identify" });
    normalise.run(ctx);
    expect(ctx.rejected!.map(({ code, path }) => [code, path])).toEqual([["invalid", "/type"]]);
  });

  test("write stores the valid messages and counts them accepted beside the rejected ones", async () => {
    const { received, ingest, stored } = await harness();
    const ctx = await received("batch", { batch: [TRACK, { type: "alias" }] });
    normalise.run(ctx);
    await write(ingest).run(ctx);
    expect(ctx.result).toMatchObject({ accepted: 1, duplicates: 0, rejected: [{ index: 1, code: "unsupported_type" }] });
    expect(await stored()).toEqual([{ event: "Report Exported", source: "segment" }]);
  });

  test("report tells the hook of the rejected messages, and says nothing of a clean request", async () => {
    const { request, app } = await harness();
    const calls: unknown[] = [];
    const step = report({ onRejected: (...call) => void calls.push(call) });
    step.run(request("batch", "", {}, { app, result: result(2, []) }));
    expect(calls).toEqual([]);
    step.run(request("batch", "", {}, { app, result: result(2, [{ index: 1, code: "invalid" }]) }));
    expect(calls).toEqual([[app.id, "batch", [{ index: 1, code: "invalid" }], 2]]);
  });

  test("verdict refuses a request with nothing stored with VALIDATION_FAILED, each message's code and field in the details", async () => {
    const { request } = await harness();
    const rejected = [{ index: 0, code: "invalid", field: "event", path: "/batch/0/event", message: "event is required" }] as const;
    const ctx = request("batch", "", {}, { result: result(0, [...rejected]) });
    expect(() => verdict.run(ctx)).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED", details: [...rejected] }));
  });

  test("verdict passes a partly rejected request (a 200 that lists the rejections) and a clean one", async () => {
    const { request } = await harness();
    expect(() => verdict.run(request("batch", "", {}, { result: result(1, [{ index: 1, code: "invalid" }]) }))).not.toThrow();
    expect(() => verdict.run(request("batch", "", {}, { result: result(1, []) }))).not.toThrow();
  });

  test("a partly valid batch passes every step: the valid message stored, the other reported", async () => {
    const { request, steps, hooked, stored, app } = await harness();
    const ctx = request("batch", { batch: [TRACK, { type: "alias" }] });
    expect(await traceSteps(ctx, steps)).toEqual({ ran: ALL });
    expect(await stored()).toHaveLength(1);
    expect(hooked.map(([appId, route, rejected, accepted]) => [appId, route, rejected.length, accepted])).toEqual([[app.id, "batch", 1, 1]]);
  });

  test("a wrong key in the header is refused before the body is read", async () => {
    const { request, steps } = await harness();
    const ctx = request("batch", { batch: [TRACK] }, basicAuth("ck_nope"));
    expect(await traceSteps(ctx, steps)).toEqual({ ran: ["authenticate"], refused: { code: "UNAUTHORIZED", paths: [] } });
    expect(ctx.request.bodyUsed).toBe(false);
  });

  test.each([
    ["a bad envelope", { batch: "nope" }, "messages"],
    ["a batch of rejected messages", { batch: [{ type: "alias" }, { type: "track" }] }, "verdict"],
  ])("%s stops the steps where it is refused; nothing is stored", async (_, body, last) => {
    const { request, steps, hooked, stored } = await harness();
    const trace = await traceSteps(request("batch", body), steps);
    expect(trace.ran).toEqual(ALL.slice(0, ALL.indexOf(last) + 1));
    expect(trace.refused?.code).toBe("VALIDATION_FAILED");
    expect(await stored()).toEqual([]);
    // Rejected messages are reported even when the request is refused; a bad envelope has none.
    expect(hooked.length).toBe(last === "verdict" ? 1 : 0);
  });
});
