import { Elysia } from "elysia";
import { AppError } from "../errors";
import type { Scope } from "./keys";
import type { AppsService } from "./service";

/**
 * Resolves `app` from x-ck-api-key + x-ck-app, or answers 401 before the body is even read;
 * 403 when the key is valid but lacks `scope`. After a successful answer it notes the key's use.
 */
export function apiKeyAuth(apps: AppsService, scope: Scope) {
  return new Elysia({ name: `api-key-auth:${scope}`, seed: apps }).resolve({ as: "scoped" }, ({ headers }) => {
    const apiKey = headers["x-ck-api-key"];
    const appId = headers["x-ck-app"];
    if (!apiKey) throw new AppError("UNAUTHORIZED", "missing x-ck-api-key header");
    if (!appId) throw new AppError("UNAUTHORIZED", "missing x-ck-app header");
    const authenticated = apps.authenticate(appId, apiKey);
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
