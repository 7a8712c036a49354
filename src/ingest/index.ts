// POST /v1/api/events/new, /events/bulk, /events/customer-update. Each route is
//   authenticate (the apiKeyAuth plugin: x-ck-api-key + x-ck-app, 401/403 before the body is read)
//   → its steps (pipeline.ts for the events, customer-update.ts) → the reply.
import { Elysia } from "elysia";
import { apiKeyAuth } from "../apps/auth";
import type { AppsService } from "../apps/service";
import { customerRequest, customerUpdateSteps } from "./customer-update";
import { BULK_BODY_LIMIT, eventSteps, eventsRequest, SINGLE_BODY_LIMIT } from "./pipeline";
import { batchReply, singleReply, withWarnings } from "./reply";
import type { IngestService } from "./service";
import { runSteps } from "./steps";

export { BULK_BODY_LIMIT, SINGLE_BODY_LIMIT };

export function ingestRoutes(deps: { apps: AppsService; ingest: IngestService; clock: () => number }) {
  const { ingest, clock } = deps;
  const events = eventSteps(ingest);
  const customerUpdate = customerUpdateSteps(ingest);
  return new Elysia({ name: "ingest" })
    .use(apiKeyAuth(deps.apps, "ingest"))
    .post(
      "/v1/api/events/new",
      async ({ request, app, set }) => {
        const { results } = await runSteps(eventsRequest(request, app, clock(), false), events);
        const result = results![0]!;
        set.status = result.duplicate ? 200 : 201;
        return singleReply(result);
      },
      { parse: "none" },
    )
    .post(
      "/v1/api/events/bulk",
      async ({ request, app, set }) => {
        const { results } = await runSteps(eventsRequest(request, app, clock(), true), events);
        const reply = batchReply(results!);
        set.status = reply.count > 0 ? 201 : 200;
        return reply;
      },
      { parse: "none" },
    )
    .post(
      "/v1/api/events/customer-update",
      // Chained rather than async, as the steps that wait for one promise are (steps.ts, ONE_PROMISE).
      ({ request, app }) =>
        runSteps(customerRequest(request, app), customerUpdate).then(({ customer, warnings }) => ({ ok: true, customer, ...withWarnings(warnings!) })),
      { parse: "none" },
    );
}
