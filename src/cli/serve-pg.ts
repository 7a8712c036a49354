// `serve --db postgres://…` (issue 19), as far as it goes before the PostgreSQL store exists:
// connect, apply the embedded migrations under the migration lock, check that the database
// answers and that this node can hear other nodes' cache changes, then stop with a message
// saying what is missing. When the store lands, this is where the server is built on it.
import { closeBackend, openBackend, BackendError } from "../db/backend";
import type { Durability } from "../db";
import type { DbTarget } from "../db/target";
import { pingPostgres } from "../store/pg/health";
import { watchCacheVersion } from "../store/pg/invalidation";
import type { Logger } from "../log";
import { CommandError } from "./args";

export async function servePostgres(
  target: DbTarget & { kind: "postgres" },
  options: { durability: Durability; pgPool: number; cachePollMs: number; log: Logger },
): Promise<void> {
  const { log } = options;
  const startedAt = performance.now();
  let backend;
  try {
    backend = await openBackend(target, { durability: options.durability, pgPool: options.pgPool });
  } catch (error) {
    if (error instanceof BackendError) throw new CommandError(error.message);
    throw error;
  }
  try {
    const server = await pingPostgres(backend.db);
    const watcher = await watchCacheVersion(backend.db, { pollMs: options.cachePollMs });
    await watcher.close();
    log.info("PostgreSQL migrated and reachable", {
      db: target.display,
      server,
      pool: options.pgPool,
      synchronousCommit: options.durability === "full" ? "on" : "off",
      startupMs: Math.round(performance.now() - startedAt),
    });
  } finally {
    await closeBackend(backend);
  }
  throw new CommandError(
    `serve on PostgreSQL stops here: the database at ${target.display} is migrated and answers, but trackd's PostgreSQL store ` +
      "(the reads and the write applier) is not built yet (issue 19), so there is nothing to serve with. Use a SQLite file (--db PATH) meanwhile.",
  );
}
