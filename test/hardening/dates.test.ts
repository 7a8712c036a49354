// One strict date parser for the whole API: impossible dates refused with or without a time,
// years 0000-0099 not read as 1900-1999, one range (1970..9999) everywhere; billing dates checked
// before anything is written.
import { describe, expect, test } from "bun:test";
import { LATEST_DATE, parseDate } from "../../src/dates";
import { T0, setup } from "../helpers";
import { deliver, enableWebhook, stripeEvent, subscriptionObject } from "../support/stripe";
import { fingerprint } from "./support";

describe("parseDate", () => {
  test.each([
    ["2024-02-29", Date.UTC(2024, 1, 29)],
    ["2024-02-29T10:00:00Z", Date.UTC(2024, 1, 29, 10)],
    ["2024-02-29t10:00:00z", Date.UTC(2024, 1, 29, 10)],
    ["2023-04-30T12:00:00+02:00", Date.UTC(2023, 3, 30, 10)],
    ["2023-04-30T12:00+0230", Date.UTC(2023, 3, 30, 9, 30)],
    ["2023-04-30T12:00:00.123456789-01:00", Date.UTC(2023, 3, 30, 13, 0, 0, 123)],
    ["1970-01-01", 0],
    ["9999-12-31T23:59:59.999Z", LATEST_DATE],
    [1_700_000_000_000, 1_700_000_000_000],
    ["1700000000000", 1_700_000_000_000],
  ])("%p is %p", (value, ms) => {
    expect(parseDate(value, "d")).toEqual({ ok: true, ms });
  });

  test.each([
    ["2024-02-30T10:00:00Z", "not a valid date-time"],
    ["2023-04-31T12:00:00+02:00", "not a valid date-time"],
    ["2023-02-29", "not a calendar date"],
    ["2024-01-01T24:00:00Z", "not a valid date-time"],
    ["2024-01-01T23:60:00Z", "not a valid date-time"],
    ["2024-01-01T23:59:60Z", "not a valid date-time"],
    ["2024-01-01T10:00:00+24:00", "invalid offset"],
    ["0050-06-01", "between 1970-01-01 and 9999-12-31"],
    ["0099-12-31T10:00:00Z", "between 1970-01-01 and 9999-12-31"],
    ["1969-12-31T23:59:59Z", "between 1970-01-01 and 9999-12-31"],
    ["9999-12-31T23:59:59-01:00", "between 1970-01-01 and 9999-12-31"],
    ["99999999999999999999", "between 1970-01-01 and 9999-12-31"],
    [9e15, "between 1970-01-01 and 9999-12-31"],
    [-9e15, "between 1970-01-01 and 9999-12-31"],
    [Number.MAX_VALUE, "between 1970-01-01 and 9999-12-31"],
    ["2024-01-01T10:00:00", "no time zone offset"],
  ])("%p is refused: %s", (value, reason) => {
    const parsed = parseDate(value, "d");
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(reason);
  });
});

const subscription = (fields: Record<string, unknown> = {}) => ({
  subscriptionId: "sub_1",
  customerId: "cus_1",
  status: "active",
  currency: "usd",
  items: [{ unitAmount: 1000, interval: "month" }],
  ...fields,
});

describe("POST /v1/api/subscriptions: dates are checked before anything is written", () => {
  test.each([
    ["trialEnd", 99999999999999999999],
    ["canceledAt", 9e15],
    ["startedAt", -9e15],
    ["currentPeriodEnd", "10000-01-01"],
    ["endedAt", "0001-01-01T00:00:00Z"],
  ])("%s %p → 400 naming it; nothing stored; the profile still answers", async (field, value) => {
    const h = await setup();
    const acme = await h.tenant();
    const before = await fingerprint(h);
    const res = await h.post("/v1/api/subscriptions", acme, subscription({ [field]: value }));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: `/${field}` })]);
    expect(await fingerprint(h)).toBe(before);
    await h.post("/v1/api/subscriptions", acme, subscription());
    expect((await h.get("/v1/api/customers/cus_1", acme)).status).toBe(200);
    expect((await h.get("/v1/api/customers/cus_1/timeline", acme)).status).toBe(200);
  });

  test("a discount's end out of range → 400 naming /discounts/0/end", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.post("/v1/api/subscriptions", acme, subscription({ discounts: [{ percentOff: 10, end: 9e15 }] }));
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe("/discounts/0/end");
    expect(await h.count("customers")).toBe(0);
  });

  test("updatedAt more than an hour ahead → 400; it can't freeze the subscription", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const future = await h.post("/v1/api/subscriptions", acme, subscription({ updatedAt: T0 + 2 * 3_600_000 }));
    expect(future.status).toBe(400);
    expect(future.body.error.details).toEqual([{ path: "/updatedAt", message: "updatedAt is more than 1 hour in the future" }]);
    const old = await h.post("/v1/api/subscriptions", acme, subscription({ updatedAt: "1999-12-31" }));
    expect(old.body.error.details).toEqual([{ path: "/updatedAt", message: "updatedAt is before 2000-01-01" }]);
    // Within the hour is fine, and a later real change still applies.
    expect((await h.post("/v1/api/subscriptions", acme, subscription({ updatedAt: T0 + 30 * 60_000 }))).status).toBe(201);
    h.clock.now += 3 * 3_600_000;
    const later = await h.post("/v1/api/subscriptions", acme, subscription({ status: "canceled" }));
    expect(later.body).toMatchObject({ result: "applied", subscription: { status: "canceled" } });
  });
});

describe("query dates: out of range is a 400 naming the parameter", () => {
  const routes = [
    "/v1/api/metrics/events",
    "/v1/api/metrics/billing",
    "/v1/api/events",
    "/v1/api/export",
    "/v1/api/customers/cus_1/activity",
    "/v1/api/customers/cus_1/events",
    "/v1/api/customers/cus_1/timeline",
    "/v1/api/customers?event=A",
  ];
  const cases = routes.flatMap((route) =>
    [
      ["from", "99999999999999999999"],
      ["to", "9000000000000000"],
      ["from", "2024-02-30T10:00:00Z"],
      ["to", "0001-01-01"],
    ].map(([param, value]) => [route, param, value] as const),
  );
  test.each(cases)("%s %s=%s", async (route, param, value) => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, { customerId: "cus_1", event: "A" });
    const res = await h.get(`${route}${route.includes("?") ? "&" : "?"}${param}=${value}`, acme);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((detail: { path: string }) => detail.path)).toContain(`/${param}`);
  });
});

describe("Stripe webhooks: what is read is checked before it is applied", () => {
  test.each([
    ["trial_end", 9e15],
    ["canceled_at", -9e12],
    ["status", { not: "a string" }],
    ["discounts", { not: "a list" }],
  ])("a signed subscription with %s %p → 400 naming data.object; nothing stored; reads still answer", async (field, value) => {
    const h = await setup();
    const acme = await h.tenant();
    await enableWebhook(h, acme.appId);
    const object = { ...subscriptionObject({ id: "sub_1", customer: "cus_1", items: [{ id: "price_1", unitAmount: 1000 }] }), [field]: value };
    const before = await fingerprint(h);
    const res = await deliver(h, acme.appId, stripeEvent("customer.subscription.updated", object, { created: h.clock.now }));
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe("/data/object");
    expect(await fingerprint(h)).toBe(before);
    expect((await h.get("/v1/api/metrics/billing", acme)).status).toBe(200);
  });
});
