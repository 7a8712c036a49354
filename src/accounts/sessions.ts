// Dashboard sessions: a random 256-bit token in an HttpOnly cookie; only its SHA-256 is stored.
// A fast hash is right (as for API keys): the token is random, not a password.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Scope } from "../scopes";
import type { DashboardUserRow, Role, Store } from "../store/types";

export const SESSION_COOKIE = "trackd_session";
/** A session unused this long ends (OWASP's guidance for low-risk apps is 15-30 min; a dashboard left open in a tab is the norm here). */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** However active, a session ends this long after sign-in. */
export const SESSION_ABSOLUTE_MS = 7 * 24 * 60 * 60 * 1000;
/** What a role may do, in API-key scopes: the read routes, and for admins also erasure and settings. */
export const ROLE_SCOPES: Record<Role, ReadonlySet<Scope>> = {
  viewer: new Set(["read"]),
  admin: new Set(["read", "admin"]),
};
/** last_seen_at is written at most this often: a page load makes several API calls. */
const TOUCH_EVERY_MS = 60 * 1000;

export interface SessionUser {
  id: string;
  email: string;
  role: Role;
}

export interface Session {
  user: SessionUser;
  /** The synchronizer token state-changing requests must echo (x-csrf-token). */
  csrf: string;
}

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

/** Derived from the secret token, so it needs no column, yet cannot be computed without the cookie. */
export function csrfTokenFor(token: string): string {
  return createHash("sha256").update(`csrf\0${token}`).digest("base64url");
}

export function csrfMatches(token: string, sent: string | undefined | null): boolean {
  const expected = Buffer.from(csrfTokenFor(token));
  const given = Buffer.from(sent ?? "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The value of one cookie from a Cookie header. */
function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The session token a request's cookie carries, if any. */
export function sessionTokenOf(request: Request): string | undefined {
  return readCookie(request.headers.get("cookie"), SESSION_COOKIE);
}

export function createSessions(store: Store, clock: () => number) {
  return {
    async start(userId: string): Promise<string> {
      const token = randomBytes(32).toString("base64url");
      const now = clock();
      await store.apply({ type: "StartSession", session: { tokenHash: sha256(token), userId, createdAt: now, lastSeenAt: now } });
      return token;
    },

    /** The session's user, or null when the token is unknown or past its idle or absolute expiry. */
    async find(token: string | undefined): Promise<Session | null> {
      if (!token) return null;
      const tokenHash = sha256(token);
      const found = await store.accounts.session(tokenHash);
      if (!found) return null;
      const now = clock();
      const { session, user } = found;
      // Housekeeping: awaited, so the next request reads what this one wrote, but a full write
      // queue must not turn a page load into a 503. An expired row is refused by the check here
      // whether or not it is gone (sign-ins remove every expired one); a missed touch is retried
      // by the next request.
      if (now - session.lastSeenAt > SESSION_IDLE_MS || now - session.createdAt > SESSION_ABSOLUTE_MS) {
        await store.apply({ type: "EndSession", tokenHash }).catch(() => {});
        return null;
      }
      if (now - session.lastSeenAt > TOUCH_EVERY_MS) await store.apply({ type: "TouchSession", tokenHash, at: now }).catch(() => {});
      return { user: sessionUser(user), csrf: csrfTokenFor(token) };
    },

    async end(token: string | undefined): Promise<void> {
      if (token) await store.apply({ type: "EndSession", tokenHash: sha256(token) });
    },

    removeExpired(): Promise<number> {
      const now = clock();
      return store.apply({ type: "RemoveExpiredSessions", idleBefore: now - SESSION_IDLE_MS, createdBefore: now - SESSION_ABSOLUTE_MS });
    },
  };
}

function sessionUser(row: DashboardUserRow): SessionUser {
  return { id: row.id, email: row.email, role: row.role as Role };
}

export type Sessions = ReturnType<typeof createSessions>;
