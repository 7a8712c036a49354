// POST /v1/webhooks/stripe/:appId (Stripe's signature is the credential) and
// POST /v1/api/subscriptions (ingest scope), both written through the writer: the answer
// comes after commit, so an acknowledged change is on disk.
import { Elysia, t } from "elysia";
import type Stripe from "stripe";
import { apiKeyAuth } from "../apps/auth";
import type { Monitoring } from "../monitoring/service";
import type { AppsService } from "../apps/service";
import { LATEST_DATE } from "../dates";
import { AppError } from "../errors";
import { KB, parseJson, readBodyBytes, readJsonBody } from "../http/body";
import { compile, validate } from "../http/validate";
import { subscriptionFromInput } from "./input";
import { SubscriptionInput } from "./model";
import type { BillingService } from "./service";
import { verifyStripeSignature } from "./signature";
import { handlesStripeEvent, STRIPE, stripeChanges } from "./stripe";
import { subscriptionView } from "./view";

export const WEBHOOK_BODY_LIMIT = 1024 * KB;
const SUBSCRIPTION_BODY_LIMIT = 64 * KB;

const subscriptionInput = compile(SubscriptionInput);
/** What trackd relies on in every Stripe event; the object itself is read per type. */
const stripeEvent = compile(
  t.Object({
    id: t.String({ minLength: 1, maxLength: 255 }),
    type: t.String({ minLength: 1, maxLength: 255 }),
    created: t.Integer({ minimum: 0, maximum: Math.floor(LATEST_DATE / 1000) }),
    data: t.Object({ object: t.Object({ id: t.String({ minLength: 1 }) }) }),
  }),
);

export function stripeWebhookRoutes(deps: { apps: AppsService; billing: BillingService; clock: () => number; monitoring: Pick<Monitoring, "webhooks"> }) {
  const { apps, billing, clock, monitoring } = deps;
  return new Elysia({ name: "stripe-webhook" }).post(
    "/v1/webhooks/stripe/:appId",
    async ({ params, request }) => {
      try {
        const reply = await receive(params.appId, request);
        monitoring.webhooks.inc({ provider: STRIPE, outcome: reply.result });
        return reply;
      } catch (error) {
        monitoring.webhooks.inc({ provider: STRIPE, outcome: "rejected" });
        throw error;
      }
    },
    { parse: "none" },
  );

  async function receive(appId: string, request: Request) {
    const app = await apps.findApp(appId);
    if (!app) throw new AppError("NOT_FOUND", `no app with id ${appId}`);
    if (!app.stripeWebhookSecret) {
      throw new AppError("INVALID_SIGNATURE", `app ${app.id} has no Stripe webhook secret: trackd apps update ${app.id} --stripe-webhook-secret whsec_...`);
    }
    const body = await readBodyBytes(request, WEBHOOK_BODY_LIMIT);
    const check = verifyStripeSignature(request.headers.get("stripe-signature"), body, app.stripeWebhookSecret, clock());
    if (!check.ok) {
      throw new AppError("INVALID_SIGNATURE", check.reason, { details: [{ path: "/headers/stripe-signature", message: check.reason }] });
    }
    const event = validate(stripeEvent, parseJson(body)) as Stripe.Event;
    // Stripe retries anything but a 2xx for days: types trackd has no use for are acknowledged.
    if (!handlesStripeEvent(event.type)) return { received: true, result: "ignored" as const };
    const applied = await billing.applyOnce(app.id, STRIPE, event, stripeChanges(event));
    // An event of several changes (a trial's end: the subscription, then a note) answers with its last.
    return { received: true, result: applied === "duplicate" ? applied : applied.results.at(-1)!.result };
  }
}

export function subscriptionRoutes(deps: { apps: AppsService; billing: BillingService; clock: () => number }) {
  const { billing, clock } = deps;
  return new Elysia({ name: "subscriptions" })
    .use(apiKeyAuth(deps.apps, "ingest"))
    .post(
      "/v1/api/subscriptions",
      async ({ request, app, set }) => {
        const input = validate(subscriptionInput, await readJsonBody(request, SUBSCRIPTION_BODY_LIMIT));
        const { state, at } = subscriptionFromInput(input, clock());
        const applied = await billing.apply(app.id, [{ kind: "subscription", state, source: { at } }]);
        const { result, created } = applied.results[0]!;
        const subscription = (await billing.findSubscription(app.id, state.provider, state.subscriptionId))!;
        set.status = created ? 201 : 200;
        return { ok: true, result, subscription: subscriptionView(subscription) };
      },
      { parse: "none" },
    );
}
