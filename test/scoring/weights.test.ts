// Parsing `--health-weights` and reading stored weights.
import { describe, expect, test } from "bun:test";
import { DEFAULT_WEIGHTS, formatWeights, parseWeights, weightsOf } from "../../src/health-weights";

describe("parseWeights: accepted", () => {
  test("named factors take the given weights, the others their default", () => {
    expect(parseWeights("activity=30, recency=20.5,seats=0")).toEqual({ ...DEFAULT_WEIGHTS, activity: 30, recency: 20.5, seats: 0 });
  });

  test("formatWeights writes what parseWeights reads", () => {
    const weights = { ...DEFAULT_WEIGHTS, billing: 40, trial: 0 };
    expect(parseWeights(formatWeights(weights))).toEqual(weights);
  });

  test("stored weights: null is the defaults, a missing or unknown factor is ignored", () => {
    expect(weightsOf(null)).toEqual(DEFAULT_WEIGHTS);
    expect(weightsOf({ activity: 5, future: 3 })).toEqual({ ...DEFAULT_WEIGHTS, activity: 5 });
  });
});

describe("parseWeights: refused, naming the problem", () => {
  test.each([
    ["", "list factor=weight pairs, such as activity=30,recency=20 (factors: activity, recency, breadth, seats, billing, trial)"],
    ["activity", '"activity" is not factor=weight'],
    ["activity=1=2", '"activity=1=2" is not factor=weight'],
    ["usage=10", 'unknown factor "usage"; the factors are activity, recency, breadth, seats, billing, trial'],
    ["activity=-5", "activity: a weight can't be negative, got -5"],
    ["recency=ten", 'recency: the weight must be a number from 0 to 1000, got "ten"'],
    ["recency=1e3", 'recency: the weight must be a number from 0 to 1000, got "1e3"'],
    ["billing=1001", 'billing: the weight must be a number from 0 to 1000, got "1001"'],
    ["trial=1,trial=2", "trial is given twice"],
    ["activity=0,recency=0", "activity and recency can't both be 0: they are the factors every customer has"],
  ])("%p", (raw, message) => {
    expect(() => parseWeights(raw)).toThrow(message);
  });
});
