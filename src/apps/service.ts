import { timingSafeEqual } from "node:crypto";
import { count, eq, isNull, and, sql } from "drizzle-orm";
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

export class AppNameTaken extends Error {
  constructor(
    readonly name: string,
    readonly appId: string,
  ) {
    super(`an app named "${name}" already exists (${appId})`);
  }
}

/** A key as `trackd keys list` shows it. */
export interface KeyInfo {
  keyId: string;
  scopes: Scope[];
  createdAt: string;
  revokedAt: string | null;
  /** When a server last accepted it, to within KEY_USE_INTERVAL_MS; null if never recorded. */
  lastUsedAt: string | null;
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
  /** Days of raw events kept before today (src/retention); null keeps them forever. */
  retentionDays: number | null;
}

/** A change to the settings; null removes the Stripe webhook secret. */
export type SettingsChange = Partial<
  Omit<AppSettings, "stripeWebhook" | "healthWeights"> & { stripeWebhookSecret: string | null; healthWeights: Weights | null }
>;

/** A request's credentials, once checked: the app and what the key may do. */
export interface Authenticated {
  app: AppRow;
  keyId: string;
  scopes: ReadonlySet<Scope>;
}

// Compared against when the key id is unknown, so a miss costs the same as a hit.
const DUMMY_DIGEST = digestOf("");

/**
 * A key's last use is written at most this often per key: one small write every few minutes per
 * active key, never one per request. So `lastUsedAt` may be up to this much earlier than the
 * real last use.
 */
export const KEY_USE_INTERVAL_MS = 5 * 60_000;

export interface AppsServiceOptions {
  /**
   * Runs a write off the request's path (the server passes the writer's submit). Without it
   * (the CLI, most tests) key use is not recorded.
   */
  recordUse?: (write: () => void) => void;
}

export function createAppsService(db: Db, clock: () => number = Date.now, options: AppsServiceOptions = {}) {
  const keyById = db.select().from(apiKeys).where(eq(apiKeys.id, sql.placeholder("id"))).prepare();
  const appById = db.select().from(apps).where(eq(apps.id, sql.placeholder("id"))).prepare();
  const cache = credentialsCacheFor(db.$client);
  const sessions = createSessions(db, clock);
  // Only ever moves forward, whichever of two processes writes last.
  const touchKey = db.$client.prepare<never, { id: string; at: number }>(
    "UPDATE api_keys SET last_used_at = $at WHERE id = $id AND (last_used_at IS NULL OR last_used_at < $at)",
  );
  const lastRecorded = new Map<string, number>();

  /** Records that the key served a request, at most once per KEY_USE_INTERVAL_MS. */
  function noteUse(keyId: string): void {
    if (!options.recordUse) return;
    const now = clock();
    const last = lastRecorded.get(keyId);
    if (last !== undefined && now - last < KEY_USE_INTERVAL_MS) return;
    lastRecorded.set(keyId, now);
    options.recordUse(() => touchKey.run({ id: keyId, at: now }));
  }

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

  // The secret is compared in constant time, and against a dummy when the key id is unknown.
  function verifyKey(apiKey: string) {
    const parsed = parseKey(apiKey);
    const key = parsed ? cache.get(`key:${parsed.keyId}`, () => loadKey(parsed.keyId)) : undefined;
    const matches = timingSafeEqual(parsed ? digestOf(parsed.secret) : DUMMY_DIGEST, key?.digest ?? DUMMY_DIGEST);
    return parsed && key && matches ? { keyId: parsed.keyId, ...key } : null;
  }

  /**
   * "revoked" only for the right secret of a revoked key: whoever holds the whole key may learn
   * it was revoked; a guessed key id learns nothing.
   */
  function outcome(key: ReturnType<typeof verifyKey>): Authenticated | "revoked" | null {
    if (!key) return null;
    return key.revoked ? "revoked" : { app: key.app, keyId: key.keyId, scopes: key.scopes };
  }

  return {
    /** Throws AppNameTaken when another app has that name: names are how people tell apps apart. */
    createApp(name: string): CreatedApp {
      const now = clock();
      return db.transaction(() => {
        const taken = db.select({ id: apps.id }).from(apps).where(eq(apps.name, name)).get();
        if (taken) throw new AppNameTaken(name, taken.id);
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

    findKey(keyId: string): KeyInfo | undefined {
      const key = keyById.get({ id: keyId });
      return key && keyInfo(key);
    },

    /** The app's keys, oldest first (never their secrets: only hashes are stored); null without the app. */
    listKeys(appId: string): KeyInfo[] | null {
      if (!appById.get({ id: appId })) return null;
      return db
        .select()
        .from(apiKeys)
        .where(eq(apiKeys.appId, appId))
        .orderBy(apiKeys.createdAt, apiKeys.id)
        .all()
        .map(keyInfo);
    },

    noteUse,

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
          retentionDays: change.retentionDays,
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
    authenticate(appId: string, apiKey: string): Authenticated | "revoked" | null {
      const key = verifyKey(apiKey);
      return outcome(key?.app.id === appId ? key : null);
    },

    /** A dashboard session instead of a key: any app, with the scopes of the user's role. */
    authenticateSession(appId: string, token: string): (Omit<Authenticated, "keyId"> & { session: Session }) | null {
      const session = sessions.find(token);
      const app = session ? this.findApp(appId) : undefined;
      if (!session || !app) return null;
      return { app, scopes: ROLE_SCOPES[session.user.role], session };
    },

    /**
     * The key alone names its app (its id is the primary key of its row), as a Segment write
     * key must: the app and the key's scopes if the key is well-formed, active and matches.
     */
    authenticateKey: (apiKey: string) => outcome(verifyKey(apiKey)),
  };
}

function keyInfo(key: typeof apiKeys.$inferSelect): KeyInfo {
  return {
    keyId: key.id,
    scopes: key.scopes.split(",") as Scope[],
    createdAt: new Date(key.createdAt).toISOString(),
    revokedAt: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
    lastUsedAt: key.lastUsedAt === null ? null : new Date(key.lastUsedAt).toISOString(),
  };
}

function settingsOf(app: AppRow): AppSettings {
  return {
    requireVerified: app.requireVerified,
    allowedOrigins: app.allowedOrigins.split(","),
    stripeWebhook: app.stripeWebhookSecret !== null,
    healthWeights: weightsOf(app.healthWeights),
    retentionDays: app.retentionDays,
  };
}

export type AppsService = ReturnType<typeof createAppsService>;
