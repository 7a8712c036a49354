// The per-customer read routes (read scope) and erasure (admin scope).
import { Elysia } from "elysia";
import { apiKeyAuth } from "../apps/auth";
import type { AppsService } from "../apps/service";
import type { Db } from "../db";
import type { CustomerRow } from "../db/schema";
import { AppError } from "../errors";
import { decodeCursor } from "../events/cursor";
import { DEFAULT_PAGE_SIZE } from "../events/model";
import type { EventsService } from "../events/service";
import { compile, dateRange, validateQuery } from "../http/validate";
import type { Writer } from "../writer";
import { bucketCount, chartRange, MAX_BUCKETS, series } from "./activity";
import { prepareErase } from "./erase";
import { ActivityQuery, CustomerQuery, TimelineQuery } from "./model";
import type { CustomerKey, CustomersService } from "./service";

const customerQuery = compile(CustomerQuery);
const timelineQuery = compile(TimelineQuery);
const activityQuery = compile(ActivityQuery);
const RECENT_EVENTS = 20;

export function customerRoutes(deps: { apps: AppsService; customers: CustomersService; events: EventsService; clock: () => number }) {
  const { apps, customers, events, clock } = deps;
  /** Always within the caller's app: another app's customer with the same id is a 404. */
  const findOr404 = (appId: string, value: string, by: CustomerKey = "customerId"): CustomerRow => {
    const customer = customers.find(appId, value, by);
    if (!customer) throw new AppError("NOT_FOUND", `no customer with ${by} ${value}`);
    return customer;
  };

  return new Elysia({ name: "customers" })
    .use(apiKeyAuth(apps, "read"))
    .get("/v1/api/customers/:customerId", ({ params, query, app }) => {
      const { by } = validateQuery(customerQuery, query);
      const customer = findOr404(app.id, params.customerId, by);
      const now = clock();
      const eventCounts = customers.eventCounts(customer.pk, now);
      return {
        ...customers.view(customer),
        eventsLast7d: eventCounts.reduce((sum, row) => sum + row.last7d, 0),
        eventsLast30d: eventCounts.reduce((sum, row) => sum + row.last30d, 0),
        eventCounts,
        recentEvents: events.list(app.id, { customerPk: customer.pk, limit: RECENT_EVENTS }).events,
      };
    })
    .get("/v1/api/customers/:customerId/events", ({ params, query, app }) => {
      const input = validateQuery(timelineQuery, query);
      const range = dateRange(input); // checked before the customer, so a bad query is a 400 even for an unknown one
      const customer = findOr404(app.id, params.customerId, input.by);
      return events.list(app.id, {
        customerPk: customer.pk,
        event: input.event,
        userUid: input.userUid,
        verified: input.verified,
        ...range,
        after: input.cursor === undefined ? undefined : decodeCursor(input.cursor),
        limit: input.limit ?? DEFAULT_PAGE_SIZE,
      });
    })
    .get("/v1/api/customers/:customerId/activity", ({ params, query, app }) => {
      const input = validateQuery(activityQuery, query);
      const { interval = "day", event } = input;
      const given = dateRange(input);
      const range = chartRange(interval, clock(), given.from, given.to);
      if (bucketCount(range, interval) > MAX_BUCKETS) {
        const message = `more than ${MAX_BUCKETS} ${interval}s between from and to; narrow the range or use a longer interval`;
        throw new AppError("VALIDATION_FAILED", message, { details: [{ path: "/from", message }] });
      }
      const customer = findOr404(app.id, params.customerId, input.by);
      const points = series(customers.dailyCounts(customer.pk, range.from, range.to, event), interval, range);
      return {
        interval,
        event: event ?? null,
        from: new Date(range.from).toISOString(),
        to: new Date(range.to).toISOString(),
        total: points.reduce((sum, point) => sum + point.count, 0),
        series: points,
      };
    });
}

export function erasureRoutes(deps: { apps: AppsService; customers: CustomersService; writer: Writer; db: Db }) {
  const { apps, customers, writer, db } = deps;
  const erase = prepareErase(db.$client);
  return new Elysia({ name: "erasure" })
    .use(apiKeyAuth(apps, "admin"))
    .delete("/v1/api/customers/:customerId", async ({ params, query, app }) => {
      const { by = "customerId" } = validateQuery(customerQuery, query);
      const removed = await writer.submit(() => {
        const customer = customers.find(app.id, params.customerId, by);
        if (!customer) return null;
        return { customer: { customerId: customer.customerId, uid: customer.uid, email: customer.email }, ...erase(app.id, customer.pk) };
      });
      if (!removed) throw new AppError("NOT_FOUND", `no customer with ${by} ${params.customerId}`);
      return { ok: true, removed };
    });
}
