import { Elysia } from "elysia";
import { checkCsrf, CSRF_HEADER, isSafeMethod } from "../accounts/csrf";
import { readCookie, SESSION_COOKIE } from "../accounts/sessions";
import { AppError } from "../errors";
import type { Scope } from "./keys";
import type { AppsService } from "./service";

/**
 * Resolves `app` from x-ck-api-key + x-ck-app, or answers 401 before the body is even read;
 * 403 when the key is valid but lacks `scope`. Without a key header, a dashboard session cookie
 * (+ x-ck-app) does instead: the pages read the same routes as keys, and no key reaches a
 * browser. A state-changing request made with a session must pass the CSRF checks.
 */
export function apiKeyAuth(apps: AppsService, scope: Scope, options: { sessionScope?: Scope } = {}) {
  // Exports read, but a viewer may not take the data away: the export routes ask sessions for admin.
  const sessionScope = options.sessionScope ?? scope;
  return new Elysia({ name: `api-key-auth:${scope}:${sessionScope}`, seed: apps }).resolve({ as: "scoped" }, ({ headers, request }) => {
    const apiKey = headers["x-ck-api-key"];
    const appId = headers["x-ck-app"];
    const sessionToken = apiKey ? undefined : readCookie(headers.cookie, SESSION_COOKIE);
    if (sessionToken) {
      if (!appId) throw new AppError("UNAUTHORIZED", "missing x-ck-app header");
      const signedIn = apps.authenticateSession(appId, sessionToken);
      if (!signedIn) throw new AppError("UNAUTHORIZED", "session expired or app unknown: sign in again");
      if (!isSafeMethod(request.method)) checkCsrf(request, sessionToken, headers[CSRF_HEADER]);
      if (!signedIn.scopes.has(sessionScope)) {
        const role = signedIn.session.user.role;
        throw new AppError("FORBIDDEN", sessionScope === "admin" ? `a ${role} cannot do this: it needs an admin` : `this route needs an API key with the "${sessionScope}" scope, not a dashboard session`);
      }
      return { app: signedIn.app };
    }
    if (!apiKey) throw new AppError("UNAUTHORIZED", "missing x-ck-api-key header");
    if (!appId) throw new AppError("UNAUTHORIZED", "missing x-ck-app header");
    const authenticated = apps.authenticate(appId, apiKey);
    // One message for unknown, revoked and other-app keys: which one it was is nobody's business.
    if (!authenticated) throw new AppError("UNAUTHORIZED", "invalid API key for this app id");
    if (!authenticated.scopes.has(scope)) {
      throw new AppError("FORBIDDEN", `this API key lacks the "${scope}" scope needed here`);
    }
    return { app: authenticated.app };
  });
}
