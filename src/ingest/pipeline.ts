// The steps of the event routes (steps.ts has the model). The server's routes run
//   authenticate (the apiKeyAuth plugin, before the steps) → read → normalise → retention → write
// and the browser route (src/client/pipeline.ts) shares retention and write. Resolving the
// customer, messageId idempotency and the counts happen inside the write, in the store's
// applier, in the same transaction as the events.
import type { AppRow } from "../store/types";
import { AppError } from "../errors";
import { refusePastHorizon } from "../horizon";
import { KB } from "../http/body";
import type { EventSource, WriteResult } from "../store/commands";
import { batchItems, normalizeAll, normalizeOne } from "./batch";
import { BULK_MAX_EVENTS } from "./model";
import { normalizeEvent, type NormalizedEvent } from "./normalize";
import { readJson, type Step } from "./steps";

export const SINGLE_BODY_LIMIT = 64 * KB;
export const BULK_BODY_LIMIT = 1024 * KB;

/** One request carrying events, on its way through the steps. */
export interface EventsRequest {
  request: Request;
  /** Server routes: set by authentication, before the steps. The browser route: its `app` step. */
  app?: AppRow;
  /** One clock reading for the whole request. */
  now: number;
  /** The body is an array of events: all or nothing, and each detail names its item's index. */
  batch: boolean;
  source: EventSource;
  body?: unknown;
  events?: NormalizedEvent[];
  results?: WriteResult[];
}

/** What the write step needs of the ingest service (service.ts re-exports this file: no import back). */
export interface EventWriter {
  recordEvents(appId: string, events: NormalizedEvent[], source: EventSource): Promise<WriteResult[]>;
}

/** A new request for the server's routes; every field is set here so that each has one shape. */
export function eventsRequest(request: Request, app: AppRow, now: number, batch: boolean): EventsRequest {
  return { request, app, now, batch, source: batch ? "bulk" : "server", body: undefined, events: undefined, results: undefined };
}

/** 64 KB for one event, 1 MB for a bulk body. */
export const read = readJson<EventsRequest>((ctx) => (ctx.batch ? BULK_BODY_LIMIT : SINGLE_BODY_LIMIT));

/** Validates and normalises every event (400 naming each bad field); a bulk body is all or nothing. */
export const normalise: Step<EventsRequest, "normalise"> = {
  name: "normalise",
  run(ctx) {
    const { body, now } = ctx;
    ctx.events = ctx.batch ? normalizeBulk(body, now) : [normalizeOne(body, (item) => normalizeEvent(item, "single", now))];
  },
};

/** Refuses events dated before the app's retention horizon: they would be purged at once. */
export const retention: Step<EventsRequest, "retention"> = {
  name: "retention",
  run(ctx) {
    const app = ctx.app!;
    if (app.retentionDays === null) return; // most apps: no dates to gather
    refusePastHorizon(app, ctx.events!.map((event) => event.eventDate), ctx.now, ctx.batch);
  },
};

/** Stores the events as one command (all or nothing); settles after commit. */
export function write(ingest: EventWriter): Step<EventsRequest, "write"> {
  return {
    name: "write",
    // Chained rather than async: see ONE_PROMISE in steps.ts.
    run: (ctx) =>
      ingest.recordEvents(ctx.app!.id, ctx.events!, ctx.source).then((results) => {
        ctx.results = results;
      }),
  };
}

/** The steps of /events/new and /events/bulk, in order, after authentication. */
export function eventSteps(ingest: EventWriter): readonly Step<EventsRequest>[] {
  return [read, normalise, retention, write(ingest)];
}

function normalizeBulk(body: unknown, now: number): NormalizedEvent[] {
  if (!Array.isArray(body)) {
    throw new AppError("VALIDATION_FAILED", "bulk body must be a JSON array of events", {
      details: [{ path: "", message: "body must be a JSON array of events" }],
    });
  }
  return normalizeAll(batchItems(body, BULK_MAX_EVENTS, "bulk"), (item) => normalizeEvent(item, "bulk", now));
}
