import { Elysia } from "elysia";
import { AppError } from "../errors";
import type { Scope } from "./keys";
import type { AppsService } from "./service";

/**
 * Resolves `app` from x-ck-api-key + x-ck-app, or answers 401 before the body is even read;
 * 403 when the key is valid but lacks `scope`. Without a key header, a dashboard session cookie
 * (+ x-ck-app) does instead: the pages read the same routes as keys, and no key reaches a
 * browser. A state-changing request made with a session must pass the CSRF checks. After a
 * successful answer to a key it notes the key's use.
 */
export function apiKeyAuth(apps: AppsService, scope: Scope, options: { sessionScope?: Scope } = {}) {
  // Exports read, but a viewer may not take the data away: the export routes ask sessions for admin.
  const sessionScope = options.sessionScope ?? scope;
  return new Elysia({ name: `api-key-auth:${scope}:${sessionScope}`, seed: apps }).resolve({ as: "scoped" }, async ({ headers, request }) => {
    const apiKey = headers["x-ck-api-key"];
    const appId = headers["x-ck-app"];
    const sessionToken = apiKey ? undefined : apps.sessionAuth.tokenOf(request);
    if (sessionToken) {
      if (!appId) throw new AppError("UNAUTHORIZED", "missing x-ck-app header");
      const signedIn = await apps.authenticateSession(appId, sessionToken);
      if (!signedIn) throw new AppError("UNAUTHORIZED", "session expired or app unknown: sign in again");
      apps.sessionAuth.checkCsrf(request, sessionToken);
      if (!signedIn.scopes.has(sessionScope)) {
        throw new AppError("FORBIDDEN", sessionScope === "admin" ? `a ${signedIn.role} cannot do this: it needs an admin` : `this route needs an API key with the "${sessionScope}" scope, not a dashboard session`);
      }
      return { app: signedIn.app, apiKeyId: undefined };
    }
    if (!apiKey) throw new AppError("UNAUTHORIZED", "missing x-ck-api-key header");
    if (!appId) throw new AppError("UNAUTHORIZED", "missing x-ck-app header");
    const authenticated = await apps.authenticate(appId, apiKey);
    // Only the holder of a revoked key's whole secret learns that it was revoked; unknown keys,
    // wrong secrets and other apps' keys all get one message.
    if (authenticated === "revoked") throw new AppError("UNAUTHORIZED", "this API key was revoked: use another key of this app (trackd keys list)");
    if (!authenticated) throw new AppError("UNAUTHORIZED", "invalid API key for this app id");
    if (!authenticated.scopes.has(scope)) {
      throw new AppError("FORBIDDEN", `this API key lacks the "${scope}" scope needed here`);
    }
    return { app: authenticated.app, apiKeyId: authenticated.keyId };
  })
    // A key's last use counts answered requests only: a rejected one changes no row, that one included.
    .onAfterResponse({ as: "scoped" }, ({ apiKeyId, set, responseValue }) => {
      const status = responseValue instanceof Response ? responseValue.status : typeof set.status === "number" ? set.status : 200;
      if (apiKeyId && status < 400) apps.noteUse(apiKeyId);
    });
}
