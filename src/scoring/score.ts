// A customer's health: a score from 0 to 100 made of a few factors, each with its own sub-score
// and a sentence saying why. Pure: the same inputs, weights and `now` always give the same
// health, which is what lets the scheduled pass and the live profile agree.
import { toIso } from "../dates";
import { DAY_MS } from "../periods";
import { FACTORS, type Factor, type Weights } from "../health-weights";

import { gradeOf, type Grade } from "../grades";

export { GRADES, GRADE_RANGES, gradeOf, type Grade } from "../grades";

/** What scoring needs of the subscription that speaks for the customer (billing's currentSubscription). */
export interface SubscriptionFacts {
  status: string;
  /** Seats. */
  quantity: number;
  trialEnd: number | null;
  cancelAtPeriodEnd: boolean;
}

export interface HealthInputs {
  lastSeen: number | null;
  /** Events in the 14 UTC days up to today (today included), and in the 14 days before those. */
  eventsLast14d: number;
  eventsPrior14d: number;
  /** UTC days with an event among the last 7 (today included). */
  activeDaysLast7d: number;
  /** Distinct event names in the last 30 UTC days; the app's median over its customers active then. */
  breadth: number;
  medianBreadth: number;
  /**
   * When medianBreadth was worked out, if not now: the profile uses the last scoring pass's
   * median, and its explanation must say so, or it could be false beside the live breadth.
   */
  medianAsOf?: number;
  /** B2B users, and those seen in the last 30 days. */
  users: number;
  activeUsers: number;
  subscription: SubscriptionFacts | null;
  /** When the latest payment failed, if the latest payment (by time) is a failure. */
  paymentFailedAt: number | null;
}

export interface HealthFactor {
  name: Factor;
  weight: number;
  /** The factor's own score from 0 to 1; null when it doesn't apply to this customer. */
  value: number | null;
  /** Points it moves the score away from a neutral 50: 50 plus every impact is the score (± rounding). */
  impact: number;
  explanation: string;
}

export interface Health {
  score: number;
  grade: Grade;
  factors: HealthFactor[];
}

// A factor at 0.5 neither helps nor hurts: impacts are measured from there.
const NEUTRAL = 0.5;
// Steady activity (as many events as in the 14 days before) is good, not perfect: 0.8. Growth
// of a quarter or more scores 1; halving scores 0.4.
const STEADY = 0.8;
// Recency falls evenly from 1 (seen within the day) to 0 at 30 days.
const RECENCY_DAYS = 30;
// A trial counts once it ends within 7 days; using the product on 4 of the last 7 days (more
// than half) is as engaged as a trial gets.
const TRIAL_WINDOW_DAYS = 7;
const TRIAL_ACTIVE_DAYS = 4;
// How much each billing risk takes off the billing factor's 1. An announced cancellation or an
// unpaid subscription takes it all; a past-due status and a failed payment (usually seen
// together) take it all between them.
const STATUS_RISKS: Record<string, [string, number]> = {
  past_due: ["payment past due", 0.6],
  unpaid: ["subscription unpaid", 1],
  paused: ["subscription paused", 0.5],
  incomplete: ["first payment incomplete", 0.5],
  canceled: ["subscription canceled", 1],
  incomplete_expired: ["subscription expired before its first payment", 1],
};
const FAILED_PAYMENT_RISK = 0.6;
const CANCELLATION_RISK = 1;

type Assessment = { value: number | null; explanation: string };
const notApplicable = (why: string): Assessment => ({ value: null, explanation: `not applicable: ${why}` });
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

const ASSESS: Record<Factor, (inputs: HealthInputs, now: number) => Assessment> = {
  activity({ eventsLast14d: recent, eventsPrior14d: prior }) {
    if (prior === 0 && recent === 0) return { value: 0, explanation: "no events in the last 28 days" };
    const counts = `${plural(recent, "event")} in the last 14 days against ${prior} in the 14 before`;
    if (prior === 0) return { value: 1, explanation: `${counts}: new activity` };
    const change = Math.round((recent / prior - 1) * 100);
    const trend = change === 0 ? "steady" : change > 0 ? `up ${change}%` : `down ${-change}%`;
    return { value: Math.min(1, STEADY * (recent / prior)), explanation: `${counts}: ${trend}` };
  },

  recency({ lastSeen }, now) {
    if (lastSeen === null) return { value: 0, explanation: "no event ever" };
    // An eventDate may be up to an hour ahead of the clock: that is "today" too.
    const days = Math.max(0, Math.floor((now - lastSeen) / DAY_MS));
    const when = days === 0 ? "less than a day ago" : `${plural(days, "day")} ago`;
    return { value: Math.max(0, 1 - days / RECENCY_DAYS), explanation: `last event ${when}` };
  },

  breadth({ breadth, medianBreadth, medianAsOf }) {
    const median = medianAsOf === undefined ? `uses ${medianBreadth}` : `used ${medianBreadth} at the scoring pass of ${toIso(medianAsOf)}`;
    if (medianBreadth === 0) {
      const window = medianAsOf === undefined ? "in the last 30 days" : `in the 30 days before the scoring pass of ${toIso(medianAsOf)}`;
      return notApplicable(`no customer of the app had events ${window}`);
    }
    return {
      value: Math.min(1, breadth / medianBreadth),
      explanation: `${plural(breadth, "distinct event")} in the last 30 days; the app's median active customer ${median}`,
    };
  },

  seats({ subscription, users, activeUsers }) {
    const seats = subscription?.quantity ?? 0;
    if (seats <= 1) return notApplicable("no subscription with more than one seat");
    if (users === 0) return notApplicable("no users recorded for this customer");
    return { value: Math.min(1, activeUsers / seats), explanation: `${activeUsers} of ${seats} seats used by users active in the last 30 days` };
  },

  billing({ subscription, paymentFailedAt }) {
    if (!subscription) return notApplicable("no subscription");
    const risks: [string, number][] = [];
    const statusRisk = STATUS_RISKS[subscription.status];
    if (statusRisk) risks.push(statusRisk);
    if (paymentFailedAt !== null) risks.push([`the latest payment failed (${toIso(paymentFailedAt)})`, FAILED_PAYMENT_RISK]);
    if (subscription.cancelAtPeriodEnd) risks.push(["cancels at the end of the period", CANCELLATION_RISK]);
    if (risks.length === 0) return { value: 1, explanation: `subscription ${subscription.status}, no payment problem` };
    return {
      value: Math.max(0, 1 - risks.reduce((sum, [, risk]) => sum + risk, 0)),
      explanation: risks.map(([what]) => what).join("; "),
    };
  },

  trial({ subscription, activeDaysLast7d }, now) {
    if (subscription?.status !== "trialing" || subscription.trialEnd === null) return notApplicable("not in a trial");
    const daysLeft = Math.ceil((subscription.trialEnd - now) / DAY_MS);
    if (daysLeft > TRIAL_WINDOW_DAYS) return notApplicable(`the trial ends in ${daysLeft} days, more than ${TRIAL_WINDOW_DAYS}`);
    const ends = daysLeft > 0 ? `ends in ${plural(daysLeft, "day")}` : "has ended";
    return {
      value: Math.min(1, activeDaysLast7d / TRIAL_ACTIVE_DAYS),
      explanation: `the trial ${ends}; active on ${activeDaysLast7d} of the last 7 days`,
    };
  },
};

/** score = 100 × Σ weight·value / Σ weight, over the factors that apply. */
export function scoreHealth(inputs: HealthInputs, weights: Weights, now: number): Health {
  const assessed = FACTORS.map((name) => ({ name, weight: weights[name], ...ASSESS[name](inputs, now) }));
  const counted = assessed.filter((factor) => factor.value !== null);
  const totalWeight = counted.reduce((sum, factor) => sum + factor.weight, 0);
  // Activity and recency always apply and can't both weigh 0 (parseWeights), so this is only
  // a guard against weights edited into the database by hand.
  const weighted = counted.reduce((sum, factor) => sum + factor.weight * factor.value!, 0);
  const score = Math.round(100 * (totalWeight === 0 ? NEUTRAL : weighted / totalWeight));
  return {
    score,
    grade: gradeOf(score),
    factors: assessed.map((factor) => ({
      name: factor.name,
      weight: factor.weight,
      value: factor.value === null ? null : round(factor.value, 2),
      impact: factor.value === null || totalWeight === 0 ? 0 : round((100 * factor.weight * (factor.value - NEUTRAL)) / totalWeight, 1),
      explanation: factor.explanation,
    })),
  };
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
