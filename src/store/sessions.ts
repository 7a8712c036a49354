// SQL for dashboard sessions (dashboard_sessions): rows keyed by the SHA-256 of the cookie's token.
// Drizzle, prepared once: one lookup per dashboard request, where the builder's ~1 µs is nothing.
import { eq, lt, or, sql } from "drizzle-orm";
import type { Db } from "../db";
import { dashboardSessions, dashboardUsers, type DashboardUserRow } from "../db/schema";

export interface SessionRow {
  tokenHash: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
}

export function createSessionsStore(db: Db) {
  const lookup = db
    .select({ session: dashboardSessions, user: dashboardUsers })
    .from(dashboardSessions)
    .innerJoin(dashboardUsers, eq(dashboardUsers.id, dashboardSessions.userId))
    .where(eq(dashboardSessions.tokenHash, sql.placeholder("tokenHash")))
    .prepare();
  const touch = db
    .update(dashboardSessions)
    .set({ lastSeenAt: sql`${sql.placeholder("now")}` })
    .where(eq(dashboardSessions.tokenHash, sql.placeholder("tokenHash")))
    .prepare();

  return {
    insert(row: SessionRow): void {
      db.insert(dashboardSessions).values(row).run();
    },
    find: (tokenHash: string): { session: SessionRow; user: DashboardUserRow } | undefined => lookup.get({ tokenHash }),
    touch(tokenHash: string, now: number): void {
      touch.run({ tokenHash, now });
    },
    remove(tokenHash: string): void {
      db.delete(dashboardSessions).where(eq(dashboardSessions.tokenHash, tokenHash)).run();
    },
    removeForUser(userId: string): void {
      db.delete(dashboardSessions).where(eq(dashboardSessions.userId, userId)).run();
    },
    /** Drops sessions past either expiry, so the table does not grow with every sign-in. */
    removeExpired(idleBefore: number, createdBefore: number): number {
      return db
        .delete(dashboardSessions)
        .where(or(lt(dashboardSessions.lastSeenAt, idleBefore), lt(dashboardSessions.createdAt, createdBefore)))
        .returning({ tokenHash: dashboardSessions.tokenHash })
        .all().length;
    },
  };
}

export type SessionsStore = ReturnType<typeof createSessionsStore>;
