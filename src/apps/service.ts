import { timingSafeEqual } from "node:crypto";
import type { NewApiKey } from "../store/commands";
import type { ApiKeyRow, AppRow, Role, Store } from "../store/types";
import { digestOf, generateKey, generateSigningSecret, parseKey, randomId, SCOPES, type Scope } from "./keys";
import { weightsOf, type Weights } from "../health-weights";
import { originAllowed } from "./origins";

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
  /** What authentication answers, made once per key row rather than per request. */
  authenticated: Authenticated;
  /** Presented keys that matched this row in constant time (in practice one): see verifyKey. */
  accepted: Set<string>;
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

/**
 * Dashboard sessions, as the key check (auth.ts) lets them in instead of a key. accounts/
 * implements this and createHttpApp hands it in: accounts' routes list and create apps, so apps
 * (below every feature's routes) cannot import accounts back.
 */
export interface SessionAuth {
  /** The session token the request's cookie carries, if any. */
  tokenOf(request: Request): string | undefined;
  /** The signed-in user's role and what it may do, or null when the session is unknown or has expired. */
  find(token: string): Promise<{ role: Role; scopes: ReadonlySet<Scope> } | null>;
  /** Throws 403 when a state-changing request made with the session fails the CSRF checks. */
  checkCsrf(request: Request, token: string): void;
}

/** Without a dashboard (the CLI, scripts) no cookie signs a request in. */
const NO_SESSIONS: SessionAuth = { tokenOf: () => undefined, find: async () => null, checkCsrf: () => {} };

export interface AppsServiceOptions {
  /**
   * Records a key's use off the request's path (the server passes a RecordKeyUse command). Without it
   * (the CLI, most tests) key use is not recorded.
   */
  recordUse?: (keyId: string, at: number) => void;
  /** Dashboard sessions (accounts/); without them only keys authenticate. */
  sessionAuth?: SessionAuth;
}

/** The rows and command that make a new app and its first key (which can do everything). */
export function newApp(name: string, now: number): { command: { type: "CreateApp"; app: { id: string; name: string; signingSecret: string; createdAt: number }; key: NewApiKey }; created: CreatedApp } {
  const app = { id: randomId("app"), name, signingSecret: generateSigningSecret(), createdAt: now };
  const key = generateKey();
  return {
    command: { type: "CreateApp", app, key: keyRow(app.id, key, SCOPES, now) },
    created: { appId: app.id, name, keyId: key.keyId, apiKey: key.apiKey, signingSecret: app.signingSecret },
  };
}

function keyRow(appId: string, key: ReturnType<typeof generateKey>, scopes: readonly Scope[], now: number): NewApiKey {
  return { id: key.keyId, appId, secretHash: key.secretHash, scopes: scopes.join(","), createdAt: now };
}

export function createAppsService(store: Store, clock: () => number = Date.now, options: AppsServiceOptions = {}) {
  const credentials = store.credentials;
  const sessionAuth = options.sessionAuth ?? NO_SESSIONS;
  const lastRecorded = new Map<string, number>();
  // What a key row becomes for checking (its digest as bytes, its scopes as a set), worked out
  // once per row the store hands back: a cached row is the same object until it changes.
  const checkable = new WeakMap<object, CachedKey>();

  /** Records that the key served a request, at most once per KEY_USE_INTERVAL_MS. */
  function noteUse(keyId: string): void {
    if (!options.recordUse) return;
    const now = clock();
    const last = lastRecorded.get(keyId);
    if (last !== undefined && now - last < KEY_USE_INTERVAL_MS) return;
    lastRecorded.set(keyId, now);
    options.recordUse(keyId, now);
  }

  function checkableOf(found: { key: ApiKeyRow; app: AppRow }): CachedKey {
    let cached = checkable.get(found);
    if (!cached) {
      const { key, app } = found;
      const scopes = new Set(key.scopes.split(",") as Scope[]);
      cached = { app, digest: Buffer.from(key.secretHash, "hex"), revoked: key.revokedAt !== null, authenticated: { app, keyId: key.id, scopes }, accepted: new Set() };
      checkable.set(found, cached);
    }
    return cached;
  }

  // The secret is compared in constant time, and against a dummy when the key id is unknown.
  // A key that passed is then remembered, whole, on its row's entry, so the next request with it
  // skips the SHA-256 (2.4 µs). That lookup is not a secret comparison: a string is in the set
  // only after it matched in constant time, and finding it hashes the whole presented string, so
  // a miss (any other string, a near-miss included) goes through the constant-time path as
  // before; what the set's hashing could leak in time is whether a presented string is, in full,
  // a key that was accepted. The entry belongs to the row the store handed back, and the store
  // hands back a new row once a key or app changes, so a revoked key is not served from it.
  // Synchronous: the callers await the store's lookup themselves, one await per request (each
  // nested async layer measured ~0.2 µs on this path).
  function verifyKey(apiKey: string, parsed: ReturnType<typeof parseKey>, found: { key: ApiKeyRow; app: AppRow } | undefined): CachedKey | null {
    const key = found && checkableOf(found);
    if (key?.accepted.has(apiKey)) return key;
    const matches = timingSafeEqual(parsed ? digestOf(parsed.secret) : DUMMY_DIGEST, key?.digest ?? DUMMY_DIGEST);
    if (!parsed || !key || !matches) return null;
    key.accepted.add(apiKey);
    return key;
  }

  /**
   * "revoked" only for the right secret of a revoked key: whoever holds the whole key may learn
   * it was revoked; a guessed key id learns nothing.
   */
  function outcome(key: CachedKey | null): Authenticated | "revoked" | null {
    if (!key) return null;
    return key.revoked ? "revoked" : key.authenticated;
  }

  return {
    /** Throws AppNameTaken when another app has that name: names are how people tell apps apart. */
    async create(name: string): Promise<CreatedApp> {
      const { command, created } = newApp(name, clock());
      const taken = await store.apply(command);
      if (taken) throw new AppNameTaken(name, taken.takenBy);
      return created;
    },

    /** A further key for the app: to rotate (create, deploy, revoke the old one) or to narrow its scopes. */
    async createKey(appId: string, scopes: readonly Scope[] = SCOPES): Promise<CreatedKey | null> {
      const key = generateKey();
      if (!(await store.apply({ type: "CreateKey", key: keyRow(appId, key, scopes, clock()) }))) return null;
      return { keyId: key.keyId, appId, apiKey: key.apiKey, scopes: [...scopes] };
    },

    /** Returns false when no active key has that id (of that app, when `appId` is given). */
    revokeKey(keyId: string, appId?: string): Promise<boolean> {
      return store.apply({ type: "RevokeKey", keyId, at: clock(), appId });
    },

    async findKey(keyId: string): Promise<KeyInfo | undefined> {
      const key = await credentials.key(keyId);
      return key && keyInfo(key);
    },

    /** The app's keys, oldest first (never their secrets: only hashes are stored); null without the app. */
    async listKeys(appId: string): Promise<KeyInfo[] | null> {
      if (!(await credentials.app(appId))) return null;
      return (await credentials.keysOf(appId)).map(keyInfo);
    },

    noteUse,
    sessionAuth,

    /** The app named by a browser request (no key there): cached like keys. */
    findApp(appId: string): Promise<AppRow | undefined> {
      return credentials.app(appId);
    },

    /** Preflights carry no app id: an origin gets a CORS grant there if any app allows it. */
    async originAllowedByAnyApp(origin: string): Promise<boolean> {
      const lists = await credentials.allowedOriginLists();
      return lists.some((allowed) => originAllowed(allowed, origin));
    },

    /** Returns the settings after the change, or null when there is no such app. */
    async updateSettings(appId: string, change: SettingsChange): Promise<AppSettings | null> {
      const fields = {
        requireVerified: change.requireVerified,
        allowedOrigins: change.allowedOrigins?.join(","),
        stripeWebhookSecret: change.stripeWebhookSecret,
        healthWeights: change.healthWeights,
        retentionDays: change.retentionDays,
      };
      const updated = await store.apply({ type: "UpdateAppSettings", appId, fields });
      return updated ? settingsOf(updated) : null;
    },

    async listApps() {
      return (await credentials.appsWithActiveKeys()).map(({ app, activeKeys }) => ({
          appId: app.id,
          name: app.name,
          activeKeys,
          ...settingsOf(app),
          createdAt: new Date(app.createdAt).toISOString(),
        }));
    },

    /** A new signing secret: authHashes made with the old one stop verifying at once. */
    async rotateSigningSecret(appId: string): Promise<string | null> {
      const signingSecret = generateSigningSecret();
      const updated = await store.apply({ type: "SetSigningSecret", appId, signingSecret });
      return updated ? signingSecret : null;
    },

    countApps(): Promise<number> {
      return credentials.countApps();
    },

    /** The app and the key's scopes, if the key is well-formed, active, matches and is that app's. */
    async authenticate(appId: string, apiKey: string): Promise<Authenticated | "revoked" | null> {
      const parsed = parseKey(apiKey);
      const key = verifyKey(apiKey, parsed, parsed ? await credentials.keyWithApp(parsed.keyId) : undefined);
      return outcome(key?.app.id === appId ? key : null);
    },

    /** A dashboard session instead of a key: any app, with the scopes of the user's role. */
    async authenticateSession(appId: string, token: string): Promise<(Omit<Authenticated, "keyId"> & { role: Role }) | null> {
      const user = await sessionAuth.find(token);
      const app = user ? await credentials.app(appId) : undefined;
      if (!user || !app) return null;
      return { app, scopes: user.scopes, role: user.role };
    },

    /**
     * The key alone names its app (its id is the primary key of its row), as a Segment write
     * key must: the app and the key's scopes if the key is well-formed, active and matches.
     */
    async authenticateKey(apiKey: string): Promise<Authenticated | "revoked" | null> {
      const parsed = parseKey(apiKey);
      return outcome(verifyKey(apiKey, parsed, parsed ? await credentials.keyWithApp(parsed.keyId) : undefined));
    },
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
