// App-wide read routes (read scope): event and billing metrics per interval, and the event
// names seen.
import { Elysia } from "elysia";
import { apiKeyAuth } from "../apps/auth";
import type { AppsService } from "../apps/service";
import { chartBuckets } from "../charts";
import { toIso } from "../dates";
import { compile, validateQuery, validateQueryWithDates } from "../http/validate";
import type { BillingMetrics } from "../billing/service";
import { BillingMetricsQuery, EventMetricsQuery, EventNamesQuery, HealthMetricsQuery } from "./model";
import { retainedSince } from "../horizon";
import type { MetricsService } from "./service";

const eventMetricsQuery = compile(EventMetricsQuery);
const eventNamesQuery = compile(EventNamesQuery);
const billingMetricsQuery = compile(BillingMetricsQuery);
const healthMetricsQuery = compile(HealthMetricsQuery);

export function metricsRoutes(deps: { apps: AppsService; metrics: MetricsService; billingMetrics: BillingMetrics; clock: () => number }) {
  const { apps, metrics, billingMetrics, clock } = deps;
  return new Elysia({ name: "metrics" })
    .use(apiKeyAuth(apps, "read"))
    .get("/v1/api/metrics/events", async ({ query, app }) => {
      const { input, dates } = validateQueryWithDates(eventMetricsQuery, query, ["from", "to"]);
      const { interval = "day", event } = input;
      const chart = chartBuckets(interval, clock(), dates.from, dates.to);
      const { totals, series } = await metrics.events(app.id, chart, interval, event);
      return {
        interval,
        event: event ?? null,
        from: toIso(chart.from),
        to: toIso(chart.to),
        total: series.reduce((sum, point) => sum + point.events, 0),
        totals,
        series,
        retainedSince: retainedSince(app, clock()),
      };
    })
    .get("/v1/api/metrics/billing", async ({ query, app }) => {
      const { input, dates } = validateQueryWithDates(billingMetricsQuery, query, ["from", "to"]);
      const { interval = "month" } = input;
      const chart = chartBuckets(interval, clock(), dates.from, dates.to);
      return { interval, from: toIso(chart.from), to: toIso(chart.to), currencies: await billingMetrics(app.id, chart, interval) };
    })
    .get("/v1/api/metrics/health", ({ query, app }) => {
      validateQuery(healthMetricsQuery, query);
      return metrics.health(app.id);
    })
    .get("/v1/api/events/names", async ({ query, app }) => {
      validateQuery(eventNamesQuery, query);
      const names = await metrics.names(app.id);
      return { names, nonConventional: names.filter((name) => !name.conventional).length };
    });
}
