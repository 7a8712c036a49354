// The per-event write path on PostgreSQL: identity, attributes, users and the events themselves,
// inside one batch transaction (batcher.ts). Raw SQL through postgres-js tagged templates
// (prepared once per connection by the driver): this is the per-event path, as ../ingest.ts is
// on SQLite. The rules are shared (../identity.ts decides, this carries the decisions out).
//
// Several nodes write at once, so every creation is insert-or-fetch: `INSERT … ON CONFLICT DO
// NOTHING RETURNING`, and when nothing comes back another node made the row first, and the
// lookup is done again (it now sees that row, committed: the conflicting insert waited for it).
// Attribute merges wait for the end of the batch, where every customer and user row the batch
// touched is locked (FOR UPDATE) once, in pk order, then merged: two nodes' merges never
// overwrite each other, and never deadlock in event order. Events are buffered per batch and
// inserted in one statement (unnest arrays, in messageId order), ON CONFLICT DO NOTHING on
// (app_id, message_id): only the rows really inserted are counted.
import { mergeAttributes, type Attributes } from "../../attributes";
import type { EventSource, Identity, StoredEvent, WriteResult } from "../commands";
import { countEvent, type CountSums } from "../counts";
import { afterEmail, decideCustomer, newCustomer, unverifiedLookups, type NewCustomer, type Resolved } from "../identity";
import type { CustomerIdentity, NewEventRow } from "../ingest";
import type { PgTx } from "./batcher";
import { RaceLost } from "./retry";

/** An event row as SQLite's store inserts it, waiting for the batch's one insert. */
interface PendingEvent extends NewEventRow {
  /** The result handed back: patched if another node stored the messageId first. */
  result: WriteResult;
  /** Results of later events of this batch with the same messageId. */
  repeats: WriteResult[];
}

export function createPgIngest(tx: PgTx, sums: CountSums) {
  // Found customers by `${appId}|customerId|value` and `${appId}|uid|value`: a customer's
  // customerId and uid, once set, never change, so a hit stays true for the batch (erasure
  // clears it). Misses are never kept: another node may create the customer any moment.
  const customers = new Map<string, CustomerIdentity>();
  const users = new Map<string, number>();
  // Customers (`${appId}|customerId|…`, `${appId}|uid|…`) and users (`${customerPk}|${uid}` of
  // uids prefetched) that prefetch found missing: each trusted once, then looked up again.
  const absent = new Set<string>();
  const absentUserUids = new Set<string>();
  // messageIds of this batch's events, and ones found stored: `${appId}|${messageId}`.
  const written = new Map<string, PendingEvent>();
  const stored = new Map<string, string>();
  let pending: PendingEvent[] = [];
  // Attribute merges waiting for flushRows, per row pk; the rows events were counted on.
  const customerMerges = new Map<number, Merges>();
  const userMerges = new Map<number, Merges>();
  const touchedCustomers = new Set<number>();
  const touchedUsers = new Set<number>();

  function remember(appId: string, customer: CustomerIdentity): CustomerIdentity {
    if (customer.customerId !== null) customers.set(`${appId}|customerId|${customer.customerId}`, customer);
    if (customer.uid !== null) customers.set(`${appId}|uid|${customer.uid}`, customer);
    return customer;
  }

  async function find(appId: string, by: "customerId" | "uid" | "email", value: string): Promise<CustomerIdentity | undefined> {
    const key = `${appId}|${by}|${value}`;
    const cached = customers.get(key);
    if (cached) return cached;
    // Not there when the batch began: trusted once (a new customer is inserted next, and an
    // insert that meets another node's row makes the caller look again, in the database).
    if (absent.delete(key)) return undefined;
    const [row] =
      by === "customerId"
        ? await tx<CustomerIdentity[]>`SELECT pk, customer_id AS "customerId", uid FROM customers WHERE app_id = ${appId} AND customer_id = ${value}`
        : by === "uid"
          ? await tx<CustomerIdentity[]>`SELECT pk, customer_id AS "customerId", uid FROM customers WHERE app_id = ${appId} AND uid = ${value}`
          : // Emails are not unique: the oldest customer with it wins, so the answer never changes.
            await tx<CustomerIdentity[]>`SELECT pk, customer_id AS "customerId", uid FROM customers WHERE app_id = ${appId} AND email = ${value} ORDER BY pk LIMIT 1`;
    return row && by !== "email" ? remember(appId, row) : row;
  }

  /** Inserts the customer unless another node just did: undefined then (look again). */
  async function insertCustomer(appId: string, row: NewCustomer, now: number): Promise<CustomerIdentity | undefined> {
    if (row.customerId === null && row.uid === null && row.email !== null) {
      // Known by email only, with no unique key to meet: nodes creating it take turns, and the
      // second finds the first's customer, as one SQLite writer would.
      await tx`SELECT pg_advisory_xact_lock(hashtext(${`trackd email ${appId} ${row.email}`}))`;
      const existing = await find(appId, "email", row.email);
      if (existing) return existing;
    }
    const [inserted] = await tx<CustomerIdentity[]>`
      INSERT INTO customers (app_id, customer_id, uid, email, created_at, updated_at)
      VALUES (${appId}, ${row.customerId}, ${row.uid}, ${row.email}, ${now}, ${now})
      ON CONFLICT DO NOTHING RETURNING pk, customer_id AS "customerId", uid`;
    return inserted && remember(appId, inserted);
  }

  /** Sets the identifier the customer lacked, unless another node changed its identifiers first. */
  async function link(appId: string, before: CustomerIdentity, after: CustomerIdentity, now: number): Promise<boolean> {
    const rows = await tx`
      UPDATE customers SET customer_id = ${after.customerId}, uid = ${after.uid}, updated_at = ${now}
      WHERE pk = ${before.pk} AND customer_id IS NOT DISTINCT FROM ${before.customerId} AND uid IS NOT DISTINCT FROM ${before.uid}
      RETURNING pk`;
    if (rows.length === 0) return false;
    remember(appId, after);
    return true;
  }

  /** ../identity.ts's resolveCustomer, carried out with insert-or-fetch. */
  async function resolveCustomer(appId: string, identity: Identity, now: number): Promise<Resolved> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const { customerId, uid } = identity;
      const byCustomerId = customerId === undefined ? undefined : await find(appId, "customerId", customerId);
      const byUid = uid === undefined ? undefined : await find(appId, "uid", uid);
      let decision = decideCustomer(identity, byCustomerId, byUid);
      if (decision.kind === "byEmail") decision = afterEmail(identity, await find(appId, "email", decision.email));
      if (decision.kind === "found") return { customer: decision.customer, warnings: decision.warnings };
      if (decision.kind === "link") {
        if (await link(appId, decision.customer, decision.linked, now)) return { customer: decision.linked, warnings: [] };
      } else {
        const customer = await insertCustomer(appId, decision.row, now);
        if (customer) return { customer, warnings: decision.warnings };
      }
    }
    throw new RaceLost("the customer kept changing under this batch");
  }

  /** ../identity.ts's attachUnverified: the first customer found, else a new one as sent. */
  async function attachUnverified(appId: string, identity: Identity, now: number): Promise<Resolved> {
    for (let attempt = 0; attempt < 3; attempt++) {
      for (const [by, value] of unverifiedLookups(identity)) {
        const found = await find(appId, by, value);
        if (found) return { customer: found, warnings: [] };
      }
      const customer = await insertCustomer(appId, newCustomer(identity), now);
      if (customer) return { customer, warnings: [] };
    }
    throw new RaceLost("the customer kept changing under this batch");
  }

  /**
   * Attribute merges wait for the end of the batch (flushRows), where every customer and user
   * the batch touched is locked once, in pk order: a merge taking its row's lock mid-batch, in
   * event order, deadlocked nodes writing the same customers in different orders. Nothing in a
   * batch reads attributes before then (billing and erasure flush them first). An email set or
   * filled is written now: email lookups later in the batch must see it.
   */
  async function updateCustomerAttributes(pk: number, update: { customerData?: Attributes; customerEmail?: string }, now: number): Promise<void> {
    if (update.customerData !== undefined) defer(customerMerges, pk, update.customerData, now);
    if (update.customerEmail !== undefined) {
      await tx`UPDATE customers SET email = ${update.customerEmail}, updated_at = ${now} WHERE pk = ${pk}`;
    }
  }

  /** The customer's user `uid`, created if new (insert-or-fetch, as for customers). */
  async function resolveUser(appId: string, customerPk: number, uid: string, now: number): Promise<{ pk: number }> {
    const key = `${customerPk}|${uid}`;
    const cached = users.get(key);
    if (cached !== undefined) return { pk: cached };
    const select = () => tx<{ pk: number }[]>`SELECT pk FROM users WHERE customer_pk = ${customerPk} AND uid = ${uid}`;
    const insert = () => tx<{ pk: number }[]>`INSERT INTO users (app_id, customer_pk, uid, created_at, updated_at)
      VALUES (${appId}, ${customerPk}, ${uid}, ${now}, ${now}) ON CONFLICT (customer_pk, uid) DO NOTHING RETURNING pk`;
    // A uid prefetched has no record for this customer unless the prefetch found it: insert straight away, once.
    const known = absentUserUids.delete(`${appId}|${uid}`) ? undefined : (await select())[0];
    const user = known ?? (await insert())[0] ?? (await select())[0];
    if (!user) throw new RaceLost(`user ${uid} vanished`);
    users.set(key, user.pk);
    return user;
  }

  async function updateUserData(pk: number, data: Attributes, now: number): Promise<void> {
    defer(userMerges, pk, data, now);
  }

  /**
   * Locks every customer and user row the batch wrote (events counted on them, merges waiting),
   * in pk order, and applies the merges in the order they were made. A row gone means another
   * node erased it meanwhile: the batch runs again (and creates it afresh).
   */
  async function flushRows(): Promise<void> {
    // Both tables' locks in one round trip (pipelined), customers first.
    await Promise.all([mergeRows("customers", customerMerges, touchedCustomers), mergeRows("users", userMerges, touchedUsers)]);
  }

  async function mergeRows(table: "customers" | "users", merges: Map<number, Merges>, touched: Set<number>): Promise<void> {
    const pks = [...new Set([...merges.keys(), ...touched])].sort((a, b) => a - b);
    touched.clear();
    if (pks.length === 0) return;
    const rows = await tx<{ pk: number; data: Attributes }[]>`SELECT pk, data FROM ${tx(table)} WHERE pk = ANY(${pks}::int8[]) ORDER BY pk FOR UPDATE`;
    if (rows.length !== pks.length) throw new RaceLost(`${pks.length - rows.length} ${table} erased during the batch`);
    const changed = rows.filter((row) => merges.has(row.pk));
    if (changed.length > 0) {
      const merged = changed.map(({ pk, data }) => JSON.stringify(merges.get(pk)!.updates.reduce(mergeAttributes, data)));
      const nows = changed.map((row) => merges.get(row.pk)!.now);
      merges.clear();
      await tx`UPDATE ${tx(table)} AS t SET data = v.data::jsonb, updated_at = greatest(t.updated_at, v.now)
        FROM unnest(${changed.map((row) => row.pk)}::int8[], ${merged}::text[], ${nows}::int8[]) AS v(pk, data, now)
        WHERE t.pk = v.pk`;
    }
  }

  /** The id of the event stored (or written by this batch) with this messageId. */
  async function eventIdByMessageId(appId: string, messageId: string): Promise<string | undefined> {
    const key = `${appId}|${messageId}`;
    const known = written.get(key)?.result.id ?? stored.get(key);
    // "" marks a messageId looked up and not found (prefetchMessageIds).
    if (known !== undefined) return known === "" ? undefined : known;
    const [row] = await tx<{ id: string }[]>`SELECT id FROM events WHERE app_id = ${appId} AND message_id = ${messageId}`;
    if (row) stored.set(key, row.id);
    return row?.id;
  }

  /** One query for many messageIds, before a command's events are written one by one. */
  async function prefetchMessageIds(appId: string, messageIds: string[]): Promise<void> {
    const unknown = messageIds.filter((id) => !written.has(`${appId}|${id}`) && !stored.has(`${appId}|${id}`));
    if (unknown.length === 0) return;
    const rows = await tx<{ id: string; messageId: string }[]>`
      SELECT id, message_id AS "messageId" FROM events WHERE app_id = ${appId} AND message_id = ANY(${unknown}::text[])`;
    for (const row of rows) stored.set(`${appId}|${row.messageId}`, row.id);
    // The ones not found are looked up no more in this command: prefetched as absent.
    for (const id of unknown) if (!stored.has(`${appId}|${id}`)) stored.set(`${appId}|${id}`, "");
  }

  /**
   * Everything the batch's events will look up, in one round trip (pipelined statements): the
   * customers they name by customerId or uid, their users, and their messageIds. Each event
   * then finds what exists in memory and goes to the database only for what is new.
   */
  async function prefetch(appId: string, events: StoredEvent[]): Promise<void> {
    const unknown = (by: "customerId" | "uid", values: (string | undefined)[]) =>
      [...new Set(values.filter((value): value is string => value !== undefined && !customers.has(`${appId}|${by}|${value}`)))];
    const customerIds = unknown("customerId", events.map((event) => event.customerId));
    const uids = unknown("uid", events.map((event) => event.uid));
    const userUids = [...new Set(events.flatMap((event) => (event.user ? [event.user.uid] : [])))];
    const found = (rows: CustomerIdentity[]) => void rows.forEach((row) => remember(appId, row));
    for (const value of customerIds) absent.add(`${appId}|customerId|${value}`);
    for (const value of uids) absent.add(`${appId}|uid|${value}`);
    for (const uid of userUids) absentUserUids.add(`${appId}|${uid}`);
    await Promise.all([
      customerIds.length > 0 &&
        tx<CustomerIdentity[]>`SELECT pk, customer_id AS "customerId", uid FROM customers
          WHERE app_id = ${appId} AND customer_id = ANY(${customerIds}::text[])`.then(found),
      uids.length > 0 &&
        tx<CustomerIdentity[]>`SELECT pk, customer_id AS "customerId", uid FROM customers WHERE app_id = ${appId} AND uid = ANY(${uids}::text[])`.then(found),
      userUids.length > 0 &&
        tx<{ pk: number; customerPk: number; uid: string }[]>`SELECT pk, customer_pk AS "customerPk", uid FROM users
          WHERE app_id = ${appId} AND uid = ANY(${userUids}::text[])`.then((rows) => rows.forEach((row) => users.set(`${row.customerPk}|${row.uid}`, row.pk))),
      prefetchMessageIds(appId, events.flatMap((event) => (event.messageId === undefined ? [] : [event.messageId]))),
    ]);
  }

  /**
   * Buffers the event (inserted by flushEvents), unless its messageId is stored or already
   * written by this batch: then the original's id, as duplicate, before anything is created.
   */
  async function writeEvent(appId: string, event: StoredEvent, source: EventSource, now: number, resolved?: Resolved): Promise<WriteResult> {
    if (event.messageId !== undefined) {
      const key = `${appId}|${event.messageId}`;
      const earlier = written.get(key);
      if (earlier) {
        const repeat = { id: earlier.result.id, duplicate: true, warnings: [] };
        earlier.repeats.push(repeat);
        return repeat;
      }
      const original = stored.has(key) ? stored.get(key) : await eventIdByMessageId(appId, event.messageId);
      if (original) return { id: original, duplicate: true, warnings: [] };
    }
    const { customer, warnings } = resolved ?? (await (event.verified ? resolveCustomer : attachUnverified)(appId, event, now));
    await updateCustomerAttributes(customer.pk, { customerData: event.customerData }, now);
    // An event's email fills a gap but never replaces one: /customer-update does that.
    if (event.customerEmail !== undefined && event.verified) {
      await tx`UPDATE customers SET email = ${event.customerEmail}, updated_at = ${now} WHERE pk = ${customer.pk} AND email IS NULL`;
    }
    let userPk: number | null = null;
    if (event.user) {
      userPk = (await resolveUser(appId, customer.pk, event.user.uid, now)).pk;
      if (event.user.data) await updateUserData(userPk, event.user.data, now);
    }
    const result: WriteResult = { id: `evt_${Bun.randomUUIDv7()}`, duplicate: false, warnings };
    const row: PendingEvent = {
      id: result.id,
      appId,
      customerPk: customer.pk,
      userPk,
      event: event.event,
      eventDate: event.eventDate,
      receivedAt: now,
      eventData: event.eventData,
      source,
      verified: event.verified,
      messageId: event.messageId ?? null,
      result,
      repeats: [],
    };
    pending.push(row);
    // Locked at the end with the others (flushRows), whether or not the insert finds the messageId taken.
    touchedCustomers.add(customer.pk);
    if (userPk !== null) touchedUsers.add(userPk);
    if (row.messageId !== null) written.set(`${appId}|${row.messageId}`, row);
    return result;
  }

  /**
   * Inserts the buffered events in one statement. A row whose messageId another node stored
   * meanwhile is not inserted (the insert waited for that node's commit): its result becomes a
   * duplicate of the stored event, and it is not counted.
   */
  async function flushEvents(): Promise<void> {
    if (pending.length === 0) return;
    // seq numbers the events in the order they were written, as SQLite's rowid does (the reads
    // break ties of one eventDate by seq): taken before the rows are reordered below.
    const seqs = await tx<{ seq: number }[]>`SELECT nextval(pg_get_serial_sequence('events', 'seq')) AS seq FROM generate_series(1, ${pending.length})`;
    const ascending = seqs.map((row) => Number(row.seq)).sort((a, b) => a - b);
    const seqOf = new Map(pending.map((row, i) => [row, ascending[i]!]));
    // In messageId order: two nodes inserting the same messageIds wait on each other's unique
    // index entries in the same order, rather than deadlocking.
    const rows = pending.sort((a, b) => compareKeys(a.appId, b.appId) || compareKeys(a.messageId, b.messageId));
    pending = [];
    const column = <K extends keyof PendingEvent>(key: K) => rows.map((row) => row[key]);
    const inserted = await tx<{ id: string }[]>`
      INSERT INTO events (seq, id, app_id, customer_pk, user_pk, event, event_date, received_at, event_data, source, verified, message_id)
      SELECT * FROM unnest(${rows.map((row) => seqOf.get(row)!)}::int8[], ${column("id")}::text[], ${column("appId")}::text[], ${column("customerPk")}::int8[], ${column("userPk")}::int8[],
        ${column("event")}::text[], ${column("eventDate")}::int8[], ${column("receivedAt")}::int8[], ${column("eventData")}::text[],
        ${column("source")}::text[], ${rows.map((row) => String(row.verified))}::text[]::boolean[], ${column("messageId")}::text[])
      ON CONFLICT (app_id, message_id) WHERE message_id IS NOT NULL DO NOTHING
      RETURNING id`;
    const ids = new Set(inserted.map((row) => row.id));
    for (const row of rows) {
      if (ids.has(row.id)) {
        countEvent(sums, row);
        continue;
      }
      const [original] = await tx<{ id: string }[]>`SELECT id FROM events WHERE app_id = ${row.appId} AND message_id = ${row.messageId}`;
      if (!original) throw new RaceLost(`event ${row.messageId} neither inserted nor found`);
      for (const result of [row.result, ...row.repeats]) Object.assign(result, { id: original.id, duplicate: true, warnings: [] });
      written.delete(`${row.appId}|${row.messageId}`);
      stored.set(`${row.appId}|${row.messageId}`, original.id);
    }
  }

  return {
    find,
    resolveCustomer,
    attachUnverified,
    updateCustomerAttributes,
    resolveUser,
    updateUserData,
    eventIdByMessageId,
    prefetch,
    prefetchMessageIds,
    writeEvent,
    flushEvents,
    flushRows,
    newestCustomerOfUser: async (appId: string, uid: string): Promise<CustomerIdentity | undefined> =>
      (
        await tx<CustomerIdentity[]>`SELECT c.pk, c.customer_id AS "customerId", c.uid FROM users u JOIN customers c ON c.pk = u.customer_pk
          WHERE u.app_id = ${appId} AND u.uid = ${uid} ORDER BY u.pk DESC LIMIT 1`
      )[0],
    usersByUid: async (appId: string, uid: string): Promise<{ pk: number }[]> =>
      [...(await tx<{ pk: number }[]>`SELECT pk FROM users WHERE app_id = ${appId} AND uid = ${uid}`)],
    /** After an erasure: the customers and users it removed must not be found in the caches. */
    forget(): void {
      customers.clear();
      users.clear();
    },
  };
}

export type PgIngest = ReturnType<typeof createPgIngest>;

interface Merges {
  updates: Attributes[];
  now: number;
}

function defer(merges: Map<number, Merges>, pk: number, update: Attributes, now: number): void {
  const entry = merges.get(pk);
  if (entry) entry.updates.push(update), (entry.now = now);
  else merges.set(pk, { updates: [update], now });
}

/** Strings in code-point order, nulls last. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
