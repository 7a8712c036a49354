// OpenAPI descriptions of the browser route (src/openapi/route-doc.ts).
import { t } from "elysia";
import type { RouteDocs } from "../openapi/route-doc";
import { CLIENT_MAX_EVENTS, CLIENT_PATH, ClientEventInput } from "./model";

export const clientDocs: RouteDocs = [
  {
    method: "post",
    path: CLIENT_PATH,
    tag: "Browser",
    summary: "Record events from a browser (what /sdk.js sends)",
    description:
      "No API key: the app is the events' appId or the x-ck-app header. One event or an array of up to 100, at most 64 KB, read as JSON whatever the content-type (navigator.sendBeacon sends text/plain). Without a valid authHash the event is stored as unverified, or refused when the app requires signed events. Rate-limited per IP and per app.",
    auth: { kind: "none" },
    body: {
      schema: t.Union([ClientEventInput, t.Array(ClientEventInput, { minItems: 1, maxItems: CLIENT_MAX_EVENTS })]),
      contentTypes: ["application/json", "text/plain"],
      example: { appId: "app_6d44c315cace0da9", customerId: "cus_a23", event: "Post Created", eventData: { postType: "image" } },
    },
    responses: {
      201: {
        description: "Stored. One event: {ok, id, verified}; an array: {ok, count, ids, duplicates} as /events/bulk answers",
        example: { ok: true, id: "evt_019ac0a1-7d3e-7000-8000-000000000000", verified: false },
      },
      200: { description: "Every event repeated a messageId: nothing stored" },
    },
    errors: ["VALIDATION_FAILED", "INVALID_JSON", "PAYLOAD_TOO_LARGE", "UNAUTHORIZED", "FORBIDDEN", "RATE_LIMITED", "SERVICE_UNAVAILABLE"],
  },
  {
    method: "options",
    path: CLIENT_PATH,
    tag: "Browser",
    summary: "CORS preflight",
    description: "Granted when any app allows the Origin; the POST then checks it against its own app.",
    auth: { kind: "none" },
    responses: { 204: { description: "The CORS grant, in the access-control-* headers", contentTypes: [] } },
    errors: ["FORBIDDEN"],
  },
];
