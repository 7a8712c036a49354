// The per-customer read routes (read scope) and erasure (admin scope).
import { Elysia } from "elysia";
import { apiKeyAuth } from "../apps/auth";
import type { AppsService } from "../apps/service";
import type { BillingService } from "../billing/service";
import { toIso } from "../dates";
import { decodeCursor } from "../events/service";
import { DEFAULT_PAGE_SIZE } from "../events/model";
import type { EventsService } from "../events/service";
import type { ScoringService } from "../scoring/service";
import { compile, validateQuery, validateQueryWithDates } from "../http/validate";
import { retainedFrom, retainedSince } from "../horizon";
import { chartBuckets, series } from "../charts";
import type { ErasureService } from "./erasure";
import { DEFAULT_SORT } from "../store/shapes";
import type { Store } from "../store/types";
import { ActivityQuery, attributeFilters, CustomerQuery, CustomerTimelineQuery, ListCustomersQuery, TimelineQuery } from "./model";
import type { CustomersService } from "./service";
import { createTimeline } from "./timeline";

const customerQuery = compile(CustomerQuery);
const timelineQuery = compile(TimelineQuery);
const activityQuery = compile(ActivityQuery);
const customerTimelineQuery = compile(CustomerTimelineQuery);
const listQuery = compile(ListCustomersQuery);
const RECENT_EVENTS = 20;
const RECENT_BILLING_EVENTS = 20;

export function customerRoutes(deps: {
  apps: AppsService;
  customers: CustomersService;
  events: EventsService;
  billing: BillingService;
  scoring: ScoringService;
  store: Store;
  clock: () => number;
}) {
  const { apps, customers, events, billing, clock } = deps;
  const list = deps.store.customerList.list;
  const timeline = createTimeline({ events, billing });

  return new Elysia({ name: "customers" })
    .use(apiKeyAuth(apps, "read"))
    .get("/v1/api/customers", ({ query, app }) => {
      const { rest, attributes, problems } = attributeFilters(query);
      if (rest.event === undefined) {
        for (const field of ["from", "to"] as const) {
          if (rest[field] !== undefined) problems.push({ path: `/${field}`, message: `${field} applies to the event filter; add event=NAME` });
        }
      }
      const { input, dates } = validateQueryWithDates(listQuery, rest, ["activeSince", "inactiveSince", "from", "to"], problems);
      return list(
        app.id,
        {
          q: input.q,
          activeSince: dates.activeSince,
          inactiveSince: dates.inactiveSince,
          attributes,
          event: input.event === undefined ? undefined : { name: input.event, from: dates.from, to: dates.to },
          health: input.health,
          status: input.status,
          plan: input.plan,
          sort: input.sort ?? DEFAULT_SORT,
          cursor: input.cursor,
          limit: input.limit ?? DEFAULT_PAGE_SIZE,
        },
        clock(),
      );
    })
    .get("/v1/api/customers/:customerId", async ({ params, query, app }) => {
      const { by } = validateQuery(customerQuery, query);
      const customer = await customers.findOr404(app.id, params.customerId, by);
      const now = clock();
      const [view, eventCounts, health, recent, billingView] = await Promise.all([
        customers.view(customer),
        customers.eventCounts(customer.pk, now),
        deps.scoring.customerHealth(app, customer, now),
        events.list(app.id, { customerPk: customer.pk, from: retainedFrom(undefined, app, now), limit: RECENT_EVENTS }),
        billing.ofCustomer(customer.pk, RECENT_BILLING_EVENTS),
      ]);
      return {
        ...view,
        eventsLast7d: eventCounts.reduce((sum, row) => sum + row.last7d, 0),
        eventsLast30d: eventCounts.reduce((sum, row) => sum + row.last30d, 0),
        eventCounts,
        health,
        recentEvents: recent.events,
        ...billingView,
        retainedSince: retainedSince(app, now),
      };
    })
    .get("/v1/api/customers/:customerId/events", async ({ params, query, app }) => {
      // Checked before the customer, so a bad query is a 400 even for an unknown one.
      const { input, dates } = validateQueryWithDates(timelineQuery, query, ["from", "to"]);
      const customer = await customers.findOr404(app.id, params.customerId, input.by);
      const page = await events.list(app.id, {
        customerPk: customer.pk,
        event: input.event,
        userUid: input.userUid,
        verified: input.verified,
        ...dates,
        from: retainedFrom(dates.from, app, clock()),
        after: input.cursor === undefined ? undefined : decodeCursor(input.cursor),
        limit: input.limit ?? DEFAULT_PAGE_SIZE,
      });
      return { ...page, retainedSince: retainedSince(app, clock()) };
    })
    .get("/v1/api/customers/:customerId/timeline", async ({ params, query, app }) => {
      const contradiction = query.kind === "billing" && query.event !== undefined ? [{ path: "/event", message: "event names only product events; it can't go with kind=billing" }] : [];
      const { input, dates } = validateQueryWithDates(customerTimelineQuery, query, ["from", "to"], contradiction);
      const customer = await customers.findOr404(app.id, params.customerId, input.by);
      const { kind, event, cursor, limit = DEFAULT_PAGE_SIZE } = input;
      const page = await timeline(app.id, customer.pk, { ...dates, from: retainedFrom(dates.from, app, clock()), kind, event, cursor, limit });
      // Billing history is not purged by retention; events before retainedSince are.
      return { ...page, retainedSince: retainedSince(app, clock()) };
    })
    .get("/v1/api/customers/:customerId/activity", async ({ params, query, app }) => {
      const { input, dates } = validateQueryWithDates(activityQuery, query, ["from", "to"]);
      const { interval = "day", event } = input;
      const chart = chartBuckets(interval, clock(), dates.from, dates.to);
      const customer = await customers.findOr404(app.id, params.customerId, input.by);
      const points = series(await customers.dailyCounts(customer.pk, chart.from, chart.to, event), interval, chart);
      return {
        interval,
        event: event ?? null,
        from: toIso(chart.from),
        to: toIso(chart.to),
        total: points.reduce((sum, point) => sum + point.count, 0),
        series: points,
        retainedSince: retainedSince(app, clock()),
      };
    });
}

export function erasureRoutes(deps: { apps: AppsService; erasure: ErasureService }) {
  const { apps, erasure } = deps;
  return new Elysia({ name: "erasure" })
    .use(apiKeyAuth(apps, "admin"))
    .delete("/v1/api/customers/:customerId", async ({ params, query, app }) => {
      const { by = "customerId" } = validateQuery(customerQuery, query);
      return { ok: true, removed: await erasure.erase(app.id, params.customerId, by) };
    }, { parse: "none" }); // takes no body: one sent is never buffered
}
