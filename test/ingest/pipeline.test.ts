// The server event routes' steps (src/ingest/pipeline.ts) and the runner every write route uses
// (src/ingest/steps.ts), each on its own: what a step adds to the request, and the code and
// fields it refuses with; run in order, nothing after a refusal runs and nothing is stored.
import { describe, expect, test } from "bun:test";
import { createCustomersService } from "../../src/customers/service";
import type { AppRow } from "../../src/db/schema";
import { AppError } from "../../src/errors";
import { eventSteps, eventsRequest, normalise, read, retention, write, type EventsRequest } from "../../src/ingest/pipeline";
import { createIngestService } from "../../src/ingest/service";
import { runSteps, type Step } from "../../src/ingest/steps";
import { setup, T0 } from "../helpers";
import { refusal, traceSteps } from "../support/steps";

const DAY = 86_400_000;
const APP = { id: "app_x", retentionDays: null } as AppRow;

function request(body: string, init: Partial<EventsRequest> = {}): EventsRequest {
  return { ...eventsRequest(new Request("http://localhost/", { method: "POST", body }), APP, T0, false), ...init };
}

/** A real app, ingest service and database, and the real steps. */
async function harness() {
  const h = await setup();
  const app = (await h.apps.findApp((await h.tenant()).appId))!;
  const ingest = createIngestService({ store: h.store, clock: () => T0, customers: createCustomersService(h.store) });
  return { ...h, app, ingest, steps: eventSteps(ingest) };
}

const event = (date = T0) => ({ event: "a", customerId: "c1", eventDate: date, eventData: null, verified: true });

describe("runSteps", () => {
  test("runs the steps in order, awaiting the asynchronous ones, and returns the context", async () => {
    const order: string[] = [];
    const later: Step<string[]> = { name: "later", run: async (ctx) => void (await Bun.sleep(1), ctx.push("later")) };
    const now: Step<string[]> = { name: "now", run: (ctx) => void ctx.push("now") };
    expect(await runSteps(order, [later, now, later])).toEqual(["later", "now", "later"]);
  });

  test("the first step to throw ends the run: its error is the run's, and no later step runs", async () => {
    const ran: string[] = [];
    const pass = (name: string): Step<null> => ({ name, run: () => void ran.push(name) });
    const refuse: Step<null> = { name: "refuse", run: async () => Promise.reject(new AppError("FORBIDDEN", "no")) };
    const error = await runSteps(null, [pass("a"), refuse, pass("b")]).catch((e) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe("FORBIDDEN");
    expect(ran).toEqual(["a"]);
  });
});

describe("the server event routes' steps", () => {
  test("are read, normalise, retention, write, in that order (authentication runs before, as a plugin)", async () => {
    expect((await harness()).steps.map((step) => step.name)).toEqual(["read", "normalise", "retention", "write"]);
  });

  test("read parses the body; broken JSON is INVALID_JSON", async () => {
    const ctx = request('{"event":"a"}');
    await read.run(ctx);
    expect(ctx.body).toEqual({ event: "a" });
    expect(await refusal(read, request("{nope"))).toEqual({ code: "INVALID_JSON", paths: [] });
  });

  test("read refuses a single body over 64 KB with PAYLOAD_TOO_LARGE, and takes it in a bulk body", async () => {
    const big = JSON.stringify([{ event: "a", eventData: { pad: "x".repeat(70_000) } }]);
    expect((await refusal(read, request(big))).code).toBe("PAYLOAD_TOO_LARGE");
    const bulk = request(big, { batch: true });
    await read.run(bulk);
    expect(bulk.body).toHaveLength(1);
  });

  test("normalise turns a single body into one event, dated now when no date is given", async () => {
    const ctx = request("", { body: { event: "signed_up", customerId: "c1" } });
    normalise.run(ctx);
    expect(ctx.events).toEqual([{ event: "signed_up", customerId: "c1", eventDate: T0, eventData: null, verified: true } as never]);
  });

  test.each([
    ["a single event with no one to record it for", false, { event: "a" }, ["/customerId"]],
    ["a single event's bad date", false, { event: "a", customerId: "c1", eventDate: "yesterday" }, ["/eventDate"]],
    ["each bad event of a bulk body", true, [{ event: "ok", customerId: "c1" }, { customerId: "c1" }, { event: "b" }], ["/1/event", "/2/customerId"]],
    ["an attribute update in a bulk body", true, [{ event: "a", customerId: "c1", customerData: { plan: "pro" } }], ["/0/customerData"]],
    ["a bulk body that is not an array", true, { event: "a" }, [""]],
    ["an empty bulk body", true, [], [""]],
  ])("normalise refuses %s with VALIDATION_FAILED naming the field, and keeps no event", async (_, batch, body, paths) => {
    const ctx = request("", { batch, body });
    expect(await refusal(normalise, ctx)).toEqual({ code: "VALIDATION_FAILED", paths });
    expect(ctx.events).toBeUndefined();
  });

  test("retention refuses events older than the app's horizon, naming each (by index in a bulk body)", async () => {
    const app = { ...APP, retentionDays: 30 };
    expect(await refusal(retention, request("", { app, events: [event(T0 - 31 * DAY)] }))).toEqual({ code: "VALIDATION_FAILED", paths: ["/eventDate"] });
    const bulk = request("", { app, batch: true, events: [event(T0 - DAY), event(T0 - 31 * DAY)] });
    expect(await refusal(retention, bulk)).toEqual({ code: "VALIDATION_FAILED", paths: ["/1/eventDate"] });
  });

  test("retention passes recent events, and any date when the app keeps events forever", async () => {
    expect(() => retention.run(request("", { app: { ...APP, retentionDays: 30 }, events: [event(T0 - DAY)] }))).not.toThrow();
    expect(() => retention.run(request("", { events: [event(Date.UTC(2001, 0, 1))] }))).not.toThrow();
  });

  test("write stores the events with the request's source and leaves their results; a repeated messageId is a duplicate", async () => {
    const { app, ingest, sql } = await harness();
    const events = [{ ...event(), messageId: "m1" }];
    const first = await runSteps(request("", { app, events, batch: true, source: "bulk" }), [write(ingest)]);
    const again = await runSteps(request("", { app, events, batch: true, source: "bulk" }), [write(ingest)]);
    expect(first.results![0]!.duplicate).toBe(false);
    expect(again.results![0]).toEqual({ ...first.results![0]!, duplicate: true });
    expect(await sql.all("select source from events")).toEqual([{ source: "bulk" }]);
  });

  test("a request that passes every step is stored", async () => {
    const { app, steps, count } = await harness();
    const ctx = eventsRequest(new Request("http://localhost/", { method: "POST", body: '{"event":"a","customerId":"c1"}' }), app, T0, false);
    expect(await traceSteps(ctx, steps)).toEqual({ ran: ["read", "normalise", "retention", "write"] });
    expect(ctx.results).toHaveLength(1);
    expect(await count("events")).toBe(1);
  });

  test.each([
    ["broken JSON", false, "{nope", "INVALID_JSON", ["read"]],
    ["a bulk body with one bad event", true, '[{"event":"a","customerId":"c1"},{"customerId":"c1"}]', "VALIDATION_FAILED", ["read", "normalise"]],
    ["an event before the horizon", false, `{"event":"a","customerId":"c1","eventDate":${T0 - 31 * DAY}}`, "VALIDATION_FAILED", ["read", "normalise", "retention"]],
  ])("%s stops the steps where it is refused: nothing after runs, nothing is stored", async (_, batch, body, code, ran) => {
    const { app, steps, count } = await harness();
    const ctx = eventsRequest(new Request("http://localhost/", { method: "POST", body }), { ...app, retentionDays: 30 }, T0, batch);
    const trace = await traceSteps(ctx, steps);
    expect(trace.ran).toEqual(ran);
    expect(trace.refused?.code).toBe(code);
    expect(ctx.results).toBeUndefined();
    expect(await count("events")).toBe(0);
  });
});
