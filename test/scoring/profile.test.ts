// GET /v1/api/customers/:id carries `health`, computed live from the counts, the customer's
// subscription and payments, and the app's weights.
import { describe, expect, test } from "bun:test";
import { T0, setup, type Harness, type Tenant } from "../helpers";
import { createHealthPass } from "../../src/scoring/pass";
import { addPayment, addSubscription } from "./support";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * cus_team: a B2B trial ending in 2 days, 3 users of whom 2 were seen in the last 30 days, 2
 * events in each 14-day window, 3 distinct events in 30 days. cus_solo: one event, so the app's
 * median breadth is 1 (the lower median of 1 and 3).
 */
async function fixture(h: Harness, tenant: Tenant) {
  const events: [string, string, number][] = [
    ["m_3", "Report Created", 40 * DAY],
    ["m_1", "Report Created", 20 * DAY],
    ["m_2", "Report Created", 20 * DAY],
    ["m_1", "Dashboard Viewed", 2 * DAY],
    ["m_1", "Report Exported", HOUR],
  ];
  for (const [user, event, ago] of events) {
    const res = await h.post("/v1/api/events/new", tenant, { event, customerId: "cus_team", user: { uid: user }, eventDate: iso(T0 - ago) });
    expect(res.status).toBe(201);
  }
  await h.post("/v1/api/events/new", tenant, { event: "App Opened", customerId: "cus_solo", eventDate: iso(T0 - DAY) });
  await addSubscription(h, tenant.appId, "cus_team", { status: "trialing", quantity: 5, trialEnd: T0 + 2 * DAY });
}

const health = async (h: Harness, tenant: Tenant, id = "cus_team") => {
  const res = await h.get(`/v1/api/customers/${id}`, tenant);
  expect(res.status).toBe(200);
  return res.body.health;
};

describe("GET /v1/api/customers/:id: health", () => {
  test("every factor with its weight, value, impact and explanation", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    await addPayment(h, acme.appId, "cus_team", "payment_failed", T0 - DAY);
    await addPayment(h, acme.appId, "cus_team", "payment_succeeded", T0 - 12 * HOUR); // the latest one counts
    expect(await health(h, acme)).toEqual({
      score: 84, // (0.8×25 + 20 + 15 + 0.4×10 + 20 + 0.5×10) / 100
      grade: "healthy",
      factors: [
        { name: "activity", weight: 25, value: 0.8, impact: 7.5, explanation: "2 events in the last 14 days against 2 in the 14 before: steady" },
        { name: "recency", weight: 20, value: 1, impact: 10, explanation: "last event less than a day ago" },
        { name: "breadth", weight: 15, value: 1, impact: 7.5, explanation: "3 distinct events in the last 30 days; the app's median active customer uses 1" },
        { name: "seats", weight: 10, value: 0.4, impact: -1, explanation: "2 of 5 seats used by users active in the last 30 days" },
        { name: "billing", weight: 20, value: 1, impact: 10, explanation: "subscription trialing, no payment problem" },
        { name: "trial", weight: 10, value: 0.5, impact: 0, explanation: "the trial ends in 2 days; active on 2 of the last 7 days" },
      ],
    });
  });

  test("the latest payment failing, a second subscription that doesn't speak for the customer", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    await addSubscription(h, acme.appId, "cus_team", { status: "canceled", quantity: 50, startedAt: T0 - 300 * DAY });
    await addPayment(h, acme.appId, "cus_team", "payment_succeeded", T0 - 3 * DAY);
    await addPayment(h, acme.appId, "cus_team", "payment_failed", T0 - DAY);
    const { factors, score } = await health(h, acme);
    expect(factors[3].explanation).toBe("2 of 5 seats used by users active in the last 30 days"); // the trial, not the canceled one
    expect(factors[4]).toMatchObject({ value: 0.4, explanation: `the latest payment failed (${iso(T0 - DAY)})` });
    expect(score).toBe(72);
  });

  test("a customer with no subscription is scored on usage alone", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    const solo = await health(h, acme, "cus_solo");
    expect(solo.factors.filter((f: { value: unknown }) => f.value === null).map((f: { name: string }) => f.name)).toEqual(["seats", "billing", "trial"]);
    expect(solo).toMatchObject({ score: 99, grade: "healthy" }); // (new activity 25 + 1 day ago 0.97×20 + breadth 15) / 60
  });

  test("the app's own weights apply at the next request", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    (await h.apps.updateSettings(acme.appId, { healthWeights: { activity: 10, recency: 10, breadth: 0, seats: 80, billing: 0, trial: 0 } }));
    const weighted = await health(h, acme);
    expect(weighted.factors.map((f: { weight: number }) => f.weight)).toEqual([10, 10, 0, 80, 0, 0]);
    expect(weighted).toMatchObject({ score: 50, grade: "watch" }); // (0.8×10 + 10 + 0.4×80) / 100
  });

  test("breadth compares with the median of the app's last pass once there is one", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    await h.sql.run("insert into app_health_runs (app_id, median_breadth, customers_scored, duration_ms, computed_at) values (?, 6, 2, 1, ?)", acme.appId, T0);
    expect((await health(h, acme)).factors[2]).toMatchObject({
      value: 0.5,
      explanation: `3 distinct events in the last 30 days; the app's median active customer used 6 at the scoring pass of ${iso(T0)}`,
    });
  });

  test("a pass that found nobody active (a server scored at start while empty) does not speak for a customer active since", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const scoredEmpty = await createHealthPass({ store: h.store, clock: () => h.clock.now }).run({ appId: acme.appId });
    expect(scoredEmpty).toEqual([expect.objectContaining({ customersScored: 0, medianBreadth: 0 })]);
    await fixture(h, acme);
    // Live, as before the first pass: the lower median of cus_solo's 1 and cus_team's 3.
    expect((await health(h, acme)).factors[2]).toMatchObject({
      value: 1,
      explanation: "3 distinct events in the last 30 days; the app's median active customer uses 1",
    });
  });

  test("a customer with no events in 30 days, beside a pass that found nobody active, is told when that was", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, { event: "App Opened", customerId: "cus_gone", eventDate: iso(T0 - 40 * DAY) });
    await createHealthPass({ store: h.store, clock: () => h.clock.now }).run({ appId: acme.appId });
    expect((await health(h, acme, "cus_gone")).factors[2]).toMatchObject({
      value: null,
      explanation: `not applicable: no customer of the app had events in the 30 days before the scoring pass of ${iso(T0)}`,
    });
  });

  test("deterministic for the injected clock: ten days on, the same data scores lower", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    const now = await health(h, acme);
    expect(await health(h, acme)).toEqual(now);
    h.clock.now = T0 + 10 * DAY;
    const later = await health(h, acme);
    expect(later.factors[1].explanation).toBe("last event 10 days ago");
    expect(later.factors[5].explanation).toBe("the trial has ended; active on 0 of the last 7 days");
    expect(later.score).toBeLessThan(now.score);
  });

  test("another app's subscription, payments and pass don't reach this app's customer", async () => {
    const h = await setup();
    const acme = await h.tenant("acme");
    const other = await h.tenant("other");
    await fixture(h, acme);
    await h.post("/v1/api/events/new", other, { event: "App Opened", customerId: "cus_team", eventDate: iso(T0 - DAY) });
    await addSubscription(h, other.appId, "cus_team", { status: "past_due", quantity: 9 });
    await addPayment(h, other.appId, "cus_team", "payment_failed", T0 - HOUR);
    const mine = await health(h, acme);
    expect(mine.factors[4].explanation).toBe("subscription trialing, no payment problem");
    expect(mine.score).toBe(84);
  });
});
