// Reads wrk's --latency report.
export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Only when the script prints it (see P95_DONE in lua.ts): wrk's report stops at 90 and 99. */
  p95Ms?: number;
  /** Non-2xx responses plus socket errors. */
  errors: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

export function parseWrk(output: string): WrkResult {
  const number = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? NaN);
  const percentile = (p: string) => {
    const match = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(output);
    return match ? Math.round(Number(match[1]) * UNIT_MS[match[2]] * 100) / 100 : NaN;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const requestsPerSecond = number(/Requests\/sec:\s+([\d.]+)/);
  if (Number.isNaN(requestsPerSecond)) throw new Error(`could not read wrk's output:\n${output}`);
  const p95 = /^p95_us (\d+)$/m.exec(output);
  return {
    requestsPerSecond,
    p50Ms: percentile("50"),
    p99Ms: percentile("99"),
    ...(p95 ? { p95Ms: Math.round(Number(p95[1]) / 10) / 100 } : {}),
    errors: (number(/Non-2xx or 3xx responses:\s+(\d+)/) || 0) + socketErrors,
  };
}
