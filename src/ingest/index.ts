// POST /v1/api/events/new, /events/bulk, /events/customer-update. Each route is the pipeline:
// authenticate (plugin) → read body → validate & normalise → write (group commit) → reply.
import { Elysia } from "elysia";
import { apiKeyAuth } from "../apps/auth";
import type { AppsService } from "../apps/service";
import { AppError, type ErrorDetail } from "../errors";
import { KB, readJsonBody } from "../http/body";
import { compile, fieldName, validate, validationError } from "../http/validate";
import { BULK_MAX_EVENTS, CustomerUpdateInput } from "./model";
import { normalizeEvent, type NormalizedEvent } from "./normalize";
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
        const normalized = normalizeEvent(await readJsonBody(request, SINGLE_BODY_LIMIT), "single", clock());
        if (!normalized.ok) throw validationError(normalized.details);
        const { id, duplicate, warnings } = await ingest.recordEvent(app.id, normalized.event, "server");
        set.status = duplicate ? 200 : 201;
        return duplicate ? { ok: true, id, duplicate } : { ok: true, id, ...withWarnings(warnings) };
      },
      { parse: "none" },
    )
    .post(
      "/v1/api/events/bulk",
      async ({ request, app, set }) => {
        const batch = normalizeBulk(await readJsonBody(request, BULK_BODY_LIMIT), clock());
        const results = await ingest.recordEvents(app.id, batch, "bulk");
        const duplicates = results.flatMap((result, index) => (result.duplicate ? [index] : []));
        const count = results.length - duplicates.length;
        set.status = count > 0 ? 201 : 200;
        const warnings = results.flatMap((result, index) => result.warnings.map((warning) => ({ index, ...warning })));
        return { ok: true, count, ids: results.map((result) => result.id), duplicates, ...withWarnings(warnings) };
      },
      { parse: "none" },
    )
    .post(
      "/v1/api/events/customer-update",
      async ({ request, app }) => {
        const input = validate(customerUpdateInput, await readJsonBody(request, SINGLE_BODY_LIMIT));
        const problems: ErrorDetail[] = [];
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

/** All or nothing: one detail per bad item (its first problem), and nothing is written. */
function normalizeBulk(body: unknown, now: number): NormalizedEvent[] {
  if (!Array.isArray(body)) {
    throw new AppError("VALIDATION_FAILED", "bulk body must be a JSON array of events", {
      details: [{ path: "", message: "body must be a JSON array of events" }],
    });
  }
  if (body.length === 0 || body.length > BULK_MAX_EVENTS) {
    const message = `bulk accepts 1 to ${BULK_MAX_EVENTS} events per request; this one has ${body.length}`;
    throw new AppError("VALIDATION_FAILED", message, { details: [{ path: "", message }] });
  }
  const events: NormalizedEvent[] = [];
  const details: ErrorDetail[] = [];
  body.forEach((item, index) => {
    const result = normalizeEvent(item, "bulk", now);
    if (result.ok) events.push(result.event);
    else {
      const [first] = result.details;
      details.push({ index, field: fieldName(first.path), path: `/${index}${first.path}`, message: first.message });
    }
  });
  if (details.length > 0) {
    const message = `${details.length} of ${body.length} events are invalid; nothing was stored`;
    throw new AppError("VALIDATION_FAILED", message, { details });
  }
  return events;
}

function withWarnings(warnings: ErrorDetail[]) {
  return warnings.length > 0 ? { warnings } : {};
}
