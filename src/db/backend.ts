// One way to open whichever database --db names (issue 19): SQLite as it always was, or a
// PostgreSQL pool with its embedded migrations applied under the migration lock. Commands and
// the server switch on `kind` afterwards; nothing else decides which database is in use.
import { existsSync } from "node:fs";
import { closeDatabase, openMigratedDatabase, type Db, type Durability } from "./index";
import { closePostgres, migratePostgres, openPostgres, type PgDb } from "./postgres";
import { describeTarget, scrubSecret, type DbTarget } from "./target";

export type Backend = { kind: "sqlite"; target: DbTarget & { kind: "sqlite" }; db: Db } | { kind: "postgres"; target: DbTarget & { kind: "postgres" }; db: PgDb };

export interface BackendOptions {
  durability?: Durability;
  /** PostgreSQL: connections in the pool. */
  pgPool?: number;
  /** SQLite: refuse a file that doesn't exist rather than create it (a mistyped path). */
  mustExist?: boolean;
}

/** The database could not be opened or migrated; the message names it without its password. */
export class BackendError extends Error {}

/** The backend of `target`'s kind (a postgres target opens a postgres backend). */
export type BackendOf<T extends DbTarget> = Extract<Backend, { kind: T["kind"] }>;

export async function openBackend<T extends DbTarget>(target: T, options?: BackendOptions): Promise<BackendOf<T>>;
export async function openBackend(target: DbTarget, options: BackendOptions = {}): Promise<Backend> {
  if (target.kind === "sqlite") {
    if (options.mustExist && target.path !== ":memory:" && !existsSync(target.path)) {
      throw new BackendError(`no database at ${target.path} (create one with 'trackd apps create' or 'trackd serve')`);
    }
    return { kind: "sqlite", target, db: openMigratedDatabase(target.path, options.durability) };
  }
  const db = openPostgres(target.url, { max: options.pgPool, durability: options.durability, pooler: target.pooler });
  try {
    await migratePostgres(db);
  } catch (error) {
    await closePostgres(db, 0).catch(() => {});
    throw new BackendError(`could not connect to or migrate PostgreSQL at ${describeTarget(target)}: ${scrubSecret(target, describeError(error))}`);
  }
  return { kind: "postgres", target, db };
}

export async function closeBackend(backend: Backend): Promise<void> {
  if (backend.kind === "sqlite") closeDatabase(backend.db, true);
  else await closePostgres(backend.db);
}

/** A driver error in one line: postgres-js puts the useful part in `code` for network failures. */
function describeError(error: unknown): string {
  const { message, code } = error as { message?: string; code?: string };
  const text = message || String(error);
  return code && !text.includes(code) ? `${code}: ${text}` : text;
}
