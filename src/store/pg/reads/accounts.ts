// Dashboard accounts and sessions on PostgreSQL (AccountReads). Drizzle's builder over
// schema.pg.ts: a sign-in or a page load runs one of these, and the typed rows are SQLite's.
import { asc, count, eq } from "drizzle-orm";
import type { PgDb } from "../../../db/postgres";
import { dashboardSessions, dashboardUsers } from "../../../db/schema.pg";
import type { AccountReads } from "../../types";
import { publicUser } from "../../users";
import { C } from "./collate";

export function createPgAccountReads(db: PgDb): AccountReads {
  const countWhere = async (admins: boolean) =>
    (await db.select({ n: count() }).from(dashboardUsers).where(admins ? eq(dashboardUsers.role, "admin") : undefined))[0]?.n ?? 0;
  return {
    userByEmail: async (email) => (await db.select().from(dashboardUsers).where(eq(dashboardUsers.email, email)))[0],
    userById: async (id) => (await db.select().from(dashboardUsers).where(eq(dashboardUsers.id, id)))[0],
    listUsers: async () => (await db.select().from(dashboardUsers).orderBy(asc(dashboardUsers.createdAt), asc(C(dashboardUsers.id)))).map(publicUser),
    countUsers: () => countWhere(false),
    countAdmins: () => countWhere(true),
    async session(tokenHash) {
      const [row] = await db
        .select({ session: dashboardSessions, user: dashboardUsers })
        .from(dashboardSessions)
        .innerJoin(dashboardUsers, eq(dashboardUsers.id, dashboardSessions.userId))
        .where(eq(dashboardSessions.tokenHash, tokenHash));
      return row;
    },
  };
}
