// trackd backup --db PATH --out FILE: a consistent copy of a database, also while `serve` runs.
import { BackupError, backupDatabase } from "../backup/index";
import { UsageError, resolveSetting } from "../config";
import { dbOption, parseCommandArgs } from "./args";

export function backupCommand(args: string[], env: Record<string, string | undefined>): number {
  const { values } = parseCommandArgs(args, { ...dbOption, out: { type: "string" } });
  if (!values.out?.trim()) throw new UsageError("backup needs --out FILE");
  const source = resolveSetting("db", values, env);
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
