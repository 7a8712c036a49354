// The write step of the pipeline. Every function here hands a job to the writer, so it runs
// inside the batch transaction and its promise settles after commit.
import type { Db } from "../db";
import type { ErrorDetail } from "../errors";
import type { CustomerView } from "../customers/model";
import type { CustomersService } from "../customers/service";
import type { LiveHub, LiveEvent } from "../live/hub";
import type { Monitoring } from "../monitoring/metrics";
import type { Writer } from "../writer";
import { mergeAttributes } from "./attributes";
import type { EventSource } from "../db/schema";
import { attachUnverified, resolveCustomer, resolveUser, type Identity, type Resolved } from "./identity";
import type { Attributes, CustomerUpdateInput, UserInput } from "./model";
import type { NormalizedEvent } from "./normalize";
import { createCounters } from "./counters";
import { createIngestStore, type CustomerIdentity } from "./store";

export type { EventSource };

export interface WriteResult {
  id: string;
  duplicate: boolean;
  warnings: ErrorDetail[];
}

/**
 * The write steps, for a feature that maps its own input onto customers (src/segment/) and
 * composes them into one writer job with compose(). Valid only inside that job.
 */
export interface WriteSteps {
  /** Stores the event unless its messageId is known; `resolved`: a customer the caller already found. */
  writeEvent(appId: string, event: NormalizedEvent, source: EventSource, resolved?: Resolved): WriteResult;
  resolveCustomer(appId: string, identity: Identity): Resolved;
  updateCustomerAttributes(pk: number, update: { customerData?: Attributes; customerEmail?: string }): void;
  upsertUser(appId: string, customerPk: number, input: UserInput): { pk: number };
  /** Merges `data` into the user record's attributes. */
  updateUserData(userPk: number, data: Attributes): void;
  eventIdByMessageId(appId: string, messageId: string): string | undefined;
  newestCustomerOfUser(appId: string, uid: string): CustomerIdentity | undefined;
  usersByUid(appId: string, uid: string): { pk: number }[];
}

export interface IngestDeps {
  db: Db;
  writer: Writer;
  clock: () => number;
  customers: CustomersService;
  /** The Live page's feed: told about events once they are committed. */
  live?: LiveHub;
  /** Counts stored events and duplicates for GET /metrics; `dev seed` goes without. */
  monitoring?: Pick<Monitoring, "eventsStored" | "duplicates">;
}

export function createIngestService({ db, writer, clock, customers, live, monitoring }: IngestDeps) {
  const store = createIngestStore(db);
  const counters = createCounters(db);
  writer.defer(counters);

  function updateCustomerAttributes(
    pk: number,
    update: { customerData?: Attributes; customerEmail?: string },
    now: number,
  ): void {
    if (update.customerData === undefined && update.customerEmail === undefined) return;
    const current = store.customerAttributes(pk);
    store.setCustomerAttributes({
      pk,
      data: update.customerData ? mergeAttributes(current.data, update.customerData) : current.data,
      email: update.customerEmail ?? current.email,
      now,
    });
  }

  function updateUserData(pk: number, data: Attributes, now: number): void {
    store.setUserData({ pk, data: mergeAttributes(store.userData(pk), data), now });
  }

  /** Finds or creates the B2B user and merges its attributes. */
  function upsertUser(appId: string, customerPk: number, input: UserInput, now: number): { pk: number } {
    const user = resolveUser(store, appId, customerPk, input.uid, now);
    if (input.data) updateUserData(user.pk, input.data, now);
    return user;
  }

  // Runs inside the writer's transaction.
  function writeEvent(appId: string, event: NormalizedEvent, source: EventSource, resolved?: Resolved): WriteResult {
    if (event.messageId !== undefined) {
      // Idempotency is permanent, not windowed: the unique index keeps every messageId.
      const original = store.eventIdByMessageId(appId, event.messageId);
      if (original) return { id: original, duplicate: true, warnings: [] };
    }
    const now = clock();
    const { customer, warnings } = resolved ?? (event.verified ? resolveCustomer : attachUnverified)(store, appId, event, now);
    updateCustomerAttributes(customer.pk, { customerData: event.customerData }, now);
    // An event's email fills a gap but never replaces one: /customer-update does that.
    if (event.customerEmail !== undefined && event.verified) store.fillCustomerEmail(customer.pk, event.customerEmail, now);
    const user = event.user ? upsertUser(appId, customer.pk, event.user, now) : null;
    const id = `evt_${Bun.randomUUIDv7()}`;
    store.insertEvent({
      id,
      appId,
      customerPk: customer.pk,
      userPk: user?.pk ?? null,
      event: event.event,
      eventDate: event.eventDate,
      receivedAt: now,
      eventData: event.eventData,
      source,
      verified: event.verified,
      messageId: event.messageId ?? null,
    });
    counters.count({ appId, customerPk: customer.pk, userPk: user?.pk ?? null, event: event.event, eventDate: event.eventDate });
    return { id, duplicate: false, warnings };
  }

  /** After commit, and only when a Live page is open on the app (the write path pays nothing otherwise). */
  function announce(appId: string, batch: NormalizedEvent[], results: WriteResult[], source: EventSource): void {
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
  function committed(appId: string, source: EventSource, batch: NormalizedEvent[], results: WriteResult[]): void {
    counted(appId, source, results);
    announce(appId, batch, results, source);
  }

  function stepsAt(now: number): WriteSteps {
    return {
      writeEvent,
      resolveCustomer: (appId, identity) => resolveCustomer(store, appId, identity, now),
      updateCustomerAttributes: (pk, update) => updateCustomerAttributes(pk, update, now),
      upsertUser: (appId, customerPk, input) => upsertUser(appId, customerPk, input, now),
      updateUserData: (pk, data) => updateUserData(pk, data, now),
      eventIdByMessageId: store.eventIdByMessageId,
      newestCustomerOfUser: store.newestCustomerOfUser,
      usersByUid: store.usersByUid,
    };
  }

  return {
    /**
     * One writer job built from the write steps, weighing `weight` events against the queue's
     * cap: for a feature with its own mapping onto customers. Settles after commit.
     */
    compose<T>(job: (steps: WriteSteps) => T, weight: number): Promise<T> {
      return writer.submit(() => job(stepsAt(clock())), weight);
    },

    /** For writes made through compose(): what the routes below do once their write committed. */
    committed,

    async recordEvent(appId: string, event: NormalizedEvent, source: EventSource): Promise<WriteResult> {
      const result = await writer.submit(() => writeEvent(appId, event, source));
      committed(appId, source, [event], [result]);
      return result;
    },

    /** All or nothing: the events are one job, so one failure undoes them all. */
    async recordEvents(appId: string, batch: NormalizedEvent[], source: EventSource): Promise<WriteResult[]> {
      const results = await writer.submit(() => batch.map((event) => writeEvent(appId, event, source)), batch.length);
      committed(appId, source, batch, results);
      return results;
    },

    updateCustomer(
      appId: string,
      update: CustomerUpdateInput,
    ): Promise<{ customer: CustomerView; warnings: ErrorDetail[] }> {
      return writer.submit(() => {
        const now = clock();
        const { customer, warnings } = resolveCustomer(store, appId, update, now);
        updateCustomerAttributes(customer.pk, update, now);
        if (update.user) upsertUser(appId, customer.pk, update.user, now);
        writer.flushDeferred(); // the activity this batch's events have added to the row so far
        return { customer: customers.viewByPk(customer.pk)!, warnings };
      });
    },
  };
}

export type IngestService = ReturnType<typeof createIngestService>;
