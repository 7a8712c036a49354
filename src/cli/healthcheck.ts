// trackd healthcheck: the probe for Docker's HEALTHCHECK (distroless has no shell or curl).
// It finds the server as serve would listen: --host/--port, else TRACKD_HOST/TRACKD_PORT.
import { UsageError, resolveSetting } from "../config";
import { parseCommandArgs } from "./args";

/** Generous: a health check's own --timeout (Docker's default is 30 s) should be what decides. */
const PROBE_TIMEOUT_MS = 10_000;

export async function healthcheckCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values } = parseCommandArgs(args, { host: { type: "string" }, port: { type: "string" } });
  const port = resolveSetting("port", values, env);
  if (port === 0) throw new UsageError("healthcheck needs the server's port (0 means any port to serve)");
  const url = `http://${hostToProbe(resolveSetting("host", values, env))}:${port}/healthz`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (response.ok) {
      console.log(`healthy: ${url} answered ${response.status}`);
      return 0;
    }
    console.error(`trackd: unhealthy: ${url} answered ${response.status}`);
  } catch (error) {
    console.error(`trackd: unhealthy: ${url} did not answer (${(error as Error).message})`);
  }
  return 1;
}

/** A server bound to every address is reached on loopback; an IPv6 literal needs brackets. */
function hostToProbe(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "[::1]";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
