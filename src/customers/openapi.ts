// OpenAPI descriptions of the per-customer read routes and erasure (src/http/route-doc.ts).
import type { RouteDocs } from "../http/route-doc";
import { ActivityQuery, CustomerQuery, CustomerTimelineQuery, ListCustomersQuery, TimelineQuery } from "./model";

const customerParam = { customerId: "the customer's customerId; its uid or email with ?by=uid or ?by=email" };
const read = { kind: "apiKey", scope: "read" } as const;
const RETAINED = "retainedSince: where the app's history starts when it has a retention period, else null.";

export const customerDocs: RouteDocs = [
  {
    method: "get",
    path: "/v1/api/customers",
    tag: "Customers",
    summary: "List customers, sorted and filtered",
    description: "One page of {customers, nextCursor}. Every sort and filter uses an index or a count kept at write time.",
    auth: read,
    query: ListCustomersQuery,
    extraQuery: [{ name: "attr.KEY", description: "the attribute KEY equals this value, compared as text; up to 10, all must hold" }],
    responses: { 200: { description: "A page of customers", example: { customers: [{ customerId: "cus_abc", eventCount: 3, health: { score: 72, grade: "healthy" } }], nextCursor: null } } },
    errors: ["VALIDATION_FAILED"],
  },
  {
    method: "get",
    path: "/v1/api/customers/:customerId",
    tag: "Customers",
    summary: "A customer's profile",
    description: `Record, users, counts per event name, health score with its factors, the 20 newest events, subscriptions and billing history. ${RETAINED}`,
    auth: read,
    params: customerParam,
    query: CustomerQuery,
    responses: { 200: { description: "The profile", example: { customerId: "cus_abc", eventCount: 3, eventsLast7d: 1, retainedSince: null } } },
    errors: ["VALIDATION_FAILED", "NOT_FOUND"],
  },
  {
    method: "get",
    path: "/v1/api/customers/:customerId/events",
    tag: "Customers",
    summary: "A customer's events, newest first",
    description: `Paged with limit and cursor: {events, nextCursor, retainedSince}. ${RETAINED}`,
    auth: read,
    params: customerParam,
    query: TimelineQuery,
    responses: {
      200: {
        description: "A page of events",
        example: { events: [{ id: "evt_019ac0a1-7d3e-7000-8000-000000000000", event: "Post Created", customerId: "cus_abc", eventDate: "2026-01-15T12:00:00.000Z" }], nextCursor: null, retainedSince: null },
      },
    },
    errors: ["VALIDATION_FAILED", "NOT_FOUND"],
  },
  {
    method: "get",
    path: "/v1/api/customers/:customerId/timeline",
    tag: "Customers",
    summary: "A customer's events and billing changes in one stream",
    description: `{items: [{type: "event" | "billing", at, ...}], nextCursor, retainedSince}. kind keeps one kind; event keeps that event's rows (not with kind=billing). ${RETAINED}`,
    auth: read,
    params: customerParam,
    query: CustomerTimelineQuery,
    responses: {
      200: {
        description: "A page of the timeline",
        example: {
          items: [
            { type: "event", at: "2026-01-15T12:00:00.000Z", event: { id: "evt_019ac0a1-7d3e-7000-8000-000000000000", event: "Post Created", customerId: "cus_abc" } },
            { type: "billing", at: "2026-01-10T09:00:00.000Z", billing: { kind: "subscription_created", movement: "new", currency: "usd", mrrBefore: 0, mrrAfter: 9800 } },
          ],
          nextCursor: null,
          retainedSince: null,
        },
      },
    },
    errors: ["VALIDATION_FAILED", "NOT_FOUND"],
  },
  {
    method: "get",
    path: "/v1/api/customers/:customerId/activity",
    tag: "Customers",
    summary: "A customer's event counts per day, week or month, zero-filled",
    description: `{interval, event, from, to, total, series: [{start, count}], retainedSince}. ${RETAINED}`,
    auth: read,
    params: customerParam,
    query: ActivityQuery,
    responses: {
      200: {
        description: "The series",
        example: {
          interval: "day",
          event: null,
          from: "2026-01-14T00:00:00.000Z",
          to: "2026-01-16T00:00:00.000Z",
          total: 2,
          series: [{ start: "2026-01-14T00:00:00.000Z", count: 1 }, { start: "2026-01-15T00:00:00.000Z", count: 1 }],
          retainedSince: null,
        },
      },
    },
    errors: ["VALIDATION_FAILED", "NOT_FOUND"],
  },
  {
    method: "delete",
    path: "/v1/api/customers/:customerId",
    tag: "Customers",
    summary: "Erase a customer (right to be forgotten)",
    description: "The customer, its users, events, counts, subscriptions and billing history, in one transaction.",
    auth: { kind: "apiKey", scope: "admin" },
    params: customerParam,
    query: CustomerQuery,
    responses: {
      200: { description: "What was removed", example: { ok: true, removed: { customer: { customerId: "cus_abc", uid: null, email: null }, events: 3, users: 2, subscriptions: 1 } } },
    },
    errors: ["VALIDATION_FAILED", "NOT_FOUND", "SERVICE_UNAVAILABLE"],
  },
];
