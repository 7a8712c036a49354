// The only place that listens and handles signals.
import { createApp } from "../app";
import { createAppsService } from "../apps/service";
import { resolveSetting } from "../config";
import { openMigratedDatabase } from "../db";
import { BULK_BODY_LIMIT } from "../ingest/index";
import { consoleLogger as log } from "../log";
import { Writer } from "../writer";
import { credentialsBanner } from "./apps";
import { dbOption, parseCommandArgs } from "./args";
import { version } from "../../package.json";

export async function serveCommand(args: string[], env: Record<string, string | undefined>): Promise<void> {
  const startedAt = performance.now();
  const { values } = parseCommandArgs(args, {
    ...dbOption,
    port: { type: "string" },
    host: { type: "string" },
    durability: { type: "string" },
  });
  const config = {
    db: resolveSetting("db", values, env),
    port: resolveSetting("port", values, env),
    host: resolveSetting("host", values, env),
    durability: resolveSetting("durability", values, env),
  };

  const db = openMigratedDatabase(config.db, config.durability);
  const apps = createAppsService(db);
  if (apps.countApps() === 0) {
    // First run: make the quick start one command long.
    console.log(`${credentialsBanner('Created the app "default" for this new database', apps.createApp("default"))}\n`);
  }

  const writer = new Writer(db.$client);
  // Bun's own body cap answers before our error handler runs, so it sits above the largest
  // per-route limit; each route enforces its own (64 KB, bulk 1 MB) with a proper error.
  const app = createApp({ db, writer }).listen({
    port: config.port,
    hostname: config.host,
    maxRequestBodySize: 2 * BULK_BODY_LIMIT,
  });
  const url = `http://${config.host}:${app.server!.port}`;
  log.info(`trackd ${version} listening on ${url}`, {
    db: config.db,
    durability: config.durability,
    startupMs: Math.round(performance.now() - startedAt),
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: draining`);
    // Stop accepting, let in-flight requests finish (their writes commit on the way), then
    // commit whatever is still queued and close the database cleanly.
    await app.server!.stop();
    writer.close();
    db.$client.close();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}
