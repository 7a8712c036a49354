// OpenAPI descriptions of the billing routes (src/openapi/route-doc.ts).
import { t } from "elysia";
import type { RouteDocs } from "../openapi/route-doc";
import { SubscriptionInput } from "./model";

const APPLY_RESULTS = ["applied", "unchanged", "stale", "duplicate", "ignored"];

export const billingDocs: RouteDocs = [
  {
    method: "post",
    path: "/v1/webhooks/stripe/:appId",
    tag: "Billing",
    summary: "Stripe webhook endpoint for one app",
    description:
      "The Stripe-Signature header is the credential, checked over the raw body in constant time within 5 minutes. Types trackd does not use are acknowledged as ignored (Stripe retries anything but a 2xx).",
    auth: { kind: "stripeSignature" },
    params: { appId: "the app whose endpoint this is" },
    body: { schema: t.Object({ id: t.String(), type: t.String(), created: t.Integer() }, { description: "a Stripe Event object" }), contentTypes: ["application/json"] },
    responses: {
      200: {
        description: "Received",
        schema: t.Object({ received: t.Literal(true), result: t.Union(APPLY_RESULTS.map((r) => t.Literal(r))) }),
        example: { received: true, result: "applied" },
      },
    },
    errors: ["INVALID_SIGNATURE", "VALIDATION_FAILED", "INVALID_JSON", "PAYLOAD_TOO_LARGE", "NOT_FOUND", "SERVICE_UNAVAILABLE"],
  },
  {
    method: "post",
    path: "/v1/api/subscriptions",
    tag: "Billing",
    summary: "Upsert one subscription (Chargebee, Paddle, Braintree or your own billing)",
    description: "A state older than the stored one (by updatedAt) is stale and changes nothing.",
    auth: { kind: "apiKey", scope: "ingest" },
    body: {
      schema: SubscriptionInput,
      contentTypes: ["application/json"],
      example: {
        provider: "chargebee",
        subscriptionId: "cb_sub_1",
        customerId: "cus_1",
        status: "active",
        currency: "eur",
        items: [{ priceId: "team-eur-yearly", quantity: 4, unitAmount: 36000, interval: "year" }],
      },
    },
    responses: {
      201: { description: "A new subscription", example: { ok: true, result: "applied", subscription: { subscriptionId: "cb_sub_1", mrr: 12000 } } },
      200: { description: "An update (or a stale or unchanged state)" },
    },
    errors: ["VALIDATION_FAILED", "INVALID_JSON", "PAYLOAD_TOO_LARGE", "SERVICE_UNAVAILABLE"],
  },
];
