// GET /sdk.js: the browser snippet, compiled into the binary (./bundle.ts). Served gzipped to
// clients that accept it, with an ETag so a revalidation costs a 304, and a short cache lifetime
// so an upgrade of trackd reaches pages within the hour.
import { createHash } from "node:crypto";
import { Elysia } from "elysia";
import { bundleSdk } from "./bundle" with { type: "macro" };

export const SDK_SOURCE: string = bundleSdk();
const gzipped = Bun.gzipSync(SDK_SOURCE);
const etag = `"${createHash("sha256").update(SDK_SOURCE).digest("base64url").slice(0, 22)}"`;

const headers = {
  "content-type": "application/javascript; charset=utf-8",
  "cache-control": "public, max-age=3600",
  etag,
  vary: "Accept-Encoding",
  // A <script> from another origin needs no CORS; this lets a page fetch() it too (e.g. to self-host).
  "access-control-allow-origin": "*",
};

export function sdkRoutes() {
  return new Elysia({ name: "sdk" }).get("/sdk.js", ({ request }) => {
    if (etagMatches(request.headers.get("if-none-match"))) return new Response(null, { status: 304, headers });
    const gzip = /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
    return gzip
      ? new Response(gzipped, { headers: { ...headers, "content-encoding": "gzip" } })
      : new Response(SDK_SOURCE, { headers });
  });
}

function etagMatches(ifNoneMatch: string | null): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch.trim() === "*" || ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}
