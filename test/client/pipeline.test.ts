// The browser route's steps (src/client/pipeline.ts), each on its own: what it adds to the
// request, the code and fields it refuses with; run in order, nothing after a refusal runs.
import { describe, expect, test } from "bun:test";
import { app as appStep, clientRequest, clientSteps, items, normalise, origin, rateApp, rateIp, read, signature, type ClientRequest } from "../../src/client/pipeline";
import { createCustomersService } from "../../src/customers/service";
import type { AppRow } from "../../src/db/schema";
import { RateLimiter } from "../../src/http/rate-limit";
import { createIngestService, retention, writeEvents } from "../../src/ingest/service";
import { setup, T0 } from "../helpers";
import { refusal, traceSteps } from "../support/steps";
import { CLIENT, PAGE_ORIGIN, sign, storedEvents } from "./support";

const DAY = 86_400_000;
const ALL = ["rate-ip", "read", "items", "app", "origin", "rate-app", "normalise", "signature", "retention", "write"];

async function harness(limits = { rate: 100, burst: 100 }) {
  const h = await setup();
  const tenant = await h.tenant();
  const app = (await h.apps.findApp(tenant.appId))!;
  const ingest = createIngestService({ store: h.store, clock: () => T0, customers: createCustomersService(h.store) });
  const perIp = new RateLimiter(limits, () => T0);
  const perApp = new RateLimiter(limits, () => T0);
  const steps = clientSteps({ apps: h.apps, ingest, perIp, perApp, trustProxy: true });
  /** A request as a browser sends it; `init` sets what earlier steps would have. */
  const request = (body: unknown, init: Partial<ClientRequest> = {}, headers: Record<string, string> = {}) => {
    const sent = new Request(`http://localhost${CLIENT}`, { method: "POST", headers: { origin: PAGE_ORIGIN, ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
    return { ...clientRequest(sent, null, T0), ...init };
  };
  return { h, apps: h.apps, tenant, app, ingest, steps, request };
}

const event = (fields: Record<string, unknown> = {}) => ({ event: "Clicked", eventDate: T0, eventData: null, verified: false, ...fields });

describe("the browser route's steps", () => {
  test(`are ${ALL.join(", ")}, in that order`, async () => {
    expect((await harness()).steps.map((step) => step.name)).toEqual(ALL);
  });

  test("rate-ip refuses a client IP past its burst with RATE_LIMITED and Retry-After; another IP still passes", async () => {
    const { request } = await harness();
    const step = rateIp(new RateLimiter({ rate: 1, burst: 1 }, () => T0), true);
    const from = (ip: string) => request("", {}, { "x-forwarded-for": ip });
    await step.run(from("10.0.0.1"));
    expect(() => step.run(from("10.0.0.1"))).toThrow(expect.objectContaining({ code: "RATE_LIMITED", headers: { "retry-after": "1" } }));
    expect(() => step.run(from("10.0.0.2"))).not.toThrow();
  });

  test("read refuses broken JSON (INVALID_JSON) and a body over 64 KB (PAYLOAD_TOO_LARGE)", async () => {
    const { request } = await harness();
    expect((await refusal(read, request("{nope"))).code).toBe("INVALID_JSON");
    expect((await refusal(read, request({ event: "a", eventData: { pad: "x".repeat(70_000) } }))).code).toBe("PAYLOAD_TOO_LARGE");
  });

  test("items takes one event object, or an array of them as a batch", async () => {
    const { request } = await harness();
    const one = request("", { body: { event: "a" } });
    items.run(one);
    expect([one.items, one.batch]).toEqual([[{ event: "a" }], false]);
    const many = request("", { body: [{ event: "a" }, { event: "b" }] });
    items.run(many);
    expect([many.items, many.batch]).toEqual([[{ event: "a" }, { event: "b" }], true]);
  });

  test.each([
    ["an empty array", []],
    ["an array of 101 events", Array.from({ length: 101 }, () => ({ event: "a" }))],
  ])("items refuses %s with VALIDATION_FAILED on the body", async (_, body) => {
    expect(await refusal(items, (await harness()).request("", { body }))).toEqual({ code: "VALIDATION_FAILED", paths: [""] });
  });

  test("app finds the app named by the events' appId, or by x-ck-app", async () => {
    const { request, apps, app, tenant } = await harness();
    const named = request("", { items: [{ appId: tenant.appId }] });
    await appStep(apps).run(named);
    expect(named.app).toEqual(app);
    const byHeader = request("", { items: [{}] }, { "x-ck-app": tenant.appId });
    await appStep(apps).run(byHeader);
    expect(byHeader.app?.id).toBe(tenant.appId);
  });

  test.each([
    ["no appId anywhere", [{}], {}, "UNAUTHORIZED", []],
    ["an unknown appId", [{ appId: "app_nope" }], {}, "UNAUTHORIZED", []],
    ["events of two apps", [{ appId: "APP" }, { appId: "app_other" }], {}, "VALIDATION_FAILED", ["/1/appId"]],
    ["an event naming another app than the header", [{ appId: "app_other" }], { "x-ck-app": "APP" }, "VALIDATION_FAILED", ["/0/appId"]],
  ])("app refuses %s", async (_, named, headers, code, paths) => {
    const { request, apps, tenant } = await harness();
    const swap = <T,>(value: T): T => JSON.parse(JSON.stringify(value).replaceAll('"APP"', JSON.stringify(tenant.appId)));
    const ctx = request("", { items: swap(named) }, swap(headers));
    expect(await refusal(appStep(apps), ctx)).toEqual({ code, paths });
  });

  test("origin refuses a page the app does not allow with FORBIDDEN, and passes requests with no Origin", async () => {
    const { request, app } = await harness();
    const strict = { ...app, allowedOrigins: "https://elsewhere.test" };
    expect(await refusal(origin, request("", { app: strict }))).toEqual({ code: "FORBIDDEN", paths: [] });
    const curl = { ...request("", { app: strict }), origin: null };
    expect(() => origin.run(curl)).not.toThrow();
    expect(() => origin.run(request("", { app: { ...app, allowedOrigins: PAGE_ORIGIN } }))).not.toThrow();
  });

  test("rate-app refuses an app past its burst with RATE_LIMITED", async () => {
    const { request, app } = await harness();
    const step = rateApp(new RateLimiter({ rate: 1, burst: 1 }, () => T0));
    await step.run(request("", { app }));
    expect(await refusal(step, request("", { app }))).toEqual({ code: "RATE_LIMITED", paths: [] });
  });

  test("normalise keeps each event's authHash aside and leaves the events unverified", async () => {
    const { request } = await harness();
    const ctx = request("", { batch: true, items: [{ event: "a", customerId: "c1", authHash: "ab".repeat(32) }, { event: "b", customerEmail: "a@b.co" }] });
    normalise.run(ctx);
    expect(ctx.events!.map(({ event, verified }) => [event, verified])).toEqual([["a", false], ["b", false]]);
    expect(ctx.authHashes).toEqual(["ab".repeat(32), undefined]);
  });

  test.each([
    ["an attribute update", false, [{ event: "a", customerId: "c1", customerData: { plan: "pro" } }], ["/customerData"]],
    ["an event with no one to record it for", false, [{ event: "a" }], ["/customerId"]],
    ["each bad event of a batch", true, [{ event: "a", customerId: "c1" }, { event: "b" }, { customerId: "c1" }], ["/1/customerId", "/2/event"]],
  ])("normalise refuses %s with VALIDATION_FAILED naming the field", async (_, batch, items, paths) => {
    const ctx = (await harness()).request("", { batch, items });
    expect(await refusal(normalise, ctx)).toEqual({ code: "VALIDATION_FAILED", paths });
    expect(ctx.events).toBeUndefined();
  });

  test("signature marks an event verified when its authHash matches, and leaves an unsigned one unverified", async () => {
    const { request, app, tenant } = await harness();
    const ctx = request("", { app, events: [event({ customerId: "c1" }), event({ customerEmail: "a@b.co" })], authHashes: [sign(tenant, "c1"), undefined] });
    signature.run(ctx);
    expect(ctx.events!.map((e) => e.verified)).toEqual([true, false]);
  });

  test.each([
    ["a forged authHash", false, [event({ customerId: "c1" })], ["00".repeat(32)], {}, ["/authHash"]],
    ["a batch's forged authHash, by index", true, [event({ customerId: "c1" }), event({ customerId: "c2" })], ["SIGN:c1", "SIGN:c1"], {}, ["/1/authHash"]],
    ["an unsigned event where the app requires signed ones", false, [event({ customerId: "c1" })], [undefined], { requireVerified: true }, ["/authHash"]],
  ])("signature refuses %s with UNAUTHORIZED naming it", async (_, batch, events, hashes, settings, paths) => {
    const { request, app, tenant } = await harness();
    const authHashes = hashes.map((hash) => (hash?.startsWith("SIGN:") ? sign(tenant, hash.slice(5)) : hash));
    const ctx = request("", { app: { ...app, ...settings } as AppRow, batch, events, authHashes });
    expect(await refusal(signature, ctx)).toEqual({ code: "UNAUTHORIZED", paths });
  });

  test("retention (the server routes' step) refuses an event before the app's horizon", async () => {
    const { request, app } = await harness();
    const ctx = request("", { app: { ...app, retentionDays: 30 }, events: [event({ customerId: "c1", eventDate: T0 - 31 * DAY })] });
    expect(await refusal(retention, ctx)).toEqual({ code: "VALIDATION_FAILED", paths: ["/eventDate"] });
  });

  test("write (the server routes' step) stores the events as the browser's", async () => {
    const { request, app, ingest, h } = await harness();
    const ctx = request("", { app, events: [event({ customerId: "c1", verified: true })] });
    await writeEvents(ingest).run(ctx);
    expect(ctx.results).toHaveLength(1);
    expect(await storedEvents(h)).toEqual([{ event: "Clicked", source: "client", verified: 1, messageId: null }]);
  });

  test("a signed event from an allowed page passes every step and is stored verified", async () => {
    const { request, tenant, steps, h } = await harness();
    const ctx = request({ appId: tenant.appId, event: "Clicked", customerId: "c1", authHash: sign(tenant, "c1") });
    expect(await traceSteps(ctx, steps)).toEqual({ ran: ALL });
    expect(await storedEvents(h)).toEqual([{ event: "Clicked", source: "client", verified: 1, messageId: null }]);
  });

  test("a request refused by the per-IP limit is refused before its body is read", async () => {
    const { request, steps } = await harness({ rate: 1, burst: 1 });
    await traceSteps(request({ event: "a" }), steps);
    const ctx = request({ event: "a" });
    expect(await traceSteps(ctx, steps)).toEqual({ ran: ["rate-ip"], refused: { code: "RATE_LIMITED", paths: [] } });
    expect(ctx.request.bodyUsed).toBe(false);
  });

  test.each([
    ["no appId", { event: "a", customerId: "c1" }, "UNAUTHORIZED", "app"],
    ["an attribute update", { event: "a", customerId: "c1", customerData: {} }, "VALIDATION_FAILED", "normalise"],
    ["a forged authHash", { event: "a", customerId: "c1", authHash: "00".repeat(32) }, "UNAUTHORIZED", "signature"],
  ])("%s stops the steps where it is refused: nothing after runs, nothing is stored", async (_, body, code, last) => {
    const { request, tenant, steps, h } = await harness();
    const ctx = request({ ...(last === "app" ? {} : { appId: tenant.appId }), ...body });
    const trace = await traceSteps(ctx, steps);
    expect(trace.ran).toEqual(ALL.slice(0, ALL.indexOf(last) + 1));
    expect(trace.refused?.code).toBe(code);
    expect(await storedEvents(h)).toEqual([]);
  });
});
