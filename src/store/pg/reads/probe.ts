// The database as a whole on PostgreSQL (DatabaseProbe): one constant statement each, raw.
import type postgres from "postgres";
import type { DatabaseProbe } from "../../types";
import { num } from "./numbers";

export function createPgDatabaseProbe(sql: postgres.Sql): DatabaseProbe {
  return {
    async ping() {
      await sql`SELECT 1`;
    },
    // The whole database's files (tables, indexes, TOAST), as SQLite's figure is its whole file.
    bytes: async () => num((await sql`SELECT pg_database_size(current_database()) AS bytes`)[0]!.bytes),
  };
}
