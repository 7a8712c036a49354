// The pure score: each factor's sub-score and explanation, how weights and applicability
// combine them, grades, and determinism for a given clock.
import { describe, expect, spyOn, test } from "bun:test";
import { GRADE_RANGES, GRADES, gradeOf, scoreHealth, type HealthInputs } from "../../src/scoring/score";
import { DEFAULT_WEIGHTS, type Factor } from "../../src/health-weights";
import { T0 } from "../helpers";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = T0;

/** A steady, recently active customer at the app's median breadth, with no subscription. */
const BASE: HealthInputs = {
  lastSeen: NOW - HOUR,
  eventsLast14d: 20,
  eventsPrior14d: 20,
  activeDaysLast7d: 5,
  breadth: 4,
  medianBreadth: 4,
  users: 0,
  activeUsers: 0,
  subscription: null,
  paymentFailedAt: null,
};
const ACTIVE = { status: "active", quantity: 1, trialEnd: null, cancelAtPeriodEnd: false };

function factor(change: Partial<HealthInputs>, name: Factor) {
  return scoreHealth({ ...BASE, ...change }, DEFAULT_WEIGHTS, NOW).factors.find((f) => f.name === name)!;
}

type Case = [description: string, change: Partial<HealthInputs>, value: number | null, explanation: string];

const cases: Record<Factor, Case[]> = {
  activity: [
    ["steady", {}, 0.8, "20 events in the last 14 days against 20 in the 14 before: steady"],
    ["up a quarter or more", { eventsLast14d: 25 }, 1, "25 events in the last 14 days against 20 in the 14 before: up 25%"],
    ["halved", { eventsLast14d: 10 }, 0.4, "10 events in the last 14 days against 20 in the 14 before: down 50%"],
    ["stopped", { eventsLast14d: 0 }, 0, "0 events in the last 14 days against 20 in the 14 before: down 100%"],
    ["new", { eventsLast14d: 1, eventsPrior14d: 0 }, 1, "1 event in the last 14 days against 0 in the 14 before: new activity"],
    ["none in 28 days", { eventsLast14d: 0, eventsPrior14d: 0 }, 0, "no events in the last 28 days"],
  ],
  recency: [
    ["within the day", {}, 1, "last event less than a day ago"],
    ["an eventDate slightly ahead of the clock", { lastSeen: NOW + HOUR }, 1, "last event less than a day ago"],
    ["3 days", { lastSeen: NOW - 3 * DAY - HOUR }, 0.9, "last event 3 days ago"],
    ["1 day", { lastSeen: NOW - DAY }, 0.97, "last event 1 day ago"],
    ["30 days and more", { lastSeen: NOW - 45 * DAY }, 0, "last event 45 days ago"],
    ["never", { lastSeen: null }, 0, "no event ever"],
  ],
  breadth: [
    ["at the median", {}, 1, "4 distinct events in the last 30 days; the app's median active customer uses 4"],
    ["half the median", { breadth: 2 }, 0.5, "2 distinct events in the last 30 days; the app's median active customer uses 4"],
    ["above the median", { breadth: 9 }, 1, "9 distinct events in the last 30 days; the app's median active customer uses 4"],
    ["none", { breadth: 0 }, 0, "0 distinct events in the last 30 days; the app's median active customer uses 4"],
    ["nobody active in the app", { breadth: 0, medianBreadth: 0 }, null, "not applicable: no customer of the app had events in the last 30 days"],
  ],
  seats: [
    ["3 of 10 seats active", { subscription: { ...ACTIVE, quantity: 10 }, users: 12, activeUsers: 3 }, 0.3, "3 of 10 seats used by users active in the last 30 days"],
    ["more active users than seats", { subscription: { ...ACTIVE, quantity: 2 }, users: 5, activeUsers: 5 }, 1, "5 of 2 seats used by users active in the last 30 days"],
    ["a single seat", { subscription: ACTIVE, users: 3, activeUsers: 1 }, null, "not applicable: no subscription with more than one seat"],
    ["no subscription", { users: 3, activeUsers: 1 }, null, "not applicable: no subscription with more than one seat"],
    ["no users recorded", { subscription: { ...ACTIVE, quantity: 10 } }, null, "not applicable: no users recorded for this customer"],
  ],
  billing: [
    ["no subscription", {}, null, "not applicable: no subscription"],
    ["active, paid", { subscription: ACTIVE }, 1, "subscription active, no payment problem"],
    ["past due", { subscription: { ...ACTIVE, status: "past_due" } }, 0.4, "payment past due"],
    ["failed payment", { subscription: ACTIVE, paymentFailedAt: NOW - DAY }, 0.4, `the latest payment failed (${new Date(NOW - DAY).toISOString()})`],
    ["past due and a failed payment", { subscription: { ...ACTIVE, status: "past_due" }, paymentFailedAt: NOW - DAY }, 0, "payment past due; the latest payment failed"],
    ["cancels at period end", { subscription: { ...ACTIVE, cancelAtPeriodEnd: true } }, 0, "cancels at the end of the period"],
    ["unpaid", { subscription: { ...ACTIVE, status: "unpaid" } }, 0, "subscription unpaid"],
    ["paused", { subscription: { ...ACTIVE, status: "paused" } }, 0.5, "subscription paused"],
    ["canceled", { subscription: { ...ACTIVE, status: "canceled" } }, 0, "subscription canceled"],
  ],
  trial: [
    ["ending in 3 days, little used", { subscription: { ...ACTIVE, status: "trialing", trialEnd: NOW + 3 * DAY }, activeDaysLast7d: 1 }, 0.25, "the trial ends in 3 days; active on 1 of the last 7 days"],
    ["ending in 7 days, well used", { subscription: { ...ACTIVE, status: "trialing", trialEnd: NOW + 7 * DAY }, activeDaysLast7d: 6 }, 1, "the trial ends in 7 days; active on 6 of the last 7 days"],
    ["ended, still trialing", { subscription: { ...ACTIVE, status: "trialing", trialEnd: NOW - HOUR }, activeDaysLast7d: 0 }, 0, "the trial has ended; active on 0 of the last 7 days"],
    ["ending in 10 days", { subscription: { ...ACTIVE, status: "trialing", trialEnd: NOW + 10 * DAY } }, null, "not applicable: the trial ends in 10 days, more than 7"],
    ["not trialing", { subscription: { ...ACTIVE, trialEnd: NOW + DAY } }, null, "not applicable: not in a trial"],
  ],
};

describe("each factor", () => {
  for (const [name, factorCases] of Object.entries(cases) as [Factor, Case[]][]) {
    test.each(factorCases)(`${name}: %s`, (_, change, value, explanation) => {
      const result = factor(change, name);
      expect(result.value).toBe(value);
      expect(result.explanation).toStartWith(explanation);
      if (value === null) expect(result.impact).toBe(0);
    });
  }
});

describe("the score", () => {
  test("is 100 × Σ weight·value / Σ weight over the factors that apply, with impacts around a neutral 50", () => {
    const health = scoreHealth(BASE, DEFAULT_WEIGHTS, NOW);
    // activity 0.8 × 25, recency 1 × 20, breadth 1 × 15 = 55 of 60; seats, billing, trial don't apply.
    expect(health.score).toBe(92);
    expect(health.grade).toBe("healthy");
    expect(health.factors.map((f) => [f.name, f.weight, f.value, f.impact])).toEqual([
      ["activity", 25, 0.8, 12.5],
      ["recency", 20, 1, 16.7],
      ["breadth", 15, 1, 12.5],
      ["seats", 10, null, 0],
      ["billing", 20, null, 0],
      ["trial", 10, null, 0],
    ]);
  });

  const mixes: [string, Partial<HealthInputs>][] = [
    ["steady", {}],
    ["fading B2B on a failing payment", { eventsLast14d: 3, lastSeen: NOW - 9 * DAY, breadth: 1, subscription: { ...ACTIVE, quantity: 8 }, users: 8, activeUsers: 2, paymentFailedAt: NOW - DAY }],
    ["trial ending, unused", { eventsLast14d: 0, eventsPrior14d: 4, lastSeen: NOW - 15 * DAY, subscription: { ...ACTIVE, status: "trialing", trialEnd: NOW + DAY }, activeDaysLast7d: 0 }],
    ["never seen", { lastSeen: null, eventsLast14d: 0, eventsPrior14d: 0, breadth: 0 }],
  ];
  test.each(mixes)("50 plus every impact gives the score (%s)", (_, change) => {
    const health = scoreHealth({ ...BASE, ...change }, DEFAULT_WEIGHTS, NOW);
    const sum = 50 + health.factors.reduce((total, f) => total + f.impact, 0);
    expect(Math.abs(sum - health.score)).toBeLessThanOrEqual(0.5 + 0.05 * health.factors.length);
    expect(health.score).toBeGreaterThanOrEqual(0);
    expect(health.score).toBeLessThanOrEqual(100);
  });

  test("weights move the score; a factor that doesn't apply drops out as if it weighed 0", () => {
    const inputs = { ...BASE, eventsLast14d: 10 }; // activity 0.4
    expect(scoreHealth(inputs, DEFAULT_WEIGHTS, NOW).score).toBe(75); // (10 + 20 + 15) / 60
    expect(scoreHealth(inputs, { ...DEFAULT_WEIGHTS, activity: 100 }, NOW).score).toBe(56); // (40 + 20 + 15) / 135
    expect(scoreHealth(inputs, { ...DEFAULT_WEIGHTS, recency: 0, breadth: 0 }, NOW).score).toBe(40);
    expect(scoreHealth(inputs, { ...DEFAULT_WEIGHTS, seats: 0, billing: 0, trial: 0 }, NOW)).toMatchObject({ score: 75 });
  });

  test("a customer in trouble on every front is at risk", () => {
    const health = scoreHealth(
      { ...BASE, eventsLast14d: 0, lastSeen: NOW - 40 * DAY, breadth: 0, subscription: { ...ACTIVE, status: "past_due", cancelAtPeriodEnd: true } },
      DEFAULT_WEIGHTS,
      NOW,
    );
    expect(health).toMatchObject({ score: 0, grade: "at_risk" });
  });
});

describe("grades", () => {
  test.each([
    [100, "healthy"],
    [70, "healthy"],
    [69, "watch"],
    [40, "watch"],
    [39, "at_risk"],
    [0, "at_risk"],
  ])("%i is %s", (score, grade) => {
    expect(gradeOf(score)).toBe(grade as (typeof GRADES)[number]);
  });

  test("the ranges cover 0 to 100 without gap or overlap, and agree with gradeOf", () => {
    for (let score = 0; score <= 100; score++) {
      const holding = GRADES.filter((grade) => score >= GRADE_RANGES[grade].min && score <= GRADE_RANGES[grade].max);
      expect(holding).toEqual([gradeOf(score)]);
    }
  });
});

describe("determinism", () => {
  test("the same inputs and clock give the same health, whatever the machine's clock says", () => {
    const inputs = { ...BASE, lastSeen: NOW - 5 * DAY, subscription: { ...ACTIVE, status: "trialing", trialEnd: NOW + 2 * DAY } };
    const first = scoreHealth(inputs, DEFAULT_WEIGHTS, NOW);
    const machineClock = spyOn(Date, "now").mockReturnValue(NOW + 365 * DAY);
    try {
      expect(scoreHealth(inputs, DEFAULT_WEIGHTS, NOW)).toEqual(first);
    } finally {
      machineClock.mockRestore();
    }
  });

  test("only the injected clock moves it: ten days later the same customer scores lower", () => {
    const now = scoreHealth(BASE, DEFAULT_WEIGHTS, NOW);
    const later = scoreHealth(BASE, DEFAULT_WEIGHTS, NOW + 10 * DAY);
    expect(later.score).toBeLessThan(now.score);
    expect(later.factors[1].explanation).toBe("last event 10 days ago");
  });
});
