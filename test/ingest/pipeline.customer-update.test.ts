// The steps of POST /v1/api/events/customer-update (src/ingest/customer-update.ts), each on its
// own: the code and fields each refuses with, and that nothing runs after a refusal.
import { describe, expect, test } from "bun:test";
import { createCustomersService } from "../../src/customers/service";
import { customerRequest, customerUpdateSteps, read, validate, write } from "../../src/ingest/customer-update";
import { createIngestService } from "../../src/ingest/service";
import { MAX_NESTING } from "../../src/ingest/attributes";
import { setup, T0 } from "../helpers";
import { refusal, traceSteps } from "../support/steps";

async function harness() {
  const h = await setup();
  const app = (await h.apps.findApp((await h.tenant()).appId))!;
  const ingest = createIngestService({ store: h.store, clock: () => T0, customers: createCustomersService(h.store) });
  const request = (body: string) => customerRequest(new Request("http://localhost/", { method: "POST", body }), app);
  return { ...h, app, ingest, request, steps: customerUpdateSteps(ingest) };
}

const nested = (levels: number): unknown => (levels === 0 ? 1 : { a: nested(levels - 1) });

describe("the customer-update route's steps", () => {
  test("are read, validate, write, in that order (authentication runs before, as a plugin)", async () => {
    expect((await harness()).steps.map((step) => step.name)).toEqual(["read", "validate", "write"]);
  });

  test("read refuses broken JSON (INVALID_JSON) and a body over 64 KB (PAYLOAD_TOO_LARGE)", async () => {
    const { request } = await harness();
    expect(await refusal(read, request("{nope"))).toEqual({ code: "INVALID_JSON", paths: [] });
    const big = JSON.stringify({ customerId: "c1", customerData: { pad: "x".repeat(70_000) } });
    expect((await refusal(read, request(big))).code).toBe("PAYLOAD_TOO_LARGE");
  });

  test.each([
    ["no one to update and nothing to update", {}, ["/customerId", "/customerData"]],
    ["nothing to update", { customerId: "c1" }, ["/customerData"]],
    ["no one to update", { customerData: { plan: "pro" } }, ["/customerId"]],
    ["a field of the wrong type", { customerId: 7, customerData: {} }, ["/customerId"]],
    ["an unknown field", { customerId: "c1", customerData: {}, plan: "pro" }, ["/plan"]],
    ["attributes nested too deep", { customerId: "c1", customerData: nested(MAX_NESTING + 1) }, ["/customerData"]],
    ["user.data nested too deep", { uid: "u1", user: { uid: "u1", data: nested(MAX_NESTING + 1) } }, ["/user/data"]],
  ])("validate refuses %s with VALIDATION_FAILED naming the fields", async (_, body, paths) => {
    const ctx = { ...(await harness()).request(""), body };
    expect(await refusal(validate, ctx)).toEqual({ code: "VALIDATION_FAILED", paths });
    expect(ctx.input).toBeUndefined();
  });

  test("validate passes a customerId with customerEmail alone", async () => {
    const ctx = { ...(await harness()).request(""), body: { customerId: "c1", customerEmail: "a@b.co" } };
    validate.run(ctx);
    expect(ctx.input).toEqual({ customerId: "c1", customerEmail: "a@b.co" });
  });

  test("write applies the update and leaves the committed customer", async () => {
    const { ingest, request, count } = await harness();
    const ctx = { ...request(""), input: { customerId: "c1", customerData: { plan: "pro" } } };
    await write(ingest).run(ctx);
    expect(ctx.customer).toMatchObject({ customerId: "c1", data: { plan: "pro" } });
    expect(ctx.warnings).toEqual([]);
    expect(await count("customers")).toBe(1);
  });

  test("a request that passes every step updates the customer", async () => {
    const { request, steps, count } = await harness();
    expect(await traceSteps(request('{"customerId":"c1","customerData":{"seats":3}}'), steps)).toEqual({ ran: ["read", "validate", "write"] });
    expect(await count("customers")).toBe(1);
  });

  test.each([
    ["broken JSON", "{nope", "INVALID_JSON", ["read"]],
    ["nothing to update", '{"customerId":"c1"}', "VALIDATION_FAILED", ["read", "validate"]],
  ])("%s stops the steps where it is refused: no write runs, no customer is made", async (_, body, code, ran) => {
    const { request, steps, count } = await harness();
    const ctx = request(body);
    const trace = await traceSteps(ctx, steps);
    expect(trace).toEqual({ ran, refused: expect.objectContaining({ code }) });
    expect(ctx.customer).toBeUndefined();
    expect(await count("customers")).toBe(0);
  });
});
