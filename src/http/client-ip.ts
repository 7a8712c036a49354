import type { Server } from "bun";

/** The client's address: the last X-Forwarded-For entry (the one our own proxy added) when trusted. */
export function clientIp(request: Request, server: Server<unknown> | null, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  return server?.requestIP(request)?.address ?? "unknown";
}

/**
 * Whether the browser reached us over HTTPS: the request itself, or, behind a trusted proxy that
 * terminates TLS, its X-Forwarded-Proto; a public URL configured as https:// settles it too.
 */
export function servedOverHttps(request: Request, trustProxy: boolean, publicUrl?: string): boolean {
  if (publicUrl?.startsWith("https://")) return true;
  if (request.url.startsWith("https://")) return true;
  return trustProxy && request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim() === "https";
}
