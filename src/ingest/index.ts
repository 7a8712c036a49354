// POST /v1/api/events/new, /events/bulk, /events/customer-update. Each route is the pipeline:
// authenticate (plugin) → read body → validate & normalise → write (group commit) → reply.
import { Elysia } from "elysia";
import { apiKeyAuth } from "../apps/auth";
import type { AppsService } from "../apps/service";
import { AppError } from "../errors";
import { KB, readJsonBody } from "../http/body";
import { compile, validate, validationError } from "../http/validate";
import { refusePastHorizon } from "../retention/horizon";
import { attributeProblems } from "./attributes";
import { batchItems, normalizeAll, normalizeOne } from "./batch";
import { BULK_MAX_EVENTS, CustomerUpdateInput } from "./model";
import { normalizeEvent, type NormalizedEvent } from "./normalize";
import { batchReply, singleReply, withWarnings } from "./reply";
import type { IngestService } from "./service";

export const SINGLE_BODY_LIMIT = 64 * KB;
export const BULK_BODY_LIMIT = 1024 * KB;

const customerUpdateInput = compile(CustomerUpdateInput);

export function ingestRoutes(deps: { apps: AppsService; ingest: IngestService; clock: () => number }) {
  const { ingest, clock } = deps;
  return new Elysia({ name: "ingest" })
    .use(apiKeyAuth(deps.apps, "ingest"))
    .post(
      "/v1/api/events/new",
      async ({ request, app, set }) => {
        const body = await readJsonBody(request, SINGLE_BODY_LIMIT);
        const event = normalizeOne(body, (item) => normalizeEvent(item, "single", clock()));
        refusePastHorizon(app, [event.eventDate], clock(), false);
        const result = await ingest.recordEvent(app.id, event, "server");
        set.status = result.duplicate ? 200 : 201;
        return singleReply(result);
      },
      { parse: "none" },
    )
    .post(
      "/v1/api/events/bulk",
      async ({ request, app, set }) => {
        const batch = normalizeBulk(await readJsonBody(request, BULK_BODY_LIMIT), clock());
        refusePastHorizon(app, batch.map((event) => event.eventDate), clock(), true);
        const reply = batchReply(await ingest.recordEvents(app.id, batch, "bulk"));
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

function normalizeBulk(body: unknown, now: number): NormalizedEvent[] {
  if (!Array.isArray(body)) {
    throw new AppError("VALIDATION_FAILED", "bulk body must be a JSON array of events", {
      details: [{ path: "", message: "body must be a JSON array of events" }],
    });
  }
  return normalizeAll(batchItems(body, BULK_MAX_EVENTS, "bulk"), (item) => normalizeEvent(item, "bulk", now));
}
