// An app's settings, keys and signing secret over HTTP (admin scope): what `trackd apps update`
// and `trackd keys …` do, for the dashboard's Settings page and for admin keys.
import { Elysia } from "elysia";
import { apiKeyAuth } from "../apps/auth";
import { parseAllowedOrigins } from "../apps/service";
import type { AppsService, SettingsChange } from "../apps/service";
import { AppError } from "../errors";
import { KB, readJsonBody } from "../http/body";
import { compile, validate } from "../http/validate";
import { formatWeights, parseWeights } from "../health-weights";
import { KeyCreate, SettingsPatch } from "./model";

const settingsPatch = compile(SettingsPatch);
const keyCreate = compile(KeyCreate);

const invalid = (path: string, message: string) => new AppError("VALIDATION_FAILED", `${path.slice(1)} ${message}`, { details: [{ path, message }] });

function changeOf(input: typeof SettingsPatch.static): SettingsChange {
  const change: SettingsChange = {};
  if (input.requireVerified !== undefined) change.requireVerified = input.requireVerified;
  if (input.allowedOrigins !== undefined) {
    try {
      change.allowedOrigins = parseAllowedOrigins(input.allowedOrigins);
    } catch (error) {
      throw invalid("/allowedOrigins", (error as Error).message);
    }
  }
  if (input.stripeWebhookSecret !== undefined) change.stripeWebhookSecret = input.stripeWebhookSecret;
  if (input.healthWeights !== undefined) {
    try {
      change.healthWeights = input.healthWeights.trim() === "default" ? null : parseWeights(input.healthWeights);
    } catch (error) {
      throw invalid("/healthWeights", (error as Error).message);
    }
  }
  if (input.retentionDays !== undefined) change.retentionDays = input.retentionDays;
  if (Object.keys(change).length === 0) throw invalid("", "nothing to change: send requireVerified, allowedOrigins, stripeWebhookSecret, healthWeights or retentionDays");
  return change;
}

export function settingsRoutes(deps: { apps: AppsService }) {
  const { apps } = deps;
  const settingsOf = async (appId: string) => {
    const app = (await apps.listApps()).find((a) => a.appId === appId)!;
    return { appId, name: app.name, requireVerified: app.requireVerified, allowedOrigins: app.allowedOrigins, stripeWebhook: app.stripeWebhook, healthWeights: app.healthWeights, healthWeightsText: formatWeights(app.healthWeights), retentionDays: app.retentionDays };
  };
  return new Elysia({ name: "settings" })
    .use(apiKeyAuth(apps, "admin"))
    .get("/v1/api/settings", ({ app }) => settingsOf(app.id))
    .patch(
      "/v1/api/settings",
      async ({ request, app }) => {
        await apps.updateSettings(app.id, changeOf(validate(settingsPatch, await readJsonBody(request, 16 * KB))));
        return settingsOf(app.id);
      },
      { parse: "none" },
    )
    .get("/v1/api/keys", async ({ app }) => ({ keys: (await apps.listKeys(app.id)) ?? [] }))
    .post(
      "/v1/api/keys",
      async ({ request, app, set }) => {
        const { scopes } = validate(keyCreate, await readJsonBody(request, 4 * KB));
        set.status = 201;
        return (await apps.createKey(app.id, scopes))!;
      },
      { parse: "none" },
    )
    .delete("/v1/api/keys/:keyId", async ({ params, app }) => {
      if (!(await apps.revokeKey(params.keyId, app.id))) throw new AppError("NOT_FOUND", `no active key ${params.keyId} in this app`);
      return { ok: true, keyId: params.keyId };
    })
    .get("/v1/api/signing-secret", async ({ app }) => ({ signingSecret: (await apps.findApp(app.id))!.signingSecret }))
    .post("/v1/api/signing-secret/rotate", async ({ app }) => ({ signingSecret: (await apps.rotateSigningSecret(app.id))! }));
}
