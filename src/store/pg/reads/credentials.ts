// Apps and API keys on PostgreSQL (CredentialsReads). Drizzle's builder over schema.pg.ts: the
// rows are the same typed shapes SQLite's Drizzle gives (booleans, jsonb parsed, bigint as
// numbers), which is most of the work here. Uncached: a cache across nodes (invalidated by
// cache_versions and LISTEN/NOTIFY) wraps these where the store is put together.
import { asc, count, eq, isNull, sql } from "drizzle-orm";
import type { PgDb } from "../../../db/postgres";
import { apiKeys, apps } from "../../../db/schema.pg";
import type { CredentialsReads } from "../../types";
import { C } from "./collate";

export function createPgCredentialsReads(db: PgDb): CredentialsReads {
  const appById = async (appId: string) => (await db.select().from(apps).where(eq(apps.id, appId)))[0];
  const keyById = async (keyId: string) => (await db.select().from(apiKeys).where(eq(apiKeys.id, keyId)))[0];
  return {
    async keyWithApp(keyId) {
      const [row] = await db.select({ key: apiKeys, app: apps }).from(apiKeys).innerJoin(apps, eq(apps.id, apiKeys.appId)).where(eq(apiKeys.id, keyId));
      return row;
    },
    app: appById,
    key: keyById,
    // Ties on createdAt are ordered by id as SQLite orders text: byte by byte.
    keysOf: (appId) => db.select().from(apiKeys).where(eq(apiKeys.appId, appId)).orderBy(asc(apiKeys.createdAt), asc(C(apiKeys.id))),
    allowedOriginLists: async () => (await db.selectDistinct({ allowed: apps.allowedOrigins }).from(apps)).map((row) => row.allowed),
    async appsWithActiveKeys() {
      const activeKeys = db
        .select({ appId: apiKeys.appId, keys: sql<number>`count(*)`.mapWith(Number).as("keys") })
        .from(apiKeys)
        .where(isNull(apiKeys.revokedAt))
        .groupBy(apiKeys.appId)
        .as("active_keys");
      const rows = await db
        .select({ app: apps, activeKeys: activeKeys.keys })
        .from(apps)
        .leftJoin(activeKeys, eq(activeKeys.appId, apps.id))
        .orderBy(asc(apps.createdAt), asc(C(apps.id)));
      return rows.map((row) => ({ app: row.app, activeKeys: row.activeKeys ?? 0 }));
    },
    countApps: async () => (await db.select({ n: count() }).from(apps))[0]?.n ?? 0,
  };
}
