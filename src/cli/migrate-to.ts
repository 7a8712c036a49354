// trackd migrate-to --db FILE --to postgres://…: move a SQLite database to PostgreSQL (issue 19).
// The target database must exist (CREATE DATABASE is the operator's) and hold no trackd rows;
// its schema is migrated here. The SQLite file is only read, so a server may keep running on it,
// but what it writes after the copy's snapshot is not copied: stop it first for a clean move.
import { UsageError, resolveSetting } from "../config";
import { closeBackend, openBackend, BackendError } from "../db/backend";
import { CopyError, copySqliteToPostgres } from "../db/copy";
import { parseDbTarget, scrubSecret, DbTargetError } from "../db/target";
import { CommandError, dbOption, parseCommandArgs } from "./args";

export async function migrateToCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values } = parseCommandArgs(args, { ...dbOption, to: { type: "string" } });
  const source = resolveSetting("db", values, env);
  if (source.kind !== "sqlite") throw new UsageError("migrate-to copies FROM a SQLite file: --db (or TRACKD_DB) must be its path");
  if (source.path === ":memory:") throw new UsageError("migrate-to needs a database file, not :memory:");
  if (!values.to) throw new UsageError("migrate-to needs --to postgres://user:password@host:5432/database");
  let target;
  try {
    target = parseDbTarget(values.to);
  } catch (error) {
    if (error instanceof DbTargetError) throw new UsageError(`--to ${error.message}`);
    throw error;
  }
  if (target.kind !== "postgres") throw new UsageError("--to must be a postgres:// URL");

  const started = performance.now();
  let from, to;
  try {
    from = await openBackend(source, { mustExist: true });
    to = await openBackend(target, { pgPool: 2 });
    console.error(`copying ${source.path} to ${target.display}`);
    const copied = await copySqliteToPostgres(from.db, to.db, {
      onTable: ({ table, rows }) => console.log(`${table.padEnd(24)} ${rows}`),
    });
    const total = copied.reduce((sum, table) => sum + table.rows, 0);
    console.error(
      `copied ${total} rows in ${copied.length} tables in ${((performance.now() - started) / 1000).toFixed(1)} s; every table's row count matches the source`,
    );
    return 0;
  } catch (error) {
    if (error instanceof BackendError) throw new UsageError(error.message);
    if (error instanceof CopyError) throw new CommandError(error.message);
    // A driver error (a value PostgreSQL refused): the transaction rolled back, the target is empty.
    throw new CommandError(`the copy failed and nothing was committed: ${scrubSecret(target, (error as Error).message ?? String(error))}`);
  } finally {
    if (to) await closeBackend(to);
    if (from) await closeBackend(from);
  }
}
