import { Elysia } from "elysia";
import { AppError } from "../errors";
import type { AppsService } from "./service";

/** Resolves `app` from x-ck-api-key + x-ck-app, or answers 401 before the body is even read. */
export function apiKeyAuth(apps: AppsService) {
  return new Elysia({ name: "api-key-auth", seed: apps }).resolve({ as: "scoped" }, ({ headers }) => {
    const apiKey = headers["x-ck-api-key"];
    const appId = headers["x-ck-app"];
    if (!apiKey) throw new AppError("UNAUTHORIZED", "missing x-ck-api-key header");
    if (!appId) throw new AppError("UNAUTHORIZED", "missing x-ck-app header");
    const app = apps.authenticate(appId, apiKey);
    // One message for unknown, revoked and other-app keys: which one it was is nobody's business.
    if (!app) throw new AppError("UNAUTHORIZED", "invalid API key for this app id");
    return { app };
  });
}
