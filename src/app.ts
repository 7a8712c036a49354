// createApp builds the whole HTTP app from its dependencies and never listens: tests call
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
import type { Db } from "./db";
import { AppError, errorResponse } from "./errors";
import { eventRoutes } from "./events/index";
import { createEventsService } from "./events/service";
import { exportRoutes } from "./export/index";
import { createExporter } from "./export/service";
import { healthRoutes } from "./health/index";
import { metricsRoutes } from "./metrics/index";
import { createMetricsService } from "./metrics/service";
import { ingestRoutes } from "./ingest/index";
import { LiveHub } from "./live/hub";
import { liveRoutes, reportIngestRejections } from "./live/index";
import { createIngestService } from "./ingest/service";
import { consoleLogger, type Logger } from "./log";
import { createScoringService } from "./scoring/service";
import { sdkRoutes } from "./sdk/index";
import { settingsRoutes } from "./settings/index";
import type { Writer } from "./writer";

export interface AppDeps {
  db: Db;
  writer: Writer;
  clock?: () => number;
  logger?: Logger;
  /** Rate limits and proxy trust for the browser route. */
  client?: ClientOptions;
  /** Dashboard sign-in: proxy trust and public URL, login rate limits, the one-time setup token. */
  dashboard?: Partial<DashboardOptions & AccountsOptions>;
  /** The Live page's feed (tests pass one with small limits). */
  live?: LiveHub;
}

export function createApp({ db, writer, clock = Date.now, logger = consoleLogger, client = DEFAULT_CLIENT_OPTIONS, dashboard = {}, live = new LiveHub() }: AppDeps) {
  const apps = createAppsService(db, clock);
  const customers = createCustomersService(db);
  const ingest = createIngestService({ db, writer, clock, customers, live });
  const events = createEventsService(db, customers);
  const metrics = createMetricsService(db);
  const exporter = createExporter(db.$client);
  const scoring = createScoringService(db);
  const billing = createBillingService({ db, writer, clock });
  const accounts = createAccountsService(db, clock, { ...DEFAULT_ACCOUNTS_OPTIONS, ...dashboard });
  const dashboardOptions = { trustProxy: dashboard.trustProxy ?? client.trustProxy, publicUrl: dashboard.publicUrl };

  return new Elysia()
    .onError(reportIngestRejections(live, clock))
    .onError(({ code, error, request }) => {
      if (error instanceof AppError) return errorResponse(error);
      const { pathname } = new URL(request.url);
      if (code === "NOT_FOUND") {
        return errorResponse(new AppError("NOT_FOUND", `no route for ${request.method} ${pathname}`));
      }
      logger.error("unhandled error", { method: request.method, path: pathname, error: String(error) });
      return errorResponse(new AppError("INTERNAL", "internal error; the details are in the server log"));
    })
    .use(healthRoutes(db))
    .use(sdkRoutes())
    .use(ingestRoutes({ apps, ingest, clock }))
    .use(clientRoutes({ apps, ingest, clock, options: client, live }))
    .use(stripeWebhookRoutes({ apps, billing, clock }))
    .use(subscriptionRoutes({ apps, billing, clock }))
    .use(customerRoutes({ apps, customers, events, billing, scoring, db, clock }))
    .use(erasureRoutes({ apps, customers, writer, db }))
    .use(metricsRoutes({ apps, metrics, billingMetrics: createBillingMetrics(db), clock }))
    .use(exportRoutes({ apps, customers, exporter, clock, logger }))
    .use(eventRoutes({ apps, events }))
    .use(accountRoutes({ accounts, apps, options: dashboardOptions }))
    .use(liveRoutes({ apps, hub: live }))
    .use(settingsRoutes({ apps }))
    .use(dashboardRoutes({ accounts, apps, options: dashboardOptions }));
}

export type App = ReturnType<typeof createApp>;
