// trackd apps … and trackd keys … : managing apps and their API keys.
import { AppNameTaken, createAppsService, type AppSettings, type CreatedApp, type KeyInfo, type SettingsChange } from "../apps/service";
import { parseKeyId, parseScopes, SCOPES } from "../apps/keys";
import { parseAllowedOrigins } from "../apps/origins";
import { UsageError } from "../config";
import { MAX_RETENTION_DAYS } from "../horizon";
import { formatWeights, parseWeights } from "../health-weights";
import { CommandError, dbOption, jsonOption, parseCommandArgs } from "./args";
import { withStore } from "./db";

export async function appsCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "create") {
    const { values } = parseCommandArgs(rest, { ...dbOption, ...jsonOption, name: { type: "string" } });
    if (!values.name?.trim()) throw new UsageError("apps create needs --name NAME");
    const created = await withApps(values, env, async (apps) => {
      try {
        return await apps.create(values.name!.trim());
      } catch (error) {
        if (error instanceof AppNameTaken) throw new CommandError(`${error.message}: pick another --name`);
        throw error;
      }
    }, { command: "apps create" });
    if (values.json) printJson({ appId: created.appId, apiKey: created.apiKey, signingSecret: created.signingSecret });
    else console.log(credentialsBanner(`Created app "${created.name}"`, created));
    return 0;
  }
  if (sub === "list") {
    const { values } = parseCommandArgs(rest, { ...dbOption, ...jsonOption });
    const list = await withApps(values, env, (apps) => apps.listApps(), { command: "apps list", mustExist: true });
    if (values.json) printJson(list);
    else if (list.length === 0) console.log("no apps yet: trackd apps create --name NAME");
    else for (const app of list) console.log(`${app.appId}  ${app.name}  keys: ${app.activeKeys}  ${describeSettings(app)}  created ${app.createdAt}`);
    return 0;
  }
  if (sub === "update") {
    const { values, positionals } = parseCommandArgs(
      rest,
      {
        ...dbOption,
        ...jsonOption,
        "require-verified": { type: "boolean" },
        "no-require-verified": { type: "boolean" },
        "allowed-origins": { type: "string" },
        "stripe-webhook-secret": { type: "string" },
        "no-stripe-webhook-secret": { type: "boolean" },
        "health-weights": { type: "string" },
        "retention-days": { type: "string" },
        "no-retention": { type: "boolean" },
      },
      1,
    );
    const [appId] = positionals;
    if (!appId) throw new UsageError("apps update needs an APP_ID");
    const change = settingsChange(values);
    const settings = await withApps(values, env, (apps) => apps.updateSettings(appId, change), { command: "apps update", mustExist: true });
    if (!settings) throw noApp(appId);
    if (values.json) printJson({ appId, ...settings });
    else console.log(`Updated app ${appId}: ${describeSettings(settings)}`);
    return 0;
  }
  throw new UsageError(sub ? `unknown apps command "${sub}"` : "apps needs a command: create, list or update");
}

export async function keysCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "create") {
    const { values } = parseCommandArgs(rest, {
      ...dbOption,
      ...jsonOption,
      app: { type: "string" },
      scope: { type: "string" },
    });
    if (!values.app) throw new UsageError("keys create needs --app APP_ID");
    const scopes = values.scope === undefined ? SCOPES : parseScopes(values.scope);
    if (!scopes) throw new UsageError(`--scope must list some of ${SCOPES.join(", ")}, comma-separated; got "${values.scope}"`);
    const key = await withApps(values, env, (apps) => apps.createKey(values.app!, scopes), { command: "keys create", mustExist: true });
    if (!key) throw noApp(values.app);
    if (values.json) printJson(key);
    else {
      console.log(
        `Created key ${key.keyId} for app ${key.appId}, scopes ${key.scopes.join(",")}\n  API key: ${key.apiKey}\n  (shown once: store it now)`,
      );
    }
    return 0;
  }
  if (sub === "list") {
    const { values } = parseCommandArgs(rest, { ...dbOption, ...jsonOption, app: { type: "string" } });
    if (!values.app) throw new UsageError("keys list needs --app APP_ID");
    const keys = await withApps(values, env, (apps) => apps.listKeys(values.app!), { command: "keys list", mustExist: true });
    if (!keys) throw noApp(values.app);
    if (values.json) printJson(keys);
    else for (const key of keys) console.log(describeKey(key));
    return 0;
  }
  if (sub === "revoke") {
    const { values, positionals } = parseCommandArgs(rest, dbOption, 1);
    const [given] = positionals;
    if (!given) throw new UsageError("keys revoke needs a KEY_ID");
    // The input is never echoed: it may be a whole API key, secret included.
    const keyId = parseKeyId(given);
    if (!keyId) throw new UsageError("KEY_ID must be key_ and 12 hex digits, as 'trackd keys list' prints it, or those 12 hex digits alone");
    const before = await withApps(values, env, async (apps) => ((await apps.revokeKey(keyId)) ? undefined : ((await apps.findKey(keyId)) ?? null)), { command: "keys revoke", mustExist: true });
    if (before === null) throw new CommandError(`no key with id ${keyId} (see 'trackd keys list --app APP_ID')`);
    if (before) throw new CommandError(`key ${keyId} was already revoked (${before.revokedAt})`);
    console.log(`Revoked key ${keyId}`);
    return 0;
  }
  throw new UsageError(sub ? `unknown keys command "${sub}"` : "keys needs a command: create, list or revoke");
}

function settingsChange(values: {
  "require-verified"?: boolean;
  "no-require-verified"?: boolean;
  "allowed-origins"?: string;
  "stripe-webhook-secret"?: string;
  "no-stripe-webhook-secret"?: boolean;
  "health-weights"?: string;
  "retention-days"?: string;
  "no-retention"?: boolean;
}): SettingsChange {
  if (values["require-verified"] && values["no-require-verified"]) {
    throw new UsageError("--require-verified and --no-require-verified contradict each other");
  }
  const change: SettingsChange = {};
  if (values["require-verified"]) change.requireVerified = true;
  if (values["no-require-verified"]) change.requireVerified = false;
  if (values["allowed-origins"] !== undefined) {
    try {
      change.allowedOrigins = parseAllowedOrigins(values["allowed-origins"]);
    } catch (error) {
      throw new UsageError(`--allowed-origins: ${(error as Error).message}`);
    }
  }
  const secret = values["stripe-webhook-secret"];
  if (secret !== undefined && values["no-stripe-webhook-secret"]) {
    throw new UsageError("--stripe-webhook-secret and --no-stripe-webhook-secret contradict each other");
  }
  if (secret !== undefined) {
    // The endpoint's signing secret from the Stripe dashboard, not an API key.
    if (!/^whsec_[A-Za-z0-9]{8,}$/.test(secret)) throw new UsageError(`--stripe-webhook-secret must look like whsec_..., got "${secret.slice(0, 8)}..."`);
    change.stripeWebhookSecret = secret;
  }
  if (values["no-stripe-webhook-secret"]) change.stripeWebhookSecret = null;
  const weights = values["health-weights"];
  if (weights !== undefined) {
    try {
      // "default" goes back to the defaults, including when they change in a later version.
      change.healthWeights = weights.trim() === "default" ? null : parseWeights(weights);
    } catch (error) {
      throw new UsageError(`--health-weights: ${(error as Error).message}`);
    }
  }
  const days = values["retention-days"];
  if (days !== undefined && values["no-retention"]) throw new UsageError("--retention-days and --no-retention contradict each other");
  if (days !== undefined) {
    if (!/^\d+$/.test(days) || Number(days) < 1 || Number(days) > MAX_RETENTION_DAYS) {
      throw new UsageError(`--retention-days must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, got "${days}"`);
    }
    change.retentionDays = Number(days);
  }
  if (values["no-retention"]) change.retentionDays = null;
  if (Object.keys(change).length === 0) {
    throw new UsageError(
      "apps update needs a change: --require-verified, --no-require-verified, --allowed-origins LIST, --stripe-webhook-secret whsec_..., --no-stripe-webhook-secret, --health-weights LIST, --retention-days N or --no-retention",
    );
  }
  return change;
}

function describeSettings(settings: AppSettings): string {
  const verification = settings.requireVerified ? "signed browser events only" : "unsigned browser events accepted";
  return `${verification}, origins ${settings.allowedOrigins.join(",")}, Stripe webhook ${settings.stripeWebhook ? "on" : "off"}, health weights ${formatWeights(settings.healthWeights)}, raw events kept ${settings.retentionDays === null ? "forever" : `${settings.retentionDays} days`}`;
}

export function credentialsBanner(title: string, app: CreatedApp): string {
  return [
    title,
    `  App ID:          ${app.appId}`,
    `  API key:         ${app.apiKey}`,
    `  Signing secret:  ${app.signingSecret}`,
    "The API key is shown only this once and stored as a hash: keep it now.",
    "Send it as x-ck-api-key and the app id as x-ck-app. Never put either secret in a browser.",
  ].join("\n");
}

function withApps<T>(
  values: { db?: string },
  env: Record<string, string | undefined>,
  run: (apps: ReturnType<typeof createAppsService>) => Promise<T>,
  options: { command: string; mustExist?: boolean },
): Promise<T> {
  return withStore(values, env, (store) => run(createAppsService(store)), options);
}

function printJson(value: unknown): void {
  console.log(JSON.stringify(value));
}

function noApp(appId: string): CommandError {
  return new CommandError(`no app with id ${appId} (see 'trackd apps list')`);
}

function describeKey(key: KeyInfo): string {
  const state = key.revokedAt ? `revoked ${key.revokedAt}` : "active";
  const used = key.lastUsedAt ? `last used ${key.lastUsedAt}` : "never used";
  return `${key.keyId}  ${key.scopes.join(",").padEnd(17)}  created ${key.createdAt}  ${used}  ${state}`;
}
