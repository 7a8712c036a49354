// trackd backup --db PATH --out FILE: a consistent copy of a database, also while `serve` runs.
import { BackupError, backupDatabase } from "../db/backup";
import { UsageError, resolveSetting } from "../config";
import { CommandError, dbOption, parseCommandArgs } from "./args";

// The online snapshot is SQLite's VACUUM INTO; PostgreSQL has its own, better tools.
export const PG_BACKUP =
  "backup copies a SQLite file and does not apply to PostgreSQL. Back PostgreSQL up with its own tools: " +
  "pg_dump --format=custom (a consistent logical snapshot while trackd keeps writing; pg_restore brings it back), " +
  "or your provider's snapshots and point-in-time recovery (docs/deploy.md, \"What to back up\")";

export function backupCommand(args: string[], env: Record<string, string | undefined>): number {
  const { values } = parseCommandArgs(args, { ...dbOption, out: { type: "string" } });
  if (!values.out?.trim()) throw new UsageError("backup needs --out FILE");
  const target = resolveSetting("db", values, env);
  if (target.kind === "postgres") throw new CommandError(PG_BACKUP);
  const source = target.path;
  if (source === ":memory:") throw new UsageError("backup needs a database file, not :memory:");
  try {
    const result = backupDatabase(source, values.out);
    console.error(
      `backed up ${source} to ${values.out}: ${(result.bytes / 1e6).toFixed(1)} MB, snapshot copied in ${Math.round(result.copyMs)} ms, integrity_check ok (${Math.round(result.checkMs)} ms)`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof BackupError)) throw error;
    console.error(`trackd: ${error.message}`);
    return 1;
  }
}
