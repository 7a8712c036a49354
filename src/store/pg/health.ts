// Whether a PostgreSQL database answers, and which server it is (for the start-up log line).
import type { PgDb } from "../../db/postgres";

/** The server's version ("15.10"); throws when the database does not answer. */
export async function pingPostgres(db: PgDb): Promise<string> {
  const [row] = await db.$client<{ version: string }[]>`select current_setting('server_version') as version`;
  return row!.version;
}
