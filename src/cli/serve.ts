// The only place that listens and handles signals.
import { randomBytes } from "node:crypto";
import { createAccountsService } from "../accounts/service";
import { createHttpApp } from "../app";
import { AppNameTaken, createAppsService } from "../apps/service";
import { UsageError, resolveSetting } from "../config";
import { createLogger } from "../log";
import { createMonitoring } from "../monitoring/service";
import { createRetentionPass } from "../retention/pass";
import { scheduleRetention } from "../retention/schedule";
import { createHealthPass } from "../scoring/pass";
import { scheduleHealthPasses } from "../scoring/schedule";
import { credentialsBanner } from "./apps";
import { dbOption, parseCommandArgs } from "./args";
import { openPgServing } from "./serve-pg";
import { openSqliteServing } from "./serving";
import { version } from "../../package.json";

/** A repeat of the first stop signal within this long is the same request delivered twice. */
const REPEAT_WINDOW_MS = 1_000;

export async function serveCommand(args: string[], env: Record<string, string | undefined>): Promise<void> {
  const startedAt = performance.now();
  const { values } = parseCommandArgs(args, {
    ...dbOption,
    port: { type: "string" },
    host: { type: "string" },
    durability: { type: "string" },
    "drain-timeout": { type: "string" },
    "max-pending": { type: "string" },
    "client-ip-rate": { type: "string" },
    "client-ip-burst": { type: "string" },
    "client-app-rate": { type: "string" },
    "client-app-burst": { type: "string" },
    "trust-proxy": { type: "string" },
    "health-interval": { type: "string" },
    "public-url": { type: "string" },
    "retention-interval": { type: "string" },
    "metrics-token": { type: "string" },
    "log-format": { type: "string" },
    "log-level": { type: "string" },
    "access-log": { type: "string" },
    "pg-pool": { type: "string" },
    "pg-cache-poll": { type: "string" },
  });
  const log = createLogger({ format: resolveSetting("logFormat", values, env), level: resolveSetting("logLevel", values, env) });
  const target = resolveSetting("db", values, env);
  const config = {
    port: resolveSetting("port", values, env),
    host: resolveSetting("host", values, env),
    durability: resolveSetting("durability", values, env),
    drainTimeoutMs: resolveSetting("drainTimeout", values, env) * 1000,
    maxPending: resolveSetting("maxPending", values, env),
    client: {
      perIp: { rate: resolveSetting("clientIpRate", values, env), burst: resolveSetting("clientIpBurst", values, env) },
      perApp: { rate: resolveSetting("clientAppRate", values, env), burst: resolveSetting("clientAppBurst", values, env) },
      trustProxy: resolveSetting("trustProxy", values, env),
    },
    healthIntervalMs: resolveSetting("healthInterval", values, env) * 60_000,
    publicUrl: resolveSetting("publicUrl", values, env),
    retentionIntervalMs: resolveSetting("retentionInterval", values, env) * 60_000,
    metricsToken: resolveSetting("metricsToken", values, env),
    accessLogSample: resolveSetting("accessLog", values, env),
  };

  const serving =
    target.kind === "postgres"
      ? await openPgServing(target, {
          durability: config.durability,
          maxPending: config.maxPending,
          pgPool: resolveSetting("pgPool", values, env),
          cachePollMs: resolveSetting("pgCachePoll", values, env),
          log,
        })
      : openSqliteServing(target.path, { durability: config.durability, maxPending: config.maxPending, log });
  const { store } = serving;
  // While no admin exists, a one-time link (printed below) lets the first one be created.
  const accounts = createAccountsService(store, Date.now);
  const setupToken = (await accounts.countAdmins()) === 0 ? randomBytes(24).toString("base64url") : undefined;
  const monitoring = createMonitoring({ store });
  const app = createHttpApp({
    store,
    client: config.client,
    logger: log,
    accessLog: { sample: config.accessLogSample },
    recordKeyUse: true,
    monitoring,
    metricsToken: config.metricsToken,
    dashboard: { setupToken, publicUrl: config.publicUrl },
  });
  try {
    // Bun's own body cap answers a bare 413 before any route (and logs chunked ones as unhandled
    // errors), so it is lifted: each route reads its body as it streams and stops at its own
    // limit (src/http/body.ts), answering 413 in the error shape. No route buffers a body it
    // doesn't read, so an unread body costs nothing.
    // reusePort off (Elysia turns it on): with it a second trackd on the same port started and
    // the kernel split the traffic between two writers. Now a taken port is EADDRINUSE.
    app.listen({ port: config.port, hostname: config.host, maxRequestBodySize: Number.MAX_SAFE_INTEGER, reusePort: false });
  } catch (error) {
    await serving.close();
    const code = (error as { code?: string }).code;
    if (code === "EADDRINUSE") {
      throw new UsageError(`port ${config.port} on ${config.host} is already in use (another trackd, or another program): stop it or pick another --port`);
    }
    throw error;
  }

  // Signals are handled from the moment the port is bound (GET /healthz answers from then on),
  // not after the first-run setup below, which waits on the store.
  let health: ReturnType<typeof scheduleHealthPasses> | undefined;
  let retention: ReturnType<typeof scheduleRetention> | undefined;
  let stopping: { signal: string; at: number } | undefined;
  const shutdown = async (signal: string) => {
    if (stopping) {
      // One Ctrl-C under `bun start` arrives twice: the terminal signals the whole process
      // group and `bun run` forwards its own copy. The same signal again within the window is
      // that echo, not a second request.
      if (signal === stopping.signal && performance.now() - stopping.at < REPEAT_WINDOW_MS) return;
      // A second signal means "now": commit what is queued and go.
      log.info(`${signal} again: exiting without waiting for in-flight requests`);
      serving.abandon();
      process.exit(1);
    }
    stopping = { signal, at: performance.now() };
    log.info(`${signal}: draining (up to ${config.drainTimeoutMs / 1000} s)`);
    // A pass in progress ends at its next range (milliseconds), while the writer still takes its jobs.
    await health?.stop();
    await retention?.stop();
    // Stop accepting and let in-flight requests finish (their writes commit on the way); a
    // client that stalls mid-request doesn't get to hold the shutdown hostage.
    const drained = await Promise.race([app.server!.stop().then(() => true), Bun.sleep(config.drainTimeoutMs).then(() => false)]);
    if (!drained) {
      log.info("drain timed out: closing the remaining connections");
      await app.server!.stop(true);
    }
    // The access log and the metrics see a request in Elysia's onAfterResponse, which runs on
    // setImmediate after the reply is written. Bun 1.4.5 can keep those immediates waiting while
    // this handler and everything below run to process.exit(): the lines of the last requests
    // answered were lost (test/cli/serve.test.ts catches it). Immediates run in the
    // order they were queued, so once this one has run, so has every answered request's hook.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await serving.close();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));

  const apps = createAppsService(store);
  if ((await apps.countApps()) === 0) {
    // First run: make the quick start one command long.
    // Several nodes starting on one new PostgreSQL database race for it: one creates it, and the
    // others find the name taken and serve without a banner.
    const created = await apps.create("default").catch((error) => {
      if (error instanceof AppNameTaken) return undefined;
      throw error;
    });
    if (created) console.log(`${credentialsBanner('Created the app "default" for this new database', created)}\n`);
  }
  const base = config.publicUrl ?? `http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${app.server!.port}`;
  if (setupToken) console.log(`Create the first dashboard admin (one-time link, valid until an admin exists):\n  ${base}/setup?token=${setupToken}\n`);
  log.info(`trackd ${version} listening on http://${config.host}:${app.server!.port}`, {
    ...serving.logFields,
    durability: config.durability,
    startupMs: Math.round(performance.now() - startedAt),
  });
  if (stopping) return; // signalled during the first-run setup: no background work to start
  health =
    config.healthIntervalMs > 0
      ? scheduleHealthPasses({
          pass: createHealthPass({ store, clock: Date.now }),
          intervalMs: config.healthIntervalMs,
          logger: log,
          lease: serving.lease,
          onPass: (results) => results.forEach((result) => monitoring.scoringSeconds.observe(result.durationMs / 1000)),
        })
      : undefined;

  retention =
    config.retentionIntervalMs > 0
      ? scheduleRetention({ pass: createRetentionPass({ store, clock: Date.now }), intervalMs: config.retentionIntervalMs, logger: log, lease: serving.lease })
      : undefined;
}
