// The write step of the pipeline: hands the store a typed command (store/commands.ts) whose
// promise settles after commit, and counts what was committed for GET /metrics.
import type { ErrorDetail } from "../errors";
import type { CustomerView } from "../customers/model";
import type { CustomersService } from "../customers/service";
import type { Monitoring } from "../monitoring/service";
import type { EventSource, WriteResult } from "../store/commands";
import { createSqliteApplier, type SqliteApplier } from "../store/sqlite/applier";
import type { Writer } from "../store/writer";
import type { Db } from "../db";
import { AppError } from "../errors";
import type { CustomerUpdateInput } from "./model";
import type { NormalizedEvent } from "./normalize";

// The ingest steps other features reuse for their own inputs (client/, segment/, dev seed).
export { batchItems, indexed, normalizeAll, normalizeOne, type Normalized } from "./batch";
export { eventDataOf, eventDateOf, MAX_EVENT_DATA_BYTES, type NormalizedEvent } from "./normalize";
export { nestingProblem } from "./attributes";
export { batchReply, singleReply, withWarnings } from "./reply";

export type { EventSource, WriteResult };

export interface IngestDeps {
  db: Db;
  writer: Writer;
  clock: () => number;
  /** The store's write side; one is made from db, writer and clock when not given. */
  applier?: SqliteApplier;
  customers: CustomersService;
  /** Counts stored events and duplicates for GET /metrics; `dev seed` goes without. */
  monitoring?: Pick<Monitoring, "eventsStored" | "duplicates">;
}

export function createIngestService({ db, writer, clock, customers, monitoring, applier = createSqliteApplier({ db, writer, clock }) }: IngestDeps) {

  /** Counted once committed: a rolled-back write stored nothing. */
  function counted(appId: string, source: EventSource, results: readonly { duplicate: boolean }[]): void {
    if (!monitoring) return;
    const duplicates = results.filter((result) => result.duplicate).length;
    if (results.length > duplicates) monitoring.eventsStored.inc({ app: appId, source }, results.length - duplicates);
    if (duplicates > 0) monitoring.duplicates.inc({ app: appId, source }, duplicates);
  }

  async function recordEvents(appId: string, events: NormalizedEvent[], source: EventSource): Promise<WriteResult[]> {
    const results = await applier.apply({ type: "RecordEvents", appId, source, events });
    counted(appId, source, results);
    return results;
  }

  return {
    /** The store's commands, for a feature with its own mapping onto customers (Segment's batch). */
    apply: applier.apply,

    /** For writes made through apply(): counts what was committed, as the routes below do. */
    countStored: counted,

    recordEvent: async (appId: string, event: NormalizedEvent, source: EventSource): Promise<WriteResult> =>
      (await recordEvents(appId, [event], source))[0]!,

    /** All or nothing: the events are one command, so one failure undoes them all. */
    recordEvents,

    async updateCustomer(appId: string, update: CustomerUpdateInput): Promise<{ customer: CustomerView; warnings: ErrorDetail[] }> {
      const { customerData, customerEmail, user } = update;
      const { customerPk, warnings } = await applier.apply({ type: "UpdateCustomer", appId, identity: update, customerData, customerEmail, user });
      // Read once committed, counts included. Only an erasure committed in between finds nothing.
      const customer = customers.viewByPk(customerPk);
      if (!customer) throw new AppError("NOT_FOUND", "the customer was erased while it was being updated");
      return { customer, warnings };
    },
  };
}

export type IngestService = ReturnType<typeof createIngestService>;
