// POST /v1/api/events/new, /events/bulk, /events/customer-update. Each route is the pipeline:
// authenticate (plugin) → the steps of pipeline.ts (read, normalise, retention, write) → reply.
import { Elysia } from "elysia";
import { apiKeyAuth } from "../apps/auth";
import type { AppsService } from "../apps/service";
import { readJsonBody } from "../http/body";
import { compile, validate, validationError } from "../http/validate";
import { attributeProblems } from "./attributes";
import { CustomerUpdateInput } from "./model";
import { BULK_BODY_LIMIT, eventSteps, runSteps, SINGLE_BODY_LIMIT } from "./pipeline";
import { batchReply, singleReply, withWarnings } from "./reply";
import type { IngestService } from "./service";

export { BULK_BODY_LIMIT, SINGLE_BODY_LIMIT };

const customerUpdateInput = compile(CustomerUpdateInput);

export function ingestRoutes(deps: { apps: AppsService; ingest: IngestService; clock: () => number }) {
  const { ingest, clock } = deps;
  const steps = eventSteps(ingest);
  return new Elysia({ name: "ingest" })
    .use(apiKeyAuth(deps.apps, "ingest"))
    .post(
      "/v1/api/events/new",
      async ({ request, app, set }) => {
        const { results } = await runSteps({ request, app, now: clock(), mode: "single" }, steps);
        const result = results![0]!;
        set.status = result.duplicate ? 200 : 201;
        return singleReply(result);
      },
      { parse: "none" },
    )
    .post(
      "/v1/api/events/bulk",
      async ({ request, app, set }) => {
        const { results } = await runSteps({ request, app, now: clock(), mode: "bulk" }, steps);
        const reply = batchReply(results!);
        set.status = reply.count > 0 ? 201 : 200;
        return reply;
      },
      { parse: "none" },
    )
    .post(
      "/v1/api/events/customer-update",
      async ({ request, app }) => {
        const input = validate(customerUpdateInput, await readJsonBody(request, SINGLE_BODY_LIMIT));
        const problems = attributeProblems([["/customerData", input.customerData], ["/user/data", input.user?.data]]);
        if (input.customerId === undefined && input.uid === undefined) {
          problems.push({ path: "/customerId", message: "customerId or uid is required to know which customer to update" });
        }
        if (input.customerData === undefined && input.customerEmail === undefined && input.user === undefined) {
          problems.push({ path: "/customerData", message: "nothing to update: send customerData, customerEmail or user" });
        }
        if (problems.length > 0) throw validationError(problems);
        const { customer, warnings } = await ingest.updateCustomer(app.id, input);
        return { ok: true, customer, ...withWarnings(warnings) };
      },
      { parse: "none" },
    );
}
