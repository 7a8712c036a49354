// The write step of the pipeline: hands the store a typed command (store/commands.ts) whose
// promise settles after commit, then counts what was committed for GET /metrics and tells an
// open Live page about it.
import type { CustomerView } from "../customers/model";
import type { CustomersService } from "../customers/service";
import { AppError, type ErrorDetail } from "../errors";
import type { LiveEvent, LiveHub } from "../live/service";
import type { Monitoring } from "../monitoring/service";
import type { Command, EventSource, ResultOf, StoredEvent, WriteResult } from "../store/commands";
import type { Store } from "../store/types";
import type { CustomerUpdateInput } from "./model";
import type { NormalizedEvent } from "./normalize";

// The ingest steps other features reuse for their own inputs (client/, segment/, dev seed), and
// the step runner every write route uses (steps.ts).
export { readJson, runSteps, type Step } from "./steps";
export { retention, write as writeEvents, type EventsRequest } from "./pipeline";
export { batchItems, indexed, normalizeAll, normalizeOne, type Normalized } from "./batch";
export { eventDataOf, eventDateOf, MAX_EVENT_DATA_BYTES, type NormalizedEvent } from "./normalize";
export { nestingProblem } from "./attributes";
export { batchReply, singleReply, withWarnings } from "./reply";

export type { EventSource, WriteResult };

export interface IngestDeps {
  /** The store (its write side: typed commands). */
  store: Store;
  clock: () => number;
  customers: CustomersService;
  /** The Live page's feed: told about events once they are committed. */
  live?: LiveHub;
  /** Counts stored events and duplicates for GET /metrics; `dev seed` goes without. */
  monitoring?: Pick<Monitoring, "eventsStored" | "duplicates">;
}

export function createIngestService({ store, clock, customers, live, monitoring }: IngestDeps) {
  const applier = store;
  /** Only when a Live page is open on the app (the write path pays nothing otherwise). */
  function announce(appId: string, batch: StoredEvent[], results: WriteResult[], source: EventSource): void {
    if (!live?.listening(appId)) return;
    const receivedAt = new Date(clock()).toISOString();
    const items: LiveEvent[] = [];
    for (const [i, result] of results.entries()) {
      const event = batch[i]!;
      if (result.duplicate) continue;
      items.push({
        type: "event",
        id: result.id,
        event: event.event,
        customerId: event.customerId ?? null,
        uid: event.uid ?? null,
        email: event.customerEmail ?? null,
        user: event.user?.uid ?? null,
        source,
        verified: event.verified,
        eventDate: new Date(event.eventDate).toISOString(),
        receivedAt,
      });
    }
    live.publish(appId, items);
  }

  /** Counted once committed: a rolled-back write stored nothing. */
  function counted(appId: string, source: EventSource, results: readonly { duplicate: boolean }[]): void {
    if (!monitoring) return;
    const duplicates = results.filter((result) => result.duplicate).length;
    if (results.length > duplicates) monitoring.eventsStored.inc({ app: appId, source }, results.length - duplicates);
    if (duplicates > 0) monitoring.duplicates.inc({ app: appId, source }, duplicates);
  }

  /** After a write of `batch` committed: the metrics count it and open Live pages see it. */
  function committed(appId: string, source: EventSource, batch: StoredEvent[], results: WriteResult[]): void {
    counted(appId, source, results);
    announce(appId, batch, results, source);
  }

  async function recordEvents(appId: string, events: NormalizedEvent[], source: EventSource): Promise<WriteResult[]> {
    const results = await applier.apply({ type: "RecordEvents", appId, source, events });
    committed(appId, source, events, results);
    return results;
  }

  return {
    /** The store's commands, for a feature with its own mapping onto customers (Segment's batch). */
    apply: <C extends Command>(command: C): Promise<ResultOf<C>> => applier.apply(command),

    /** For writes made through apply(): what the routes below do once their write committed. */
    committed,

    recordEvent: async (appId: string, event: NormalizedEvent, source: EventSource): Promise<WriteResult> =>
      (await recordEvents(appId, [event], source))[0]!,

    /** All or nothing: the events are one command, so one failure undoes them all. */
    recordEvents,

    async updateCustomer(appId: string, update: CustomerUpdateInput): Promise<{ customer: CustomerView; warnings: ErrorDetail[] }> {
      const { customerData, customerEmail, user } = update;
      const { customerPk, warnings } = await applier.apply({ type: "UpdateCustomer", appId, identity: update, customerData, customerEmail, user });
      // Read once committed, counts included. Only an erasure committed in between finds nothing.
      const customer = await customers.viewByPk(customerPk);
      if (!customer) throw new AppError("NOT_FOUND", "the customer was erased while it was being updated");
      return { customer, warnings };
    },
  };
}

export type IngestService = ReturnType<typeof createIngestService>;
