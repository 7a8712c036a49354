// SQL for dashboard accounts (dashboard_users). Passwords arrive here already hashed. Drizzle:
// a sign-in or a CLI command runs one of these, far from the event hot path.
import { count, eq, sql } from "drizzle-orm";
import type { Db } from "../db";
import { dashboardUsers, type DashboardUserRow } from "../db/schema";

import type { DashboardUser, Role } from "./shapes";

export { ROLES, type DashboardUser, type Role } from "./shapes";

export function publicUser(row: DashboardUserRow): DashboardUser {
  return { id: row.id, email: row.email, role: row.role as Role, createdAt: row.createdAt };
}

export function createUsersStore(db: Db) {
  const byEmail = db.select().from(dashboardUsers).where(eq(dashboardUsers.email, sql.placeholder("email"))).prepare();
  const byId = db.select().from(dashboardUsers).where(eq(dashboardUsers.id, sql.placeholder("id"))).prepare();

  return {
    /** null when the email is taken. */
    insert(row: { id: string; email: string; role: Role; passwordHash: string; now: number }): DashboardUser | null {
      const inserted = db
        .insert(dashboardUsers)
        .values({ id: row.id, email: row.email, role: row.role, passwordHash: row.passwordHash, createdAt: row.now, updatedAt: row.now })
        .onConflictDoNothing()
        .returning()
        .get();
      return inserted ? publicUser(inserted) : null;
    },
    byEmail: (email: string): DashboardUserRow | undefined => byEmail.get({ email }),
    byId: (id: string): DashboardUserRow | undefined => byId.get({ id }),
    list: (): DashboardUser[] => db.select().from(dashboardUsers).orderBy(dashboardUsers.createdAt, dashboardUsers.id).all().map(publicUser),
    count: (): number => db.select({ n: count() }).from(dashboardUsers).get()?.n ?? 0,
    countAdmins: (): number => db.select({ n: count() }).from(dashboardUsers).where(eq(dashboardUsers.role, "admin")).get()?.n ?? 0,
    /** Sessions go with the account (ON DELETE CASCADE). */
    remove: (id: string): boolean => db.delete(dashboardUsers).where(eq(dashboardUsers.id, id)).returning().all().length === 1,
    setPassword(id: string, passwordHash: string, now: number): boolean {
      return db.update(dashboardUsers).set({ passwordHash, updatedAt: now }).where(eq(dashboardUsers.id, id)).returning().all().length === 1;
    },
    setRole(id: string, role: Role, now: number): boolean {
      return db.update(dashboardUsers).set({ role, updatedAt: now }).where(eq(dashboardUsers.id, id)).returning().all().length === 1;
    },
  };
}

export type UsersStore = ReturnType<typeof createUsersStore>;
