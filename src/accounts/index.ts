// Signing in and out of the dashboard, the one-time setup link, and who is signed in.
import { Elysia } from "elysia";
import type { AppsService } from "../apps/service";
import { AppError } from "../errors";
import { clientIp, servedOverHttps } from "../http/client-ip";
import { KB, readJsonBody } from "../http/body";
import { textProblem } from "../http/text";
import { checkCsrf, checkCsrfUnlessSafe, checkSameOrigin, CSRF_HEADER } from "./csrf";
import { loginPage, messagePage, PAGE_SECURITY_HEADERS, setupPage } from "./pages";
import type { AccountsService } from "./service";
import { SESSION_ABSOLUTE_MS, SESSION_COOKIE, sessionTokenOf, type Session } from "./sessions";

export interface DashboardOptions {
  /** Behind your own proxy: client IP from X-Forwarded-For, HTTPS from X-Forwarded-Proto. */
  trustProxy: boolean;
  /** Where people reach trackd (https://… makes cookies Secure); shown in links. */
  publicUrl?: string;
}

/** Only a path on this site: "//evil.example" and "/\\evil.example" are other hosts to a browser. */
export function safeNext(raw: unknown): string {
  return typeof raw === "string" && /^\/(?![/\\])/.test(raw) ? raw : "/";
}

const html = (body: string, status = 200, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8", ...PAGE_SECURITY_HEADERS, ...headers } });

const redirect = (location: string, headers: Record<string, string> = {}) =>
  new Response(null, { status: 303, headers: { location, "cache-control": "no-store", ...headers } });

/** A form field (the sign-in and setup forms are parsed by Elysia, not parseJson): text rules apply. */
const field = (body: unknown, name: string): string => {
  const value = (body as Record<string, unknown> | null)?.[name];
  if (typeof value !== "string") return "";
  const reason = textProblem(value);
  if (reason !== undefined) throw new AppError("VALIDATION_FAILED", `${name} ${reason}`, { details: [{ path: `/${name}`, message: `${name} ${reason}` }] });
  return value;
};

/** The signed-in session, or null. */
export async function sessionOf(accounts: AccountsService, request: Request): Promise<{ token: string; session: Session } | null> {
  const token = sessionTokenOf(request);
  const session = token ? await accounts.sessions.find(token) : null;
  return token && session ? { token, session } : null;
}

/** What the pages need to know about who is signed in (also embedded in the page shell). */
export async function sessionInfo(session: Session, apps: AppsService, options: DashboardOptions) {
  return {
    user: { email: session.user.email, role: session.user.role },
    csrf: session.csrf,
    apps: (await apps.listApps()).map(({ appId, name }) => ({ appId, name })),
    publicUrl: options.publicUrl ?? null,
  };
}

export function accountRoutes(deps: { accounts: AccountsService; apps: AppsService; options: DashboardOptions }) {
  const { accounts, apps, options } = deps;

  function sessionCookie(request: Request, token: string, maxAgeS: number): string {
    // SameSite=Lax: sent when someone follows a link to the dashboard, never on a cross-site POST.
    const secure = servedOverHttps(request, options.trustProxy, options.publicUrl) ? "; Secure" : "";
    return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeS}${secure}`;
  }
  const signedInCookie = (request: Request, token: string) => sessionCookie(request, token, SESSION_ABSOLUTE_MS / 1000);

  /** A failed form post is shown on the form again, with the error's status (and Retry-After). */
  function formError(error: unknown, render: (message: string) => string): Response {
    if (!(error instanceof AppError) || error.status >= 500) throw error;
    return html(render(error.message), error.status, error.headers);
  }

  /** An admin's session, with the CSRF checks for a state-changing request; else 401/403. */
  async function admin(request: Request): Promise<Session> {
    const signedIn = await sessionOf(accounts, request);
    if (!signedIn) throw new AppError("UNAUTHORIZED", "not signed in");
    checkCsrfUnlessSafe(request, signedIn.token);
    if (signedIn.session.user.role !== "admin") throw new AppError("FORBIDDEN", `a ${signedIn.session.user.role} cannot do this: it needs an admin`);
    return signedIn.session;
  }

  const json = async (request: Request) => {
    const body = await readJsonBody(request, 4 * KB);
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new AppError("VALIDATION_FAILED", "body must be a JSON object", { details: [{ path: "", message: "must be a JSON object" }] });
    return body as Record<string, unknown>;
  };

  return new Elysia({ name: "accounts" })
    .get("/login", async ({ query, request }) => {
      const next = safeNext(query.next);
      if (await sessionOf(accounts, request)) return redirect(next);
      return html(loginPage(next));
    })
    .post("/login", async ({ body, request, server }) => {
      const next = safeNext(field(body, "next"));
      try {
        checkSameOrigin(request);
        const { token } = await accounts.signIn(field(body, "email"), field(body, "password"), clientIp(request, server, options.trustProxy));
        return redirect(next, { "set-cookie": signedInCookie(request, token) });
      } catch (error) {
        return formError(error, (message) => loginPage(next, message));
      }
    })
    .post("/logout", async ({ body, request }) => {
      const signedIn = await sessionOf(accounts, request);
      if (signedIn) {
        checkCsrf(request, signedIn.token, request.headers.get(CSRF_HEADER) ?? field(body, "csrf"));
        await accounts.sessions.end(signedIn.token);
      }
      return redirect("/login", { "set-cookie": sessionCookie(request, "", 0) });
    })
    .get("/setup", async ({ query }) => {
      const token = typeof query.token === "string" ? query.token : "";
      if (!(await accounts.setupOpen(token))) return html(messagePage("Setup link used", "An admin exists already (or this link is from an earlier start of the server). Sign in instead."), 403);
      return html(setupPage(token));
    })
    .post("/setup", async ({ body, request }) => {
      const token = field(body, "token");
      try {
        checkSameOrigin(request);
        const created = await accounts.completeSetup(token, field(body, "email"), field(body, "password"));
        return redirect("/", { "set-cookie": signedInCookie(request, created.token) });
      } catch (error) {
        return formError(error, (message) => setupPage(token, message));
      }
    })
    .get("/dashboard/api/session", async ({ request }) => {
      const signedIn = await sessionOf(accounts, request);
      if (!signedIn) throw new AppError("UNAUTHORIZED", "not signed in");
      return sessionInfo(signedIn.session, apps, options);
    })
    // Dashboard accounts and apps: admins only, from the Settings page (the CLI does the same).
    .get("/dashboard/api/users", async ({ request }) => {
      await admin(request);
      return { users: (await accounts.listUsers()).map((u) => ({ ...u, createdAt: new Date(u.createdAt).toISOString() })) };
    })
    .post(
      "/dashboard/api/users",
      async ({ request, set }) => {
        await admin(request);
        const body = await json(request);
        const user = await accounts.createUser(field(body, "email"), field(body, "role"), field(body, "password"));
        set.status = 201;
        return { ...user, createdAt: new Date(user.createdAt).toISOString() };
      },
      { parse: "none" },
    )
    .patch(
      "/dashboard/api/users/:id",
      async ({ request, params }) => {
        await admin(request);
        if (!(await accounts.setRole(params.id, field(await json(request), "role")))) throw new AppError("NOT_FOUND", `no dashboard user ${params.id}`);
        return { ok: true };
      },
      { parse: "none" },
    )
    .delete("/dashboard/api/users/:id", async ({ request, params }) => {
      await admin(request);
      if (!(await accounts.removeUser(params.id))) throw new AppError("NOT_FOUND", `no dashboard user ${params.id}`);
      return { ok: true };
    })
    .post(
      "/dashboard/api/apps",
      async ({ request, set }) => {
        await admin(request);
        const name = field(await json(request), "name").trim();
        if (!name || name.length > 100) throw new AppError("VALIDATION_FAILED", "name must be 1 to 100 characters", { details: [{ path: "/name", message: "must be 1 to 100 characters" }] });
        set.status = 201;
        return apps.create(name);
      },
      { parse: "none" },
    );
}
