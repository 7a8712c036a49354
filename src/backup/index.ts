// Online backup: a consistent copy of a live database, taken from a connection of its own while
// the server keeps writing. `VACUUM INTO` reads the whole database inside ONE read transaction,
// so the copy is one snapshot (every event committed before it began, none half-written); in
// WAL mode a reader never blocks the writer, and the server's commits go on meanwhile.
// bun:sqlite has no binding for SQLite's backup API, and that API would restart its copy after
// every commit of another connection: under steady ingestion it would never finish.
import { Database } from "bun:sqlite";
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface BackupResult {
  bytes: number;
  /** How long the snapshot's read transaction was open. */
  copyMs: number;
  checkMs: number;
}

export class BackupError extends Error {}

/**
 * Copies `source` to `out` (which must not exist). The copy goes to a temporary file beside
 * `out`, is checked with `PRAGMA integrity_check`, synced, and only then renamed into place, so
 * `out` is either absent or a complete, checked database.
 */
export function backupDatabase(source: string, out: string): BackupResult {
  if (!existsSync(source)) throw new BackupError(`no database at ${source}`);
  if (existsSync(out)) throw new BackupError(`${out} already exists; a backup never overwrites a file`);
  const partial = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
  rmSync(partial, { force: true });
  try {
    const copyMs = copySnapshot(source, partial);
    const startedCheck = performance.now();
    checkIntegrity(partial);
    const checkMs = performance.now() - startedCheck;
    syncFile(partial);
    renameSync(partial, out);
    syncFile(dirname(out)); // the rename itself survives a power loss only once its folder is synced
    return { bytes: statSync(out).size, copyMs, checkMs };
  } finally {
    rmSync(partial, { force: true });
  }
}

function copySnapshot(source: string, into: string): number {
  // Not migrated and not reconfigured: a backup changes nothing in the source. The busy timeout
  // covers the moment a checkpoint holds the lock a new reader briefly needs.
  const db = new Database(source, { readwrite: true, create: false });
  try {
    db.run("PRAGMA busy_timeout = 5000");
    const startedAt = performance.now();
    db.run("VACUUM INTO ?", [into]);
    return performance.now() - startedAt;
  } finally {
    db.close();
  }
}

function checkIntegrity(path: string): void {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all();
    const problems = rows.map((row) => row.integrity_check).filter((line) => line !== "ok");
    if (problems.length > 0) throw new BackupError(`the copy failed integrity_check: ${problems.slice(0, 5).join("; ")}`);
  } finally {
    db.close();
  }
}

function syncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
