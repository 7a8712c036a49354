// OpenAPI descriptions of the admin routes behind the dashboard's Settings page (src/http/route-doc.ts).
import type { RouteDocs } from "../http/route-doc";
import { KeyCreate, SettingsPatch } from "./model";

const admin = { kind: "apiKey", scope: "admin" } as const;
const JSON_BODY = ["application/json"];
const settingsExample = {
  appId: "app_6d44c315cace0da9",
  name: "default",
  requireVerified: false,
  allowedOrigins: ["*"],
  stripeWebhook: true,
  healthWeights: { activity: 30, recency: 20, breadth: 15, trend: 15, billing: 20 },
  healthWeightsText: "default",
  retentionDays: null,
};

export const settingsDocs: RouteDocs = [
  {
    method: "get",
    path: "/v1/api/settings",
    tag: "Settings",
    summary: "The app's settings",
    description: "What `trackd apps update` changes. The Stripe webhook secret is never shown back: `stripeWebhook` says whether one is set.",
    auth: admin,
    responses: { 200: { description: "The settings", example: settingsExample } },
    errors: [],
  },
  {
    method: "patch",
    path: "/v1/api/settings",
    tag: "Settings",
    summary: "Change the app's settings",
    description: "Only the fields sent change, in the same text forms as `trackd apps update`; `stripeWebhookSecret: null` removes it, `retentionDays: null` keeps events forever.",
    auth: admin,
    body: { schema: SettingsPatch, contentTypes: JSON_BODY, example: { requireVerified: true, allowedOrigins: "https://app.example.com", retentionDays: 365 } },
    responses: { 200: { description: "The settings after the change", example: settingsExample } },
    errors: ["VALIDATION_FAILED", "INVALID_JSON", "PAYLOAD_TOO_LARGE"],
  },
  {
    method: "get",
    path: "/v1/api/keys",
    tag: "Settings",
    summary: "The app's API keys",
    description: "Ids, scopes and dates, revoked keys included; never a secret (only hashes are stored).",
    auth: admin,
    responses: {
      200: {
        description: "The keys, oldest first",
        example: { keys: [{ keyId: "key_ed9d50a71006", scopes: ["ingest", "read", "admin"], createdAt: "2026-11-29T12:00:00.000Z", lastUsedAt: null, revokedAt: null }] },
      },
    },
    errors: [],
  },
  {
    method: "post",
    path: "/v1/api/keys",
    tag: "Settings",
    summary: "Create an API key",
    description: "The reply carries the key itself, this once.",
    auth: admin,
    body: { schema: KeyCreate, contentTypes: JSON_BODY, example: { scopes: ["ingest"] } },
    responses: { 201: { description: "The new key", example: { keyId: "key_0a1b2c3d4e5f", appId: "app_6d44c315cace0da9", apiKey: "tk_0a1b2c3d4e5f_…", scopes: ["ingest"] } } },
    errors: ["VALIDATION_FAILED", "INVALID_JSON", "PAYLOAD_TOO_LARGE"],
  },
  {
    method: "delete",
    path: "/v1/api/keys/:keyId",
    tag: "Settings",
    summary: "Revoke an API key of this app",
    auth: admin,
    params: { keyId: "the key's id, key_<12 hex>" },
    responses: { 200: { description: "Revoked", example: { ok: true, keyId: "key_0a1b2c3d4e5f" } } },
    errors: ["NOT_FOUND"],
  },
  {
    method: "get",
    path: "/v1/api/signing-secret",
    tag: "Settings",
    summary: "The secret browser events are signed with (authHash)",
    auth: admin,
    responses: { 200: { description: "The secret", example: { signingSecret: "1f76e355104a40d0…" } } },
    errors: [],
  },
  {
    method: "post",
    path: "/v1/api/signing-secret/rotate",
    tag: "Settings",
    summary: "A new signing secret",
    description: "authHashes made with the old secret stop verifying at once.",
    auth: admin,
    responses: { 200: { description: "The new secret", example: { signingSecret: "9c0e5b1d7a2f4e83…" } } },
    errors: [],
  },
];
