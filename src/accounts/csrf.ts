// CSRF defence for requests made with a session cookie (the cookie rides along on any request
// the browser makes, including one a hostile page starts). Two independent checks:
// 1. The request comes from our own origin: Sec-Fetch-Site (sent by every current browser) must
//    be same-origin; without it, an Origin header must name this host.
// 2. It carries the session's synchronizer token (x-csrf-token header, or a `csrf` form field),
//    which a cross-site page cannot read.
import { AppError } from "../errors";
import { csrfMatches } from "./sessions";

export const CSRF_HEADER = "x-csrf-token";

function isSafeMethod(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}

/** Throws 403 unless the request comes from a page of this origin. */
export function checkSameOrigin(request: Request): void {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null) {
    if (site !== "same-origin") throw new AppError("FORBIDDEN", `cross-site request refused (Sec-Fetch-Site: ${site})`);
    return;
  }
  const origin = request.headers.get("origin");
  if (origin === null) return; // not a browser: a cross-site page cannot send a request without Origin and Sec-Fetch-Site
  const host = request.headers.get("host") ?? new URL(request.url).host;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    originHost = "";
  }
  if (originHost !== host) throw new AppError("FORBIDDEN", `cross-site request refused (Origin: ${origin})`);
}

/** Both checks for a state-changing request (not GET, HEAD or OPTIONS) made with the session whose token is `token`. */
export function checkCsrfUnlessSafe(request: Request, token: string): void {
  if (!isSafeMethod(request.method)) checkCsrf(request, token, request.headers.get(CSRF_HEADER));
}

/** Both checks, for a state-changing request made with the session whose token is `token`. */
export function checkCsrf(request: Request, token: string, sent: string | null | undefined): void {
  checkSameOrigin(request);
  if (!csrfMatches(token, sent)) throw new AppError("FORBIDDEN", `missing or wrong ${CSRF_HEADER} header: reload the page`);
}
