// OpenAPI descriptions of the server-side write routes (src/openapi/route-doc.ts).
import { t } from "elysia";
import type { RouteDocs } from "../openapi/route-doc";
import { BULK_MAX_EVENTS, CustomerUpdateInput, EventInput } from "./model";

const Warnings = t.Optional(t.Array(t.Object({ path: t.String(), message: t.String() }), { description: "identity conflicts, see README Identity" }));
const SingleReply = t.Object({ ok: t.Literal(true), id: t.String(), duplicate: t.Optional(t.Literal(true)), warnings: Warnings });
const BulkReply = t.Object({
  ok: t.Literal(true),
  count: t.Integer({ description: "events newly stored" }),
  ids: t.Array(t.String(), { description: "one per item, in order; a repeated messageId gives the original id" }),
  duplicates: t.Array(t.Integer(), { description: "indexes of the items that repeated a messageId" }),
  warnings: Warnings,
});
const JSON_BODY = ["application/json"];
const event = { event: "Post Created", customerId: "cus_abc", uid: "user_xyz", eventData: { postType: "image" } };

export const ingestDocs: RouteDocs = [
  {
    method: "post",
    path: "/v1/api/events/new",
    tag: "Events",
    summary: "Record one event",
    description: "Acknowledged once committed to disk. The body is read as JSON whatever its content-type; at most 64 KB.",
    auth: { kind: "apiKey", scope: "ingest" },
    body: { schema: EventInput, contentTypes: JSON_BODY, example: event },
    responses: {
      201: { description: "Stored", schema: SingleReply, example: { ok: true, id: "evt_019ac0a1-7d3e-7000-8000-000000000000" } },
      200: { description: "A repeated messageId: nothing stored, the original event's id", schema: SingleReply, example: { ok: true, id: "evt_019ac0a1-7d3e-7000-8000-000000000000", duplicate: true } },
    },
    errors: ["VALIDATION_FAILED", "INVALID_JSON", "PAYLOAD_TOO_LARGE", "SERVICE_UNAVAILABLE"],
  },
  {
    method: "post",
    path: "/v1/api/events/bulk",
    tag: "Events",
    summary: `Record up to ${BULK_MAX_EVENTS} events (backfills)`,
    description: "All or nothing: one bad item rejects the request, with one detail per bad item. No customerData and no user.data here. At most 1 MB.",
    auth: { kind: "apiKey", scope: "ingest" },
    body: {
      schema: t.Array(EventInput, { minItems: 1, maxItems: BULK_MAX_EVENTS }),
      contentTypes: JSON_BODY,
      example: [{ event: "Post Created", customerId: "cus_abc", eventDate: "2022-05-01" }],
    },
    responses: {
      201: { description: "At least one event stored", schema: BulkReply, example: { ok: true, count: 1, ids: ["evt_019ac0a1-7d3e-7000-8000-000000000000"], duplicates: [] } },
      200: { description: "Every item repeated a messageId", schema: BulkReply },
    },
    errors: ["VALIDATION_FAILED", "INVALID_JSON", "PAYLOAD_TOO_LARGE", "SERVICE_UNAVAILABLE"],
  },
  {
    method: "post",
    path: "/v1/api/events/customer-update",
    tag: "Customers",
    summary: "Update customer and user attributes",
    description: "Needs customerId and/or uid, and at least one of customerData, customerEmail or user. Attributes merge shallowly; null removes a key.",
    auth: { kind: "apiKey", scope: "ingest" },
    body: { schema: CustomerUpdateInput, contentTypes: JSON_BODY, example: { customerId: "cus_xyz", customerData: { numSeats: 7 } } },
    responses: { 200: { description: "The stored customer record, as GET /v1/api/customers/{customerId} shows it" } },
    errors: ["VALIDATION_FAILED", "INVALID_JSON", "PAYLOAD_TOO_LARGE", "SERVICE_UNAVAILABLE"],
  },
];
