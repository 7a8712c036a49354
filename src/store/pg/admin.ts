// The administrative commands (apps, keys, dashboard accounts and sessions) on PostgreSQL: one
// handler per command type, each given the batch's transaction, for the applier's dispatcher
// to call at merge time. Raw postgres-js statements, as the applier's (a handful of one-row
// statements; Drizzle would need a second handle per transaction). Results are SQLite's
// (sqlite/admin.ts), row for row.
//
// Several nodes: a batch may run again after losing a race (the applier retries it whole), so
// every handler is safe to re-run. App names have no unique index (schema.ts), so CreateApp
// takes a transaction-scoped advisory lock on the name before looking for it: two nodes
// creating the same name at once cannot both find it free.
import type postgres from "postgres";
import type { AppRow } from "../../db/schema";
import type { AdminCommand, CommandResults, NewApiKey } from "../commands";
import { publicUser, type Role } from "../users";
import { num, numOrNull } from "./reads/numbers";

export type PgAdminHandlers = {
  [T in AdminCommand["type"]]: (tx: postgres.TransactionSql, command: Extract<AdminCommand, { type: T }>) => Promise<CommandResults[T]>;
};

// The advisory lock's first key: "apps" in ASCII, its second the name's hash.
const APP_NAME_LOCK = 0x61707073;

export const pgAdminHandlers: PgAdminHandlers = {
  async CreateApp(tx, { app, key }) {
    await tx`SELECT pg_advisory_xact_lock(${APP_NAME_LOCK}, hashtext(${app.name}))`;
    const [taken] = await tx`SELECT id FROM apps WHERE name = ${app.name} LIMIT 1`;
    if (taken) return { takenBy: taken.id as string };
    // Apps are numbered max + 1 (apps.pk): one creation at a time, on every node.
    await tx`SELECT pg_advisory_xact_lock(${APP_NAME_LOCK})`;
    await tx`INSERT INTO apps (id, pk, name, signing_secret, created_at)
      VALUES (${app.id}, (SELECT coalesce(max(pk), 0) + 1 FROM apps), ${app.name}, ${app.signingSecret}, ${app.createdAt})`;
    await insertKey(tx, key);
    return null;
  },
  async CreateKey(tx, { key }) {
    const [app] = await tx`SELECT 1 FROM apps WHERE id = ${key.appId}`;
    if (!app) return false;
    await insertKey(tx, key);
    return true;
  },
  async RevokeKey(tx, { keyId, at, appId }) {
    const rows = await tx`UPDATE api_keys SET revoked_at = ${at}
      WHERE id = ${keyId} AND revoked_at IS NULL ${appId === undefined ? tx`` : tx`AND app_id = ${appId}`} RETURNING id`;
    return rows.length === 1;
  },
  async UpdateAppSettings(tx, { appId, fields }) {
    const columns: Record<string, unknown> = {};
    if (fields.requireVerified !== undefined) columns.require_verified = fields.requireVerified;
    if (fields.allowedOrigins !== undefined) columns.allowed_origins = fields.allowedOrigins;
    if (fields.stripeWebhookSecret !== undefined) columns.stripe_webhook_secret = fields.stripeWebhookSecret;
    if (fields.healthWeights !== undefined) columns.health_weights = fields.healthWeights === null ? null : JSON.stringify(fields.healthWeights); // as jsonb text
    if (fields.retentionDays !== undefined) columns.retention_days = fields.retentionDays;
    // Nothing to change: the app as it stands (SQLite's Drizzle refuses an empty SET).
    const [row] =
      Object.keys(columns).length === 0
        ? await tx`SELECT * FROM apps WHERE id = ${appId}`
        : await tx`UPDATE apps SET ${tx(columns as Record<string, postgres.SerializableParameter>)} WHERE id = ${appId} RETURNING *`;
    return row ? toAppRow(row) : null;
  },
  async SetSigningSecret(tx, { appId, signingSecret }) {
    return (await tx`UPDATE apps SET signing_secret = ${signingSecret} WHERE id = ${appId} RETURNING id`).length === 1;
  },
  async CreateUser(tx, { user }) {
    const [row] = await tx`
      INSERT INTO dashboard_users (id, email, role, password_hash, created_at, updated_at)
      VALUES (${user.id}, ${user.email}, ${user.role}, ${user.passwordHash}, ${user.createdAt}, ${user.createdAt})
      ON CONFLICT DO NOTHING RETURNING id, email, role, password_hash, created_at, updated_at`;
    if (!row) return null;
    return publicUser({
      id: row.id,
      email: row.email,
      role: row.role,
      passwordHash: row.password_hash,
      createdAt: num(row.created_at),
      updatedAt: num(row.updated_at),
    });
  },
  async SetUserPassword(tx, { userId, passwordHash, at }) {
    const changed = (await tx`UPDATE dashboard_users SET password_hash = ${passwordHash}, updated_at = ${at} WHERE id = ${userId} RETURNING id`).length === 1;
    // Every session of the account ends with the old password, in the same transaction.
    if (changed) await tx`DELETE FROM dashboard_sessions WHERE user_id = ${userId}`;
    return changed;
  },
  async SetUserRole(tx, { userId, role, at }) {
    return (await tx`UPDATE dashboard_users SET role = ${role satisfies Role}, updated_at = ${at} WHERE id = ${userId} RETURNING id`).length === 1;
  },
  async RemoveUser(tx, { userId }) {
    // Sessions go with the account (ON DELETE CASCADE).
    return (await tx`DELETE FROM dashboard_users WHERE id = ${userId} RETURNING id`).length === 1;
  },
  async StartSession(tx, { session }) {
    await tx`INSERT INTO dashboard_sessions (token_hash, user_id, created_at, last_seen_at)
      VALUES (${session.tokenHash}, ${session.userId}, ${session.createdAt}, ${session.lastSeenAt})`;
  },
  async TouchSession(tx, { tokenHash, at }) {
    await tx`UPDATE dashboard_sessions SET last_seen_at = ${at} WHERE token_hash = ${tokenHash}`;
  },
  async EndSession(tx, { tokenHash }) {
    await tx`DELETE FROM dashboard_sessions WHERE token_hash = ${tokenHash}`;
  },
  async RemoveExpiredSessions(tx, { idleBefore, createdBefore }) {
    const result = await tx`DELETE FROM dashboard_sessions WHERE last_seen_at < ${idleBefore} OR created_at < ${createdBefore}`;
    return result.count;
  },
};

async function insertKey(tx: postgres.TransactionSql, key: NewApiKey): Promise<void> {
  await tx`INSERT INTO api_keys (id, app_id, secret_hash, scopes, created_at)
    VALUES (${key.id}, ${key.appId}, ${key.secretHash}, ${key.scopes}, ${key.createdAt})`;
}

function toAppRow(row: postgres.Row): AppRow {
  return {
    id: row.id,
    pk: num(row.pk),
    name: row.name,
    signingSecret: row.signing_secret,
    requireVerified: row.require_verified,
    allowedOrigins: row.allowed_origins,
    stripeWebhookSecret: row.stripe_webhook_secret,
    healthWeights: row.health_weights,
    retentionDays: numOrNull(row.retention_days),
    createdAt: num(row.created_at),
  };
}
