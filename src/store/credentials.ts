// Apps and their API keys (db/schema.ts: apps, api_keys): what authentication reads on every
// request and what `trackd apps` and the settings change. Drizzle, prepared where a request
// reads it; the hits are cached by credentials' cache (cache.ts) anyway, so the builder's cost
// never shows. Key use (last_used_at) is raw SQL: one conditional UPDATE that only moves forward.
import { and, count, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db";
import { apiKeys, apps, type AppRow } from "../db/schema";

export type ApiKeyRow = typeof apiKeys.$inferSelect;
/** The store numbers the app itself (apps.pk, app-key.ts). */
export type NewApp = Omit<typeof apps.$inferInsert, "pk">;
// The next app's pk: inserts run in one transaction on the one connection that writes.
const nextAppPk = sql`(select coalesce(max(${apps.pk}), 0) + 1 from ${apps})`;
export type NewApiKey = typeof apiKeys.$inferInsert;
export type AppSettingsFields = Pick<Partial<NewApp>, "requireVerified" | "allowedOrigins" | "stripeWebhookSecret" | "healthWeights" | "retentionDays">;

export function createCredentialsStore(db: Db) {
  const keyById = db.select().from(apiKeys).where(eq(apiKeys.id, sql.placeholder("id"))).prepare();
  const appById = db.select().from(apps).where(eq(apps.id, sql.placeholder("id"))).prepare();
  // Only ever moves forward, whichever of two processes writes last.
  const touchKey = db.$client.prepare<never, { id: string; at: number }>(
    "UPDATE api_keys SET last_used_at = $at WHERE id = $id AND (last_used_at IS NULL OR last_used_at < $at)",
  );

  return {
    keyById: (id: string): ApiKeyRow | undefined => keyById.get({ id }),
    appById: (id: string): AppRow | undefined => appById.get({ id }),
    /** Records a key's use at `at` (inside a writer job). */
    touchKey: (id: string, at: number): void => void touchKey.run({ id, at }),
    insertKey: (row: NewApiKey): void => void db.insert(apiKeys).values(row).run(),
    /** The app and its first key in one transaction; the id of the app holding the name instead, if one does. */
    insertAppWithKey(app: NewApp, key: () => NewApiKey): { takenBy: string } | null {
      return db.transaction(() => {
        const taken = db.select({ id: apps.id }).from(apps).where(eq(apps.name, app.name)).get();
        if (taken) return { takenBy: taken.id };
        db.insert(apps).values({ ...app, pk: nextAppPk }).run();
        db.insert(apiKeys).values(key()).run();
        return null;
      });
    },
    /** As insertAppWithKey, inside a transaction the caller holds (a writer job). */
    insertAppWithKeyInTransaction(app: NewApp, key: NewApiKey): { takenBy: string } | null {
      const taken = db.select({ id: apps.id }).from(apps).where(eq(apps.name, app.name)).get();
      if (taken) return { takenBy: taken.id };
      db.insert(apps).values({ ...app, pk: nextAppPk }).run();
      db.insert(apiKeys).values(key).run();
      return null;
    },
    /** False when no active key has that id (of that app, when `appId` is given). */
    revokeKey: (id: string, at: number, appId?: string): boolean =>
      db
        .update(apiKeys)
        .set({ revokedAt: at })
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt), appId === undefined ? undefined : eq(apiKeys.appId, appId)))
        .returning({ id: apiKeys.id })
        .all().length === 1,
    /** Oldest first. */
    keysOf: (appId: string): ApiKeyRow[] => db.select().from(apiKeys).where(eq(apiKeys.appId, appId)).orderBy(apiKeys.createdAt, apiKeys.id).all(),
    /** Every app's allowed origins, as stored (comma-separated), once each. */
    allowedOriginLists: (): string[] => db.selectDistinct({ allowed: apps.allowedOrigins }).from(apps).all().map((row) => row.allowed),
    updateSettings: (appId: string, fields: AppSettingsFields): AppRow | undefined =>
      db.update(apps).set(fields).where(eq(apps.id, appId)).returning().get(),
    /** Oldest first, each with its count of unrevoked keys. */
    appsWithActiveKeys() {
      const activeKeys = db
        .select({ appId: apiKeys.appId, keys: count().as("keys") })
        .from(apiKeys)
        .where(isNull(apiKeys.revokedAt))
        .groupBy(apiKeys.appId)
        .as("active_keys");
      return db
        .select({ app: apps, activeKeys: activeKeys.keys })
        .from(apps)
        .leftJoin(activeKeys, eq(activeKeys.appId, apps.id))
        // id breaks ties, so that a second backend (no rowid) can give the same order.
        .orderBy(apps.createdAt, apps.id)
        .all()
        .map((row) => ({ app: row.app, activeKeys: row.activeKeys ?? 0 }));
    },
    /** False when there is no such app. */
    setSigningSecret: (appId: string, signingSecret: string): boolean =>
      db.update(apps).set({ signingSecret }).where(eq(apps.id, appId)).returning({ id: apps.id }).all().length === 1,
    countApps: (): number => db.select({ n: count() }).from(apps).get()?.n ?? 0,
  };
}

export type CredentialsStore = ReturnType<typeof createCredentialsStore>;
