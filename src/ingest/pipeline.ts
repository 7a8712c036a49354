// The server's event routes (/events/new, /events/bulk) as an ordered list of named steps, as
// Plausible's ingestion pipeline(): each step reads what the ones before it left on the context
// and adds its own, or refuses the request with an AppError whose code is one of errors.ts's
// closed set (and whose details name the field). Authentication runs before, as the routes'
// plugin (apps/auth.ts); resolving the customer, messageId idempotency and the counts happen
// inside the write, in the store's applier, in the same transaction as the event.
import type { AppRow } from "../store/types";
import { AppError } from "../errors";
import { refusePastHorizon } from "../horizon";
import { KB, readJsonBody } from "../http/body";
import { batchItems, normalizeAll, normalizeOne } from "./batch";
import { BULK_MAX_EVENTS } from "./model";
import { normalizeEvent, type NormalizedEvent } from "./normalize";
import type { IngestService, WriteResult } from "./service";

export const SINGLE_BODY_LIMIT = 64 * KB;
export const BULK_BODY_LIMIT = 1024 * KB;

/** One request on its way through the steps. */
export interface EventsRequest {
  request: Request;
  /** Set by authentication, before the steps. */
  app: AppRow;
  /** One clock reading for the whole request. */
  now: number;
  mode: "single" | "bulk";
  body?: unknown;
  events?: NormalizedEvent[];
  results?: WriteResult[];
}

export type StepName = "read" | "normalise" | "retention" | "write";

export interface Step {
  name: StepName;
  /** Fills its part of the request, or throws an AppError that refuses it. */
  run(ctx: EventsRequest): void | Promise<void>;
}

/** Reads the JSON body, refusing one over the route's limit while it streams (413). */
export const read: Step = {
  name: "read",
  async run(ctx) {
    ctx.body = await readJsonBody(ctx.request, ctx.mode === "single" ? SINGLE_BODY_LIMIT : BULK_BODY_LIMIT);
  },
};

/** Validates and normalises every event (400 naming each bad field); a bulk body is all or nothing. */
export const normalise: Step = {
  name: "normalise",
  run(ctx) {
    ctx.events = ctx.mode === "single" ? [normalizeOne(ctx.body, (item) => normalizeEvent(item, "single", ctx.now))] : normalizeBulk(ctx.body, ctx.now);
  },
};

/** Refuses events dated before the app's retention horizon: they would be purged at once. */
export const retention: Step = {
  name: "retention",
  run(ctx) {
    refusePastHorizon(ctx.app, ctx.events!.map((event) => event.eventDate), ctx.now, ctx.mode === "bulk");
  },
};

/** Stores the events as one command; settles after commit. */
export function write(ingest: IngestService): Step {
  return {
    name: "write",
    async run(ctx) {
      ctx.results = await ingest.recordEvents(ctx.app.id, ctx.events!, ctx.mode === "single" ? "server" : "bulk");
    },
  };
}

/** The steps of the server's event routes, in order. */
export function eventSteps(ingest: IngestService): readonly Step[] {
  return [read, normalise, retention, write(ingest)];
}

/** Runs the steps in order; the first that throws ends the request, and nothing after it runs. */
export async function runSteps(ctx: EventsRequest, steps: readonly Step[]): Promise<EventsRequest> {
  for (const step of steps) {
    const pending = step.run(ctx);
    if (pending) await pending; // the synchronous steps cost no microtask
  }
  return ctx;
}

function normalizeBulk(body: unknown, now: number): NormalizedEvent[] {
  if (!Array.isArray(body)) {
    throw new AppError("VALIDATION_FAILED", "bulk body must be a JSON array of events", {
      details: [{ path: "", message: "body must be a JSON array of events" }],
    });
  }
  return normalizeAll(batchItems(body, BULK_MAX_EVENTS, "bulk"), (item) => normalizeEvent(item, "bulk", now));
}
