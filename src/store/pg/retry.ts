// Which failures of a PostgreSQL batch are worth running it again: another node's concurrent
// transaction got in the way, and running the same commands again (they are safe to re-run:
// nothing of a failed batch stayed) will most likely succeed.
//   40P01 deadlock_detected: two batches locked rows in opposite orders; PostgreSQL aborted one.
//   40001 serialization_failure: only at stricter isolation levels, or a concurrent update seen
//         by REPEATABLE READ; kept for poolers or defaults that raise it.
//   23505 unique_violation: every insert that may meet an existing row says ON CONFLICT, so one
//         that escapes is a race (two nodes linking the same uid at the same moment).
const RETRYABLE_CODES = new Set(["40P01", "40001", "23505"]);

/** Thrown by the applier itself when another node changed a row under it (a customer erased mid-batch). */
export class RaceLost extends Error {
  override name = "RaceLost";
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof RaceLost) return true;
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" && RETRYABLE_CODES.has(code);
}

/** Attempts after the first, each after a short random pause so two nodes don't collide again in step. */
export const MAX_RETRIES = 5;

/** Milliseconds before retry `attempt` (1-based): jittered, growing, at most ~80 ms. */
export function backoff(attempt: number, random = Math.random): number {
  const ceiling = Math.min(80, 5 * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}
