import { t } from "elysia";
import { SCOPES } from "../scopes";
import { MAX_RETENTION_DAYS } from "../horizon";

/**
 * PATCH /v1/api/settings: the settings `trackd apps update` changes, in the same text forms
 * (origins comma-separated or "*", weights "factor=weight,…" or "default"); null removes the
 * Stripe webhook secret, and keeps events forever for retentionDays.
 */
export const SettingsPatch = t.Object(
  {
    requireVerified: t.Optional(t.Boolean({ error: "must be true or false" })),
    allowedOrigins: t.Optional(t.String({ minLength: 1, maxLength: 4000, error: 'must be "*" or comma-separated origins' })),
    stripeWebhookSecret: t.Optional(t.Union([t.String({ pattern: "^whsec_[A-Za-z0-9]{8,}$" }), t.Null()], { error: "must be the endpoint's signing secret (whsec_…) from the Stripe dashboard, or null to remove it" })),
    healthWeights: t.Optional(t.String({ minLength: 1, maxLength: 500, error: 'must be "factor=weight,…" or "default"' })),
    retentionDays: t.Optional(
      t.Union([t.Integer({ minimum: 1, maximum: MAX_RETENTION_DAYS }), t.Null()], { error: `must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, or null to keep events forever` }),
    ),
  },
  { additionalProperties: false },
);

/** POST /v1/api/keys. */
export const KeyCreate = t.Object(
  { scopes: t.Array(t.Union(SCOPES.map((s) => t.Literal(s))), { minItems: 1, uniqueItems: true, error: `must list some of ${SCOPES.join(", ")}` }) },
  { additionalProperties: false },
);
