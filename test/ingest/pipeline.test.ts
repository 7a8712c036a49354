// The server event routes' steps (src/ingest/pipeline.ts), each on its own: what it adds to the
// request, and the code it refuses with.
import { describe, expect, test } from "bun:test";
import { createCustomersService } from "../../src/customers/service";
import type { AppRow } from "../../src/db/schema";
import { AppError } from "../../src/errors";
import { eventSteps, normalise, read, retention, runSteps, write, type EventsRequest, type Step } from "../../src/ingest/pipeline";
import { createIngestService } from "../../src/ingest/service";
import { setup, T0 } from "../helpers";

const DAY = 86_400_000;

function request(body: string, init: Partial<EventsRequest> = {}): EventsRequest {
  const app = { id: "app_x", retentionDays: null } as AppRow;
  return { request: new Request("http://localhost/", { method: "POST", body }), app, now: T0, mode: "single", ...init };
}

async function refusal(step: Step, ctx: EventsRequest): Promise<{ code: string; paths: string[] }> {
  try {
    await step.run(ctx);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { code: error.code, paths: (error.details ?? []).map((detail) => detail.path) };
  }
  throw new Error(`${step.name} did not refuse`);
}

describe("ingest pipeline steps", () => {
  test("the routes run read, normalise, retention, write in that order", () => {
    const { store } = setup();
    const ingest = createIngestService({ store, clock: () => T0, customers: createCustomersService(store) });
    expect(eventSteps(ingest).map((step) => step.name)).toEqual(["read", "normalise", "retention", "write"]);
  });

  test("read parses the body; broken JSON is INVALID_JSON", async () => {
    const ctx = request('{"event":"a"}');
    await read.run(ctx);
    expect(ctx.body).toEqual({ event: "a" });
    expect((await refusal(read, request("{nope"))).code).toBe("INVALID_JSON");
  });

  test("read refuses a single body over 64 KB with PAYLOAD_TOO_LARGE", async () => {
    const big = JSON.stringify({ event: "a", eventData: { pad: "x".repeat(70_000) } });
    expect((await refusal(read, request(big))).code).toBe("PAYLOAD_TOO_LARGE");
  });

  test("normalise turns a single body into one event, dated now when no date is given", () => {
    const ctx = request("", { body: { event: "signed_up", customerId: "c1" } });
    normalise.run(ctx);
    expect(ctx.events).toHaveLength(1);
    expect(ctx.events![0]).toMatchObject({ event: "signed_up", customerId: "c1", eventDate: T0, verified: true });
  });

  test("normalise names each bad event of a bulk body and keeps none", async () => {
    const ctx = request("", { mode: "bulk", body: [{ event: "ok", customerId: "c1" }, { customerId: "c1" }] });
    const { code, paths } = await refusal(normalise, ctx);
    expect(code).toBe("VALIDATION_FAILED");
    expect(paths).toEqual(["/1/event"]);
    expect(ctx.events).toBeUndefined();
  });

  test("normalise refuses a bulk body that is not an array", async () => {
    expect(await refusal(normalise, request("", { mode: "bulk", body: { event: "a" } }))).toEqual({ code: "VALIDATION_FAILED", paths: [""] });
  });

  test("retention refuses an event older than the app's horizon and passes a recent one", async () => {
    const app = { id: "app_x", retentionDays: 30 } as AppRow;
    const old = request("", { app, events: [{ event: "a", eventDate: T0 - 31 * DAY, eventData: null, verified: true }] });
    expect((await refusal(retention, old)).code).toBe("VALIDATION_FAILED");
    const recent = request("", { app, events: [{ event: "a", eventDate: T0 - DAY, eventData: null, verified: true }] });
    expect(() => retention.run(recent)).not.toThrow();
  });

  test("write stores the events and leaves their results; a repeated messageId is a duplicate", async () => {
    const { store, tenant, count } = setup();
    const app = { id: tenant().appId, retentionDays: null } as AppRow;
    const ingest = createIngestService({ store, clock: () => T0, customers: createCustomersService(store) });
    const events = [{ event: "a", customerId: "c1", eventDate: T0, eventData: null, verified: true, messageId: "m1" }];
    const first = await runSteps(request("", { app, events }), [write(ingest)]);
    const again = await runSteps(request("", { app, events }), [write(ingest)]);
    expect(first.results![0]!.duplicate).toBe(false);
    expect(again.results![0]).toEqual({ ...first.results![0]!, duplicate: true });
    expect(count("events")).toBe(1);
  });

  test("a refused step stops the pipeline: nothing after it runs", async () => {
    const ran: string[] = [];
    const spy = (name: "retention" | "write"): Step => ({ name, run: () => void ran.push(name) });
    await expect(runSteps(request("{nope"), [read, normalise, spy("retention"), spy("write")])).rejects.toBeInstanceOf(AppError);
    expect(ran).toEqual([]);
  });
});
