// The apps with a retention period, on PostgreSQL (RetentionReads). Raw postgres-js, like the
// purge it schedules (the applier's retention.ts).
import type postgres from "postgres";
import type { RetentionReads } from "../../types";
import { num } from "./numbers";

export function createPgRetentionReads(sql: postgres.Sql): RetentionReads {
  return {
    async appsWithRetention() {
      const rows = await sql`
        SELECT id, retention_days FROM apps WHERE retention_days IS NOT NULL ORDER BY created_at, id COLLATE "C"`;
      return rows.map((row) => ({ id: row.id as string, retentionDays: num(row.retention_days) }));
    },
  };
}
