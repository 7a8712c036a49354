// The dashboard's pages: one HTML shell for every /apps/… URL (the script routes inside it) and
// its script and styles, built at build time (./bundle.ts) and embedded in the binary. The data
// comes from the read API, authorised by the session (src/apps/auth.ts).
import { createHash } from "node:crypto";
import { Elysia } from "elysia";
import { sessionInfo, sessionOf, type DashboardOptions } from "../accounts/index";
import { PAGE_SECURITY_HEADERS } from "../accounts/service";
import type { AccountsService } from "../accounts/service";
import type { AppsService } from "../apps/service";
import { bundleDashboard } from "./bundle" with { type: "macro" };

const BUILT = bundleDashboard();

/** An asset under a name that changes with its content, so browsers may keep it for a year. */
function asset(body: string, extension: string, contentType: string) {
  const hash = createHash("sha256").update(body).digest("base64url").slice(0, 12);
  return { path: `/dashboard/app.${hash}.${extension}`, body, gzipped: Bun.gzipSync(body), contentType };
}

export const DASHBOARD_JS = asset(BUILT.js, "js", "application/javascript; charset=utf-8");
export const DASHBOARD_CSS = asset(BUILT.css, "css", "text/css; charset=utf-8");

/**
 * The page, with the session's details inlined (the script would otherwise ask for them before
 * anything else: one round trip saved). `<` is escaped so no app name can close the tag.
 */
const shell = (session: unknown) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>trackd</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${DASHBOARD_CSS.path}"><script type="module" src="${DASHBOARD_JS.path}"></script></head><body><div id="root"></div><script type="application/json" id="session">${JSON.stringify(session).replaceAll("<", "\\u003c")}</script></body></html>`;

function serveAsset(file: typeof DASHBOARD_JS, request: Request): Response {
  const headers = { "content-type": file.contentType, "cache-control": "public, max-age=31536000, immutable", vary: "Accept-Encoding", "x-content-type-options": "nosniff" };
  const gzip = /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
  return gzip ? new Response(file.gzipped, { headers: { ...headers, "content-encoding": "gzip" } }) : new Response(file.body, { headers });
}

export function dashboardRoutes(deps: { accounts: AccountsService; apps: AppsService; options: DashboardOptions }) {
  const { accounts, apps, options } = deps;

  /** The page for a signed-in browser; anyone else goes to sign in, and comes back here after. */
  async function page(request: Request): Promise<Response> {
    const signedIn = await sessionOf(accounts, request);
    if (!signedIn) {
      const { pathname, search } = new URL(request.url);
      return new Response(null, { status: 303, headers: { location: `/login?next=${encodeURIComponent(pathname + search)}`, "cache-control": "no-store" } });
    }
    return new Response(shell(await sessionInfo(signedIn.session, apps, options)), { headers: { "content-type": "text/html; charset=utf-8", ...PAGE_SECURITY_HEADERS } });
  }

  return new Elysia({ name: "dashboard" })
    .get(DASHBOARD_JS.path, ({ request }) => serveAsset(DASHBOARD_JS, request))
    .get(DASHBOARD_CSS.path, ({ request }) => serveAsset(DASHBOARD_CSS, request))
    .get("/", async ({ request }) => {
      const first = (await apps.listApps())[0];
      if (!first || !(await sessionOf(accounts, request))) return page(request);
      return new Response(null, { status: 303, headers: { location: `/apps/${encodeURIComponent(first.appId)}`, "cache-control": "no-store" } });
    })
    .get("/apps/*", ({ request }) => page(request));
}
