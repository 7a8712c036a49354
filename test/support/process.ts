// Running trackd as a real process in tests: `bun src/index.ts …` with a clean environment.
import type { Subprocess } from "bun";
import { join, resolve } from "node:path";

export const ENTRY = join(import.meta.dir, "..", "..", "src", "index.ts");

/**
 * How to run the server: the compiled binary when TRACKD_TEST_BINARY names one (.ci/run does,
 * after building), else the source through Bun.
 */
export const TRACKD_COMMAND = process.env.TRACKD_TEST_BINARY ? [resolve(process.env.TRACKD_TEST_BINARY)] : [process.execPath, ENTRY];

/** The environment of this process without any TRACKD_* setting, so only what a test passes counts. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith("TRACKD_")) env[name] = value;
  }
  return { ...env, ...extra };
}

/** A port nobody listens on right now: bind port 0, read what the OS chose, let it go. */
export function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

/** Resolves once GET /healthz answers; throws if `proc` exits first or `timeoutMs` passes. */
export async function untilHealthy(base: string, proc: Subprocess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && proc.exitCode === null) {
    if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) return;
    await Bun.sleep(25);
  }
  throw new Error(`trackd at ${base} did not become healthy (exit ${proc.exitCode})`);
}

/** `trackd serve` on `db` and `port` (loopback), resolved once healthy. */
export async function startTrackd(db: string, port: number, args: string[] = []): Promise<Subprocess> {
  const proc = Bun.spawn([...TRACKD_COMMAND, "serve", "--db", db, "--port", String(port), "--host", "127.0.0.1", ...args], {
    env: cleanEnv(),
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    await untilHealthy(`http://127.0.0.1:${port}`, proc);
  } catch (error) {
    proc.kill("SIGKILL");
    throw error;
  }
  return proc;
}
