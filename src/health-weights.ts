// How much each factor counts in a customer's health score. Weights are relative (a factor
// that doesn't apply to a customer drops out and the others share its part), so any
// non-negative numbers work; the defaults add up to 100 to read as percentages.
// Shared by scoring (which weighs the factors), apps (whose settings hold an app's weights) and
// the settings route and CLI (which parse and show them), so it sits below all of them.

export const FACTORS = ["activity", "recency", "breadth", "seats", "billing", "trial"] as const;
export type Factor = (typeof FACTORS)[number];
export type Weights = Record<Factor, number>;

// Usage first (activity, recency and breadth apply to every customer), billing a close second:
// a failed payment or a cancellation already announced is the most direct churn signal there is.
export const DEFAULT_WEIGHTS: Weights = { activity: 25, recency: 20, breadth: 15, seats: 10, billing: 20, trial: 10 };

const MAX_WEIGHT = 1000;

/** An app's stored weights (null: the defaults); a factor it doesn't name keeps its default. */
export function weightsOf(stored: Record<string, number> | null): Weights {
  const weights = { ...DEFAULT_WEIGHTS };
  for (const factor of FACTORS) {
    if (typeof stored?.[factor] === "number") weights[factor] = stored[factor];
  }
  return weights;
}

/**
 * "activity=30,recency=20": the named factors take these weights, the others their default.
 * Throws an Error whose message names the problem; the CLI prefixes the flag.
 */
export function parseWeights(raw: string): Weights {
  const weights = { ...DEFAULT_WEIGHTS };
  const seen = new Set<string>();
  const parts = raw.split(",").map((part) => part.trim()).filter((part) => part !== "");
  if (parts.length === 0) throw new Error(`list factor=weight pairs, such as activity=30,recency=20 (factors: ${FACTORS.join(", ")})`);
  for (const part of parts) {
    const [name, value, extra] = part.split("=").map((side) => side.trim());
    if (value === undefined || extra !== undefined) throw new Error(`"${part}" is not factor=weight`);
    if (!(FACTORS as readonly string[]).includes(name)) throw new Error(`unknown factor "${name}"; the factors are ${FACTORS.join(", ")}`);
    if (seen.has(name)) throw new Error(`${name} is given twice`);
    seen.add(name);
    if (/^-\d+(\.\d+)?$/.test(value)) throw new Error(`${name}: a weight can't be negative, got ${value}`);
    const weight = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || weight > MAX_WEIGHT) throw new Error(`${name}: the weight must be a number from 0 to ${MAX_WEIGHT}, got "${value}"`);
    weights[name as Factor] = weight;
  }
  // Every customer has an activity trend and a recency; with both at 0 a customer with no
  // subscription and no events in 30 days would have nothing to be scored on.
  if (weights.activity + weights.recency === 0) throw new Error("activity and recency can't both be 0: they are the factors every customer has");
  return weights;
}

export function formatWeights(weights: Weights): string {
  return FACTORS.map((factor) => `${factor}=${weights[factor]}`).join(",");
}
