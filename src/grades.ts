// A health score's grade: shared by scoring (which computes scores), the customer list (which
// filters by grade) and billing's MRR at risk, so it sits below all three.
export const GRADES = ["healthy", "watch", "at_risk"] as const;
export type Grade = (typeof GRADES)[number];

/** Each grade's scores, both ends included: what `health=` filters on and what MRR at risk counts. */
export const GRADE_RANGES: Record<Grade, { min: number; max: number }> = {
  healthy: { min: 70, max: 100 },
  watch: { min: 40, max: 69 },
  at_risk: { min: 0, max: 39 },
};

export function gradeOf(score: number): Grade {
  return score >= GRADE_RANGES.healthy.min ? "healthy" : score >= GRADE_RANGES.watch.min ? "watch" : "at_risk";
}
