import { timingSafeEqual } from "node:crypto";
import { count, desc, eq, isNull, and, sql } from "drizzle-orm";
import type { Db } from "../db";
import { apiKeys, apps, type AppRow } from "../db/schema";
import { credentialsCacheFor } from "./cache";
import { digestOf, generateKey, generateSigningSecret, parseKey, randomId, SCOPES, type Scope } from "./keys";
import { weightsOf, type Weights } from "../scoring/weights";
import { originAllowed } from "./origins";
import { createSessions, ROLE_SCOPES, type Session } from "../accounts/sessions";

export interface CreatedApp {
  appId: string;
  name: string;
  keyId: string;
  apiKey: string;
  signingSecret: string;
}

export interface CreatedKey {
  keyId: string;
  appId: string;
  apiKey: string;
  scopes: Scope[];
}

interface CachedKey {
  app: AppRow;
  /** SHA-256 of the key's secret. */
  digest: Buffer;
  revoked: boolean;
  scopes: ReadonlySet<Scope>;
}

/** How an app treats browser events and Stripe webhooks; changed with `trackd apps update`. */
export interface AppSettings {
  requireVerified: boolean;
  /** Canonical origins, or ["*"]. */
  allowedOrigins: string[];
  /** Whether a Stripe webhook secret is set (the secret itself is never shown back). */
  stripeWebhook: boolean;
  /** The health score's weights in effect: the defaults unless set. */
  healthWeights: Weights;
}

/** A change to the settings; null removes the Stripe webhook secret. */
export type SettingsChange = Partial<
  Omit<AppSettings, "stripeWebhook" | "healthWeights"> & { stripeWebhookSecret: string | null; healthWeights: Weights | null }
>;

/** A request's credentials, once checked: the app and what the key may do. */
export interface Authenticated {
  app: AppRow;
  scopes: ReadonlySet<Scope>;
}

// Compared against when the key id is unknown, so a miss costs the same as a hit.
const DUMMY_DIGEST = digestOf("");

export function createAppsService(db: Db, clock: () => number = Date.now) {
  const keyById = db.select().from(apiKeys).where(eq(apiKeys.id, sql.placeholder("id"))).prepare();
  const appById = db.select().from(apps).where(eq(apps.id, sql.placeholder("id"))).prepare();
  const cache = credentialsCacheFor(db.$client);
  const sessions = createSessions(db, clock);

  function loadKey(keyId: string): CachedKey | undefined {
    const key = keyById.get({ id: keyId });
    const app = key && appById.get({ id: key.appId });
    return (
      app && {
        app,
        digest: Buffer.from(key.secretHash, "hex"),
        revoked: key.revokedAt !== null,
        scopes: new Set(key.scopes.split(",") as Scope[]),
      }
    );
  }

  function insertKey(appId: string, scopes: readonly Scope[], now: number): CreatedKey {
    const key = generateKey();
    db.insert(apiKeys)
      .values({ id: key.keyId, appId, secretHash: key.secretHash, scopes: scopes.join(","), createdAt: now })
      .run();
    cache.clear();
    return { keyId: key.keyId, appId, apiKey: key.apiKey, scopes: [...scopes] };
  }

  return {
    createApp(name: string): CreatedApp {
      const now = clock();
      return db.transaction(() => {
        const app = { id: randomId("app"), name, signingSecret: generateSigningSecret(), createdAt: now };
        db.insert(apps).values(app).run();
        const key = insertKey(app.id, SCOPES, now); // the first key can do everything
        return { appId: app.id, name, keyId: key.keyId, apiKey: key.apiKey, signingSecret: app.signingSecret };
      });
    },

    /** A further key for the app: to rotate (create, deploy, revoke the old one) or to narrow its scopes. */
    createKey(appId: string, scopes: readonly Scope[] = SCOPES): CreatedKey | null {
      if (!appById.get({ id: appId })) return null;
      return insertKey(appId, scopes, clock());
    },

    /** Returns false when no active key has that id (of that app, when `appId` is given). */
    revokeKey(keyId: string, appId?: string): boolean {
      const revoked = db
        .update(apiKeys)
        .set({ revokedAt: clock() })
        .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt), appId === undefined ? undefined : eq(apiKeys.appId, appId)))
        .returning({ id: apiKeys.id })
        .all();
      cache.clear();
      return revoked.length === 1;
    },

    /** The app named by a browser request (no key there): cached like keys. */
    findApp(appId: string): AppRow | undefined {
      return cache.get(`app:${appId}`, () => appById.get({ id: appId }));
    },

    /** Preflights carry no app id: an origin gets a CORS grant there if any app allows it. */
    originAllowedByAnyApp(origin: string): boolean {
      const lists = cache.get("origins", () => db.selectDistinct({ allowed: apps.allowedOrigins }).from(apps).all());
      return (lists ?? []).some(({ allowed }) => originAllowed(allowed, origin));
    },

    /** Returns the settings after the change, or null when there is no such app. */
    updateSettings(appId: string, change: SettingsChange): AppSettings | null {
      const updated = db
        .update(apps)
        .set({
          requireVerified: change.requireVerified,
          allowedOrigins: change.allowedOrigins?.join(","),
          stripeWebhookSecret: change.stripeWebhookSecret,
          healthWeights: change.healthWeights,
        })
        .where(eq(apps.id, appId))
        .returning()
        .get();
      cache.clear();
      return updated ? settingsOf(updated) : null;
    },

    listApps() {
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
        .orderBy(apps.createdAt)
        .all()
        .map(({ app, activeKeys }) => ({
          appId: app.id,
          name: app.name,
          activeKeys: activeKeys ?? 0,
          ...settingsOf(app),
          createdAt: new Date(app.createdAt).toISOString(),
        }));
    },

    /** The app's keys, newest first, revoked ones included: ids, scopes and dates, never secrets. */
    listKeys(appId: string) {
      return db
        .select()
        .from(apiKeys)
        .where(eq(apiKeys.appId, appId))
        .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
        .all()
        .map((key) => ({
          keyId: key.id,
          scopes: key.scopes.split(",") as Scope[],
          createdAt: new Date(key.createdAt).toISOString(),
          revokedAt: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
        }));
    },

    /** A new signing secret: authHashes made with the old one stop verifying at once. */
    rotateSigningSecret(appId: string): string | null {
      const signingSecret = generateSigningSecret();
      const updated = db.update(apps).set({ signingSecret }).where(eq(apps.id, appId)).returning({ id: apps.id }).all();
      cache.clear();
      return updated.length === 1 ? signingSecret : null;
    },

    countApps(): number {
      return db.select({ n: count() }).from(apps).get()?.n ?? 0;
    },

    /** The app and the key's scopes, if the key is well-formed, active, matches and is that app's. */
    authenticate(appId: string, apiKey: string): Authenticated | null {
      const parsed = parseKey(apiKey);
      const key = parsed ? cache.get(`key:${parsed.keyId}`, () => loadKey(parsed.keyId)) : undefined;
      const matches = timingSafeEqual(parsed ? digestOf(parsed.secret) : DUMMY_DIGEST, key?.digest ?? DUMMY_DIGEST);
      if (!parsed || !key || !matches || key.revoked || key.app.id !== appId) return null;
      return { app: key.app, scopes: key.scopes };
    },

    /** A dashboard session instead of a key: any app, with the scopes of the user's role. */
    authenticateSession(appId: string, token: string): (Authenticated & { session: Session }) | null {
      const session = sessions.find(token);
      const app = session ? this.findApp(appId) : undefined;
      if (!session || !app) return null;
      return { app, scopes: ROLE_SCOPES[session.user.role], session };
    },
  };
}

function settingsOf(app: AppRow): AppSettings {
  return {
    requireVerified: app.requireVerified,
    allowedOrigins: app.allowedOrigins.split(","),
    stripeWebhook: app.stripeWebhookSecret !== null,
    healthWeights: weightsOf(app.healthWeights),
  };
}

export type AppsService = ReturnType<typeof createAppsService>;
