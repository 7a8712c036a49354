// createHttpApp builds the whole HTTP app from its dependencies and never listens: tests call
// app.handle(request); only the entry point (src/cli/serve.ts) binds a port.
import { Elysia } from "elysia";
import { accountRoutes, type DashboardOptions } from "./accounts/index";
import { createAccountsService, DEFAULT_ACCOUNTS_OPTIONS, type AccountsOptions } from "./accounts/service";
import { createAppsService } from "./apps/service";
import { stripeWebhookRoutes, subscriptionRoutes } from "./billing/index";
import { createBillingMetrics } from "./billing/metrics";
import { createBillingService } from "./billing/service";
import { clientRoutes } from "./client/index";
import { DEFAULT_CLIENT_OPTIONS, type ClientOptions } from "./client/model";
import { createCustomersService } from "./customers/service";
import { customerRoutes, erasureRoutes } from "./customers/index";
import { dashboardRoutes } from "./dashboard/index";
import { AppError, errorResponse } from "./errors";
import { eventRoutes } from "./events/index";
import { createEventsService } from "./events/service";
import { exportRoutes } from "./export/index";
import { healthRoutes } from "./health/index";
import { accessLog } from "./http/access-log";
import { badTextInUrl } from "./http/text";
import { methodsAt } from "./http/methods";
import { noteErrorCode, observeRequests } from "./http/observe";
import { requestIdOf } from "./http/request-id";
import { metricsRoutes } from "./metrics/index";
import { createMetricsService } from "./metrics/service";
import { monitoringRoutes, monitorRequests } from "./monitoring/index";
import { createMonitoring, type Monitoring } from "./monitoring/service";
import { ingestRoutes } from "./ingest/index";
import { LiveHub } from "./live/service";
import { liveRoutes, reportIngestRejections, reportMessageRejections } from "./live/index";
import { createIngestService } from "./ingest/service";
import { consoleLogger, type Logger } from "./log";
import { createScoringService } from "./scoring/service";
import { openapiRoutes } from "./openapi/index";
import { sdkRoutes } from "./sdk/index";
import { settingsRoutes } from "./settings/index";
import { segmentRoutes } from "./segment/index";
import type { Store } from "./store/types";
import { createErasureService } from "./customers/erasure";

export interface AppDeps {
  /**
   * All storage: reads and typed commands (store/types.ts). The SQLite one is
   * createSqliteStore({ db, writer, clock }); a PostgreSQL backend hands in its own. The app,
   * its passes (scoring, retention) and the CLI share one per process: each prepares its
   * statements and registers its deferred counts once.
   */
  store: Store;
  clock?: () => number;
  logger?: Logger;
  /** Rate limits and proxy trust for the browser route. */
  client?: ClientOptions;
  /** Share of requests given an access-log line (0 to 1; 5xx always are), and its dice. */
  accessLog?: { sample: number; random?: () => number };
  /**
   * Record when each API key was last used (serve turns it on). Off by default: those writes
   * would join the writer's batches in tests that count or schedule them.
   */
  recordKeyUse?: boolean;
  /** Prometheus metrics; a fresh registry when not given. */
  monitoring?: Monitoring;
  /** Bearer token for GET /metrics; the route is off without one. */
  metricsToken?: string;
  /** Dashboard sign-in: proxy trust and public URL, login rate limits, the one-time setup token. */
  dashboard?: Partial<DashboardOptions & AccountsOptions>;
  /** The Live page's feed (tests pass one with small limits). */
  live?: LiveHub;
}

export function createHttpApp({
  store,
  clock = Date.now,
  logger = consoleLogger,
  client = DEFAULT_CLIENT_OPTIONS,
  accessLog: accessLogOptions = { sample: 1 },
  recordKeyUse = false,
  monitoring = createMonitoring({ store }),
  metricsToken,
  dashboard = {},
  live = new LiveHub(),
}: AppDeps) {
  // A key's last use goes through the writer like every write; a full queue just skips one.
  const recordUse = recordKeyUse
    ? (keyId: string, at: number) => void store.apply({ type: "RecordKeyUse", keyId, at }).catch(() => {})
    : undefined;
  const accounts = createAccountsService(store, clock, { ...DEFAULT_ACCOUNTS_OPTIONS, ...dashboard });
  // A dashboard session may stand in for a key on the API routes: accounts hands apps' key check
  // what it needs (apps cannot import accounts, whose routes use apps).
  const apps = createAppsService(store, clock, { recordUse, sessionAuth: accounts.sessionAuth });
  const customers = createCustomersService(store);
  const ingest = createIngestService({ store, clock, customers, live, monitoring });
  const events = createEventsService(store);
  const metrics = createMetricsService(store);
  const scoring = createScoringService(store);
  const billing = createBillingService({ store });
  const dashboardOptions = { trustProxy: dashboard.trustProxy ?? client.trustProxy, publicUrl: dashboard.publicUrl };

  const app = new Elysia()
    .onError(reportIngestRejections(live, clock))
    .onRequest(({ request, set }) => {
      set.headers["x-request-id"] = requestIdOf(request);
    })
    .use(observeRequests([accessLog({ logger, ...accessLogOptions, requestId: requestIdOf }), monitorRequests(monitoring)]))
    .use(monitoringRoutes({ monitoring, token: metricsToken }))
    .onBeforeHandle({ as: "global" }, ({ params, request }) => {
      // A NUL (%00) in a path or query parameter would reach SQL as an id or a filter, and a
      // path segment that is not UTF-8 (%ff) would be looked up as "null".
      const bad = badTextInUrl(params ?? {}, request.url);
      if (bad !== undefined) throw new AppError("VALIDATION_FAILED", bad.message, { details: [bad] });
    })
    .onError(({ code, error, request, set }) => {
      const reply = (appError: AppError, requestId?: string) => {
        set.status = appError.status; // what the access log and the metrics report
        noteErrorCode(request, appError.code);
        return errorResponse(appError, requestId);
      };
      if (error instanceof AppError) return reply(error);
      const { pathname } = new URL(request.url);
      if (code === "NOT_FOUND") {
        const allowed = methodsAt(app.routes, pathname);
        if (allowed.length > 0) {
          const message = `${request.method} is not allowed on ${pathname}; use ${allowed.join(", ")}`;
          return reply(new AppError("METHOD_NOT_ALLOWED", message, { headers: { allow: allowed.join(", ") } }));
        }
        return reply(new AppError("NOT_FOUND", `no route for ${request.method} ${pathname}`));
      }
      const requestId = requestIdOf(request);
      logger.error("unhandled error", { requestId, method: request.method, path: pathname, error: String(error) });
      const message = `internal error; the details are in the server log under request id ${requestId}`;
      return reply(new AppError("INTERNAL", message), requestId);
    })
    .use(healthRoutes(store.database))
    .use(sdkRoutes())
    .use(openapiRoutes())
    .use(ingestRoutes({ apps, ingest, clock }))
    .use(clientRoutes({ apps, ingest, clock, options: client, live }))
    .use(
      segmentRoutes({
        apps,
        ingest,
        clock,
        logger,
        monitoring,
        onRejected: (appId, route, rejected, accepted) => reportMessageRejections(live, appId, `/v1/${route}`, rejected, accepted, clock()),
      }),
    )
    .use(stripeWebhookRoutes({ apps, billing, clock, monitoring }))
    .use(subscriptionRoutes({ apps, billing, clock }))
    .use(customerRoutes({ apps, customers, events, billing, scoring, store, clock }))
    .use(erasureRoutes({ apps, erasure: createErasureService(store) }))
    .use(metricsRoutes({ apps, metrics, billingMetrics: createBillingMetrics(store), clock }))
    .use(exportRoutes({ apps, customers, exporter: store.export, clock, logger }))
    .use(eventRoutes({ apps, events, clock }))
    .use(accountRoutes({ accounts, apps, options: dashboardOptions }))
    .use(liveRoutes({ apps, hub: live }))
    .use(settingsRoutes({ apps }))
    .use(dashboardRoutes({ accounts, apps, options: dashboardOptions }));
  return app;
}

export type App = ReturnType<typeof createHttpApp>;
