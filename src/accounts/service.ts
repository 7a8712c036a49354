// Dashboard accounts: creating and changing them (CLI and settings page), and signing in.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { SessionAuth } from "../apps/service";
import { randomId } from "../ids";
import { AppError } from "../errors";
import { RateLimiter, type RateLimit } from "../http/rate-limit";
import { ROLES } from "../store/shapes";
import type { DashboardUser, Role, Store } from "../store/types";
import { checkCsrfUnlessSafe } from "./csrf";
import { createSessions, ROLE_SCOPES, sessionTokenOf } from "./sessions";

// What another feature uses of accounts beside the service: the dashboard's pages send the same headers.
export { PAGE_SECURITY_HEADERS } from "./pages";

export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 1024; // argon2 takes any length; this bounds the work one request can ask for
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export interface AccountsOptions {
  /** Failed sign-ins: token buckets per client IP and per email (known or not). */
  loginPerIp: RateLimit;
  loginPerAccount: RateLimit;
  /** The one-time setup token `serve` prints while no admin exists; undefined: no setup link. */
  setupToken?: string;
}

export const DEFAULT_ACCOUNTS_OPTIONS: AccountsOptions = {
  // 20 failures at once from one IP, then one every 6 s; 5 per account, then one a minute.
  loginPerIp: { rate: 1 / 6, burst: 20 },
  loginPerAccount: { rate: 1 / 60, burst: 5 },
};

export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

export function checkEmail(raw: string): string {
  const email = normalizeEmail(raw);
  if (!EMAIL.test(email) || email.length > 254) throw new AppError("VALIDATION_FAILED", "email must be an address like name@example.com", { details: [{ path: "/email", message: "must be an email address" }] });
  return email;
}

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new AppError("VALIDATION_FAILED", `password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`, {
      details: [{ path: "/password", message: `must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters` }],
    });
  }
}

export function checkRole(raw: string): Role {
  if (!(ROLES as readonly string[]).includes(raw)) {
    throw new AppError("VALIDATION_FAILED", `role must be ${ROLES.join(" or ")}`, { details: [{ path: "/role", message: `must be ${ROLES.join(" or ")}` }] });
  }
  return raw as Role;
}

/**
 * Failed attempts take a token from their buckets; while a bucket is empty every attempt (right
 * password or not) gets 429, so a guesser learns nothing from the answer.
 */
class FailureLimiter {
  private readonly limiter: RateLimiter;
  private readonly blockedUntil = new Map<string, number>();

  constructor(limit: RateLimit, private readonly clock: () => number) {
    this.limiter = new RateLimiter(limit, clock, 50_000);
  }

  /** Seconds to wait, or 0. */
  waitFor(key: string): number {
    const until = this.blockedUntil.get(key);
    if (until === undefined) return 0;
    const left = until - this.clock();
    if (left > 0) return Math.ceil(left / 1000);
    this.blockedUntil.delete(key);
    return 0;
  }

  failed(key: string): number {
    const wait = this.limiter.take(key);
    if (wait > 0) {
      if (this.blockedUntil.size >= 50_000) this.blockedUntil.clear();
      this.blockedUntil.set(key, this.clock() + wait * 1000);
    }
    return wait;
  }
}

export function createAccountsService(store: Store, clock: () => number, options: AccountsOptions = DEFAULT_ACCOUNTS_OPTIONS) {
  const users = store.accounts;
  const sessions = createSessions(store, clock);
  const perIp = new FailureLimiter(options.loginPerIp, clock);
  const perAccount = new FailureLimiter(options.loginPerAccount, clock);
  // Verified against when the email is unknown, so that an unknown address costs one argon2
  // verification like a known one: timing does not tell which emails have accounts.
  let dummyHash: Promise<string> | undefined;

  function rateLimited(seconds: number): AppError {
    return new AppError("RATE_LIMITED", `too many failed sign-ins; try again in ${seconds} s`, { headers: { "retry-after": String(seconds) } });
  }

  async function createUser(rawEmail: string, rawRole: string, password: string): Promise<DashboardUser> {
    const email = checkEmail(rawEmail);
    const role = checkRole(rawRole);
    checkPassword(password);
    const passwordHash = await Bun.password.hash(password, "argon2id");
    const created = await store.apply({ type: "CreateUser", user: { id: randomId("usr"), email, role, passwordHash, createdAt: clock() } });
    if (!created) throw new AppError("VALIDATION_FAILED", `an account with the email ${email} exists`, { details: [{ path: "/email", message: "is taken" }] });
    return created;
  }

  /** How apps' key check lets a dashboard session in instead of a key (createHttpApp hands it to the apps service). */
  const sessionAuth: SessionAuth = {
    tokenOf: sessionTokenOf,
    async find(token) {
      const session = await sessions.find(token);
      return session && { role: session.user.role, scopes: ROLE_SCOPES[session.user.role] };
    },
    checkCsrf: checkCsrfUnlessSafe,
  };

  return {
    sessions,
    sessionAuth,
    createUser,
    listUsers: () => users.listUsers(),
    countUsers: () => users.countUsers(),
    countAdmins: () => users.countAdmins(),
    findUser: (email: string) => users.userByEmail(normalizeEmail(email)),

    /** null when no account has that email. Its sessions end: a new password signs everyone out. */
    async setPassword(email: string, password: string): Promise<DashboardUser | null> {
      checkPassword(password);
      const user = await users.userByEmail(normalizeEmail(email));
      if (!user) return null;
      // The sessions end in the same command.
      await store.apply({ type: "SetUserPassword", userId: user.id, passwordHash: await Bun.password.hash(password, "argon2id"), at: clock() });
      return { id: user.id, email: user.email, role: user.role as Role, createdAt: user.createdAt };
    },

    /** Refuses to leave accounts without any admin (nobody could manage them from the pages). */
    async removeUser(id: string): Promise<boolean> {
      const user = await users.userById(id);
      if (!user) return false;
      if (user.role === "admin" && (await users.countAdmins()) === 1 && (await users.countUsers()) > 1) {
        throw new AppError("VALIDATION_FAILED", "this is the last admin: make another account admin first", { details: [{ path: "/id", message: "is the last admin" }] });
      }
      return store.apply({ type: "RemoveUser", userId: id });
    },

    async setRole(id: string, rawRole: string): Promise<boolean> {
      const role = checkRole(rawRole);
      const user = await users.userById(id);
      if (!user) return false;
      if (user.role === "admin" && role !== "admin" && (await users.countAdmins()) === 1) {
        throw new AppError("VALIDATION_FAILED", "this is the last admin: make another account admin first", { details: [{ path: "/role", message: "would leave no admin" }] });
      }
      return store.apply({ type: "SetUserRole", userId: id, role, at: clock() });
    },

    /** A session token, or 401 (one message whether or not the email exists) or 429. */
    async signIn(rawEmail: string, password: string, ip: string): Promise<{ token: string; user: DashboardUser }> {
      const email = normalizeEmail(rawEmail);
      const wait = Math.max(perIp.waitFor(ip), perAccount.waitFor(email));
      if (wait > 0) throw rateLimited(wait);
      const user = password.length <= MAX_PASSWORD_LENGTH ? await users.userByEmail(email) : undefined;
      dummyHash ??= Bun.password.hash(randomBytes(16).toString("hex"), "argon2id");
      const hash = user?.passwordHash ?? (await dummyHash);
      const ok = password.length <= MAX_PASSWORD_LENGTH && (await Bun.password.verify(password, hash)) && user !== undefined;
      if (!ok) {
        const blocked = Math.max(perIp.failed(ip), perAccount.failed(email));
        if (blocked > 0) throw rateLimited(blocked);
        throw new AppError("UNAUTHORIZED", "wrong email or password");
      }
      // Expired sessions are dropped here, where sessions are made, so the table stays the size of the live ones.
      await sessions.removeExpired();
      return { token: await sessions.start(user.id), user: { id: user.id, email: user.email, role: user.role as Role, createdAt: user.createdAt } };
    },

    /** Whether the one-time setup link still works: it dies once any admin exists. */
    async setupOpen(token: string | undefined): Promise<boolean> {
      const expected = options.setupToken;
      if (!expected || !token || (await users.countAdmins()) > 0) return false;
      const a = Buffer.from(expected);
      const b = Buffer.from(token);
      return a.length === b.length && timingSafeEqual(a, b);
    },

    /** The first admin, through the setup link; signed in at once. */
    async completeSetup(token: string | undefined, email: string, password: string): Promise<{ token: string; user: DashboardUser }> {
      if (!(await this.setupOpen(token))) throw new AppError("FORBIDDEN", "this setup link is not valid (an admin exists already, or the server was restarted: use the link it printed last)");
      const user = await createUser(email, "admin", password);
      return { token: await sessions.start(user.id), user };
    },
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
