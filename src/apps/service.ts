import { timingSafeEqual } from "node:crypto";
import type { Db } from "../db";
import type { AppRow } from "../db/schema";
import { createCredentialsStore, type ApiKeyRow } from "../store/credentials";
import { credentialsCacheFor } from "../store/cache";
import { digestOf, generateKey, generateSigningSecret, parseKey, randomId, SCOPES, type Scope } from "./keys";
import { weightsOf, type Weights } from "../scoring/service";
import { originAllowed } from "./origins";
import { createSessions, ROLE_SCOPES, type Session } from "../accounts/service";

export { originAllowed, parseAllowedOrigins } from "./origins";

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

type VerifiedKey = CachedKey & { keyId: string };

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
   * Records a key's use off the request's path (the server passes a RecordKeyUse command). Without it
   * (the CLI, most tests) key use is not recorded.
   */
  recordUse?: (keyId: string, at: number) => void;
}

export function createAppsService(db: Db, clock: () => number = Date.now, options: AppsServiceOptions = {}) {
  const store = createCredentialsStore(db);
  const cache = credentialsCacheFor(db);
  const sessions = createSessions(db, clock);
  const lastRecorded = new Map<string, number>();

  /** Records that the key served a request, at most once per KEY_USE_INTERVAL_MS. */
  function noteUse(keyId: string): void {
    if (!options.recordUse) return;
    const now = clock();
    const last = lastRecorded.get(keyId);
    if (last !== undefined && now - last < KEY_USE_INTERVAL_MS) return;
    lastRecorded.set(keyId, now);
    options.recordUse(keyId, now);
  }

  function loadKey(keyId: string): CachedKey | undefined {
    const key = store.keyById(keyId);
    const app = key && store.appById(key.appId);
    return (
      app && {
        app,
        digest: Buffer.from(key.secretHash, "hex"),
        revoked: key.revokedAt !== null,
        scopes: new Set(key.scopes.split(",") as Scope[]),
      }
    );
  }

  function keyRow(appId: string, key: ReturnType<typeof generateKey>, scopes: readonly Scope[], now: number) {
    return { id: key.keyId, appId, secretHash: key.secretHash, scopes: scopes.join(","), createdAt: now };
  }

  function insertKey(appId: string, scopes: readonly Scope[], now: number): CreatedKey {
    const key = generateKey();
    store.insertKey(keyRow(appId, key, scopes, now));
    cache.clear();
    return { keyId: key.keyId, appId, apiKey: key.apiKey, scopes: [...scopes] };
  }

  // The secret is compared in constant time, and against a dummy when the key id is unknown.
  // A key that passed is then remembered under the whole presented key ("auth:tk_…"), so the
  // next request with it skips the SHA-256 (2.4 µs). That lookup is not a secret comparison:
  // an entry exists only for a string that already matched in constant time, so finding it
  // needs the whole key, and a miss (any other string, a near-miss included) goes through the
  // constant-time path above as before. What the map's hashing could leak in time is whether a
  // presented string is, in full, a key that was accepted. The entry is dropped with the rest of
  // the cache whenever a key or app changes (cache.ts), so a revoked key is not served from it.
  function verifyKey(apiKey: string): VerifiedKey | null {
    const remembered = cache.peek<VerifiedKey>(`auth:${apiKey}`);
    if (remembered) return remembered;
    const parsed = parseKey(apiKey);
    const key = parsed ? cache.get(`key:${parsed.keyId}`, () => loadKey(parsed.keyId)) : undefined;
    const matches = timingSafeEqual(parsed ? digestOf(parsed.secret) : DUMMY_DIGEST, key?.digest ?? DUMMY_DIGEST);
    if (!parsed || !key || !matches) return null;
    const verified = { keyId: parsed.keyId, ...key };
    cache.set(`auth:${apiKey}`, verified);
    return verified;
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
    create(name: string): CreatedApp {
      const now = clock();
      const app = { id: randomId("app"), name, signingSecret: generateSigningSecret(), createdAt: now };
      const key = generateKey();
      const taken = store.insertAppWithKey(app, () => keyRow(app.id, key, SCOPES, now)); // the first key can do everything
      if (taken) throw new AppNameTaken(name, taken.takenBy);
      cache.clear();
      return { appId: app.id, name, keyId: key.keyId, apiKey: key.apiKey, signingSecret: app.signingSecret };
    },

    /** A further key for the app: to rotate (create, deploy, revoke the old one) or to narrow its scopes. */
    createKey(appId: string, scopes: readonly Scope[] = SCOPES): CreatedKey | null {
      if (!store.appById(appId)) return null;
      return insertKey(appId, scopes, clock());
    },

    /** Returns false when no active key has that id (of that app, when `appId` is given). */
    revokeKey(keyId: string, appId?: string): boolean {
      const revoked = store.revokeKey(keyId, clock(), appId);
      cache.clear();
      return revoked;
    },

    findKey(keyId: string): KeyInfo | undefined {
      const key = store.keyById(keyId);
      return key && keyInfo(key);
    },

    /** The app's keys, oldest first (never their secrets: only hashes are stored); null without the app. */
    listKeys(appId: string): KeyInfo[] | null {
      if (!store.appById(appId)) return null;
      return store.keysOf(appId).map(keyInfo);
    },

    noteUse,

    /** The app named by a browser request (no key there): cached like keys. */
    findApp(appId: string): AppRow | undefined {
      return cache.get(`app:${appId}`, () => store.appById(appId));
    },

    /** Preflights carry no app id: an origin gets a CORS grant there if any app allows it. */
    originAllowedByAnyApp(origin: string): boolean {
      const lists = cache.get("origins", () => store.allowedOriginLists());
      return (lists ?? []).some((allowed) => originAllowed(allowed, origin));
    },

    /** Returns the settings after the change, or null when there is no such app. */
    updateSettings(appId: string, change: SettingsChange): AppSettings | null {
      const updated = store.updateSettings(appId, {
        requireVerified: change.requireVerified,
        allowedOrigins: change.allowedOrigins?.join(","),
        stripeWebhookSecret: change.stripeWebhookSecret,
        healthWeights: change.healthWeights,
        retentionDays: change.retentionDays,
      });
      cache.clear();
      return updated ? settingsOf(updated) : null;
    },

    listApps() {
      return store.appsWithActiveKeys().map(({ app, activeKeys }) => ({
          appId: app.id,
          name: app.name,
          activeKeys,
          ...settingsOf(app),
          createdAt: new Date(app.createdAt).toISOString(),
        }));
    },

    /** A new signing secret: authHashes made with the old one stop verifying at once. */
    rotateSigningSecret(appId: string): string | null {
      const signingSecret = generateSigningSecret();
      const updated = store.setSigningSecret(appId, signingSecret);
      cache.clear();
      return updated ? signingSecret : null;
    },

    countApps(): number {
      return store.countApps();
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

function keyInfo(key: ApiKeyRow): KeyInfo {
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
