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
// overwrite each other.
//
// Lock order (two nodes' batches must never wait on each other in a cycle, or PostgreSQL
// aborts one after deadlock_timeout, 1 s by default, of that node's only batch in flight).
// A batch takes its locks in three phases, each in one global order:
//   1. before anything else (lockIdentities, then prefetch): a transaction-scoped advisory
//      lock on every identifier its commands name (app + customerId, uid or email), in key
//      order (or, for a batch naming hundreds, on buckets of them: lockIdentities); then
//      every existing customer they name, and the accounts of the users they name, FOR
//      UPDATE in (app, pk) order; then the new customers and users its events will certainly
//      create (createAhead). From here no other batch can create, link or write those
//      customers, nor their users, until this one commits.
//   2. event by event: new customers and users (unique index entries nobody else can reach:
//      their identifiers are locked), emails and links on customers locked in phase 1.
//   3. before COMMIT: customers, then users FOR UPDATE in pk order (flushRows), the events
//      (in messageId order; their foreign keys' KEY SHARE locks fall on rows already held),
//      then the count tables, each in key order (counts.ts).
// A batch waits only on locks of its current phase or an earlier one, each phase taken in
// order, so no cycle forms. Before phase 1, user inserts (a KEY SHARE on their customer, in
// event order) and the events' insert (KEY SHARE on every customer, in messageId order) ran
// before phase 3's FOR UPDATE, and two nodes deadlocked a few times a second on hot customers
// (test/store/pg/lock-order.test.ts). What phase 1 can't name (a customer found only by email,
// or by a billing subscription moving between customers) is locked when met: rare, and a
// deadlock is still retried whole (retry.ts). Events are buffered per batch and
// inserted in one statement (unnest arrays, in messageId order), ON CONFLICT DO NOTHING on
// (app_id, message_id): only the rows really inserted are counted.
import { mergeAttributes, type Attributes } from "../../attributes";
import type { EventSource, Identity, StoredEvent, WriteResult } from "../commands";
import { countEvent, type CountSums } from "../counts";
import { afterEmail, decideCustomer, newCustomer, unverifiedLookups, type NewCustomer, type Resolved } from "../identity";
import type { CustomerIdentity, NewEventRow } from "../ingest";
import type { PgTx } from "./batcher";
import { RaceLost } from "./retry";

/**
 * What a command's event will look up (applier.ts prepares them from each command), and whether
 * it is known how the event resolves its customer, so that a new one can be created with the
 * batch's others in one statement: "exact", with exactly this identity (and user), as
 * RecordEvents and a Segment track with a groupId do; "unlessAccount", with this identity only
 * if its user's uid has no account yet (a Segment track without a groupId). Otherwise it is only
 * looked up.
 */
export type Lookup = StoredEvent & { resolves?: "exact" | "unlessAccount"; segment?: true };

/** An event row as SQLite's store inserts it, waiting for the batch's one insert. */
interface PendingEvent extends NewEventRow {
  /** The public id beside apps.pk: the batch's in-memory keys use it. */
  appId: string;
  /** The result handed back: patched if another node stored the messageId first. */
  result: WriteResult;
  /** Results of later events of this batch with the same messageId. */
  repeats: WriteResult[];
}

/** `attempt`: the batch's transaction attempt (batcher.ts), 0 for the first. */
export function createPgIngest(tx: PgTx, sums: CountSums, attempt = 0) {
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
  // apps.pk by public id (app-key.ts), looked up once per batch; only found apps are kept.
  const appPks = new Map<string, number>();
  // Attribute merges waiting for flushRows, per row pk; the rows events were counted on.
  const customerMerges = new Map<number, Merges>();
  const userMerges = new Map<number, Merges>();
  const touchedCustomers = new Set<number>();
  const touchedUsers = new Set<number>();
  // Customers this batch holds: locked in phase 1 of the lock order, or created by it.
  const held = new Set<number>();
  // Customers met by this batch, by pk; and the account of each user uid prefetched
  // (`${appId}|${uid}`): the customer of its newest user record, null when it has none. What
  // Segment's track without a groupId is counted on (newestCustomerOfUser), known without a
  // query per message; a user this batch creates becomes its uid's newest.
  const byPk = new Map<number, CustomerIdentity>();
  const accounts = new Map<string, CustomerIdentity | null>();
  // Users created ahead by createAhead (`${customerPk}|${uid}`), not yet reached by their event.
  const createdAhead = new Set<string>();

  /**
   * A customer met after phase 1 (found by email, or through a user another node gave it since
   * the prefetch): locked now, out of the global order. On a batch's first attempt without
   * waiting (NOWAIT): if another batch holds it, this one is retried, and its next prefetch
   * finds and locks that customer in order. On a retry it waits, so that a customer always busy
   * can't fail the batch; a deadlock then is still detected and retried.
   */
  async function claim(customer: CustomerIdentity): Promise<CustomerIdentity> {
    if (held.has(customer.pk)) return customer;
    try {
      await (attempt === 0
        ? tx`SELECT 1 FROM customers WHERE pk = ${customer.pk} FOR UPDATE NOWAIT`
        : tx`SELECT 1 FROM customers WHERE pk = ${customer.pk} FOR UPDATE`);
    } catch (error) {
      // 55P03 lock_not_available.
      if ((error as { code?: string }).code === "55P03") throw new RaceLost(`customer ${customer.pk} is another batch's`);
      throw error;
    }
    held.add(customer.pk);
    return customer;
  }

  async function appPkOf(appId: string): Promise<number> {
    const known = appPks.get(appId);
    if (known !== undefined) return known;
    const [row] = await tx<{ pk: number }[]>`SELECT pk FROM apps WHERE id = ${appId}`;
    if (!row) return 0; // no app has pk 0: its events fail on their customer, as before
    appPks.set(appId, Number(row.pk));
    return Number(row.pk);
  }

  function remember(appId: string, customer: CustomerIdentity): CustomerIdentity {
    if (customer.customerId !== null) customers.set(`${appId}|customerId|${customer.customerId}`, customer);
    if (customer.uid !== null) customers.set(`${appId}|uid|${customer.uid}`, customer);
    byPk.set(customer.pk, customer);
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
    if (!row) return undefined;
    await claim(row);
    return by !== "email" ? remember(appId, row) : row;
  }

  /** Inserts the customer unless another node just did: undefined then (look again). */
  async function insertCustomer(appId: string, row: NewCustomer, now: number): Promise<CustomerIdentity | undefined> {
    if (row.customerId === null && row.uid === null && row.email !== null) {
      // Known by email only, with no unique key to meet: nodes creating it take turns, and the
      // second finds the first's customer, as one SQLite writer would.
      await tx`SELECT pg_advisory_xact_lock(${String(identityLockKey(appId, "email", row.email))}::int8)`;
      const existing = await find(appId, "email", row.email);
      if (existing) return existing;
    }
    const [inserted] = await tx<CustomerIdentity[]>`
      INSERT INTO customers (app_id, customer_id, uid, email, created_at, updated_at)
      VALUES (${appId}, ${row.customerId}, ${row.uid}, ${row.email}, ${now}, ${now})
      ON CONFLICT DO NOTHING RETURNING pk, customer_id AS "customerId", uid`;
    if (!inserted) return undefined;
    held.add(inserted.pk);
    return remember(appId, inserted);
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
    if (cached !== undefined) {
      if (createdAhead.delete(key)) becameNewest(appId, customerPk, uid);
      return { pk: cached };
    }
    const select = () => tx<{ pk: number }[]>`SELECT pk FROM users WHERE customer_pk = ${customerPk} AND uid = ${uid}`;
    const insert = () => tx<{ pk: number }[]>`INSERT INTO users (app_id, customer_pk, uid, created_at, updated_at)
      VALUES (${appId}, ${customerPk}, ${uid}, ${now}, ${now}) ON CONFLICT (customer_pk, uid) DO NOTHING RETURNING pk`;
    // A uid prefetched has no record for this customer unless the prefetch found it: insert straight away, once.
    const known = absentUserUids.delete(`${appId}|${uid}`) ? undefined : (await select())[0];
    const inserted = known ? undefined : (await insert())[0];
    const user = known ?? inserted ?? (await select())[0];
    if (!user) throw new RaceLost(`user ${uid} vanished`);
    if (inserted) becameNewest(appId, customerPk, uid);
    users.set(key, user.pk);
    return user;
  }

  /** A user record just made (or reached, if made ahead) is its uid's newest: its customer is the uid's account (or, if not met, looked up). */
  function becameNewest(appId: string, customerPk: number, uid: string): void {
    const account = byPk.get(customerPk);
    if (account) accounts.set(`${appId}|${uid}`, account);
    else accounts.delete(`${appId}|${uid}`);
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
    const [row] = await tx<{ id: string }[]>`SELECT id FROM events WHERE app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND message_id = ${messageId}`;
    if (row) stored.set(key, row.id);
    return row?.id;
  }

  /** One query for many messageIds, before a command's events are written one by one. */
  async function prefetchMessageIds(appId: string, messageIds: string[]): Promise<void> {
    const unknown = messageIds.filter((id) => !written.has(`${appId}|${id}`) && !stored.has(`${appId}|${id}`));
    if (unknown.length === 0) return;
    const rows = await tx<{ id: string; messageId: string }[]>`
      SELECT id, message_id AS "messageId" FROM events WHERE app_pk = (SELECT pk FROM apps WHERE id = ${appId}) AND message_id = ANY(${unknown}::text[])`;
    for (const row of rows) stored.set(`${appId}|${row.messageId}`, row.id);
    // The ones not found are looked up no more in this command: prefetched as absent.
    for (const id of unknown) if (!stored.has(`${appId}|${id}`)) stored.set(`${appId}|${id}`, "");
  }

  /**
   * Phase 1 of the lock order (above), first half: a lock on each identifier, in key order.
   * Issued before the prefetches, so pipelined with them (one round trip).
   *
   * Advisory locks fill PostgreSQL's shared lock table (max_locks_per_transaction ×
   * max_connections slots, 6,400 by default), and a batch of bulk requests can name thousands
   * of identifiers: past a bound it would fail with "out of shared memory". So the locks come
   * in two levels. Each identifier also falls in one of IDENTITY_BUCKETS buckets. A batch that
   * names at most FINE_LOCKS identifiers takes its buckets shared, then each identifier
   * exclusively; a larger one takes its buckets exclusively, and nothing finer. Two small
   * batches meet only on a shared identifier; a large one excludes every batch naming an
   * identifier in its buckets. Buckets are taken before identifiers, each in key order, so the
   * order stays global, and no batch holds more than about 2 × FINE_LOCKS advisory locks.
   */
  async function lockIdentities(keys: bigint[]): Promise<void> {
    if (keys.length === 0) return;
    const ascending = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
    const fine = [...new Set(keys)].sort(ascending);
    const buckets = [...new Set(fine.map(bucketOf))].sort((a, b) => a - b);
    // unnest yields the array in order, so the locks are taken in that order. `execute()` sends
    // the statements now: a bare `await` of a query would send it a microtask later, after the
    // prefetch's statements issued in the same turn, and the rows would be locked first.
    if (fine.length > FINE_LOCKS) {
      await tx`SELECT count(pg_advisory_xact_lock(${IDENTITY_BUCKET_SPACE}::int4, b)) FROM unnest(${buckets}::int4[]) AS b`.execute();
      return;
    }
    await Promise.all([
      tx`SELECT count(pg_advisory_xact_lock_shared(${IDENTITY_BUCKET_SPACE}::int4, b)) FROM unnest(${buckets}::int4[]) AS b`.execute(),
      tx`SELECT count(pg_advisory_xact_lock(k)) FROM unnest(${fine.map(String)}::int8[]) AS k`.execute(),
    ]);
  }

  /**
   * Everything the batch's events will look up, in one round trip (pipelined statements): the
   * customers they name by customerId or uid and the accounts of the users they name (locked
   * FOR UPDATE in pk order: phase 1 of the lock order), those users, and their messageIds. Each
   * event then finds what exists in memory and goes to the database only for what is new.
   * Called for each app of the batch in appId order. With `createAt`, the new customers and
   * users that events will certainly create are then created (createAhead).
   */
  async function prefetch(appId: string, events: Lookup[], createAt?: number): Promise<void> {
    const unknown = (by: "customerId" | "uid", values: (string | undefined)[]) =>
      [...new Set(values.filter((value): value is string => value !== undefined && !customers.has(`${appId}|${by}|${value}`)))];
    const customerIds = unknown("customerId", events.map((event) => event.customerId));
    const uids = unknown("uid", events.map((event) => event.uid));
    const userUids = [...new Set(events.flatMap((event) => (event.user ? [event.user.uid] : [])))];
    for (const value of customerIds) absent.add(`${appId}|customerId|${value}`);
    for (const value of uids) absent.add(`${appId}|uid|${value}`);
    for (const uid of userUids) absentUserUids.add(`${appId}|${uid}`);
    const segmentIds = [...new Set(events.flatMap((event) => (event.segment && event.messageId !== undefined ? [event.messageId] : [])))];
    const segmentKnown = new Set<string>();
    await Promise.all([
      (customerIds.length > 0 || uids.length > 0 || userUids.length > 0) &&
        tx<CustomerIdentity[]>`SELECT pk, customer_id AS "customerId", uid FROM customers
          WHERE app_id = ${appId} AND (customer_id = ANY(${customerIds}::text[]) OR uid = ANY(${uids}::text[])
            OR pk IN (SELECT customer_pk FROM users WHERE app_id = ${appId} AND uid = ANY(${userUids}::text[])))
          ORDER BY pk FOR UPDATE`.then((rows) => rows.forEach((row) => held.add(remember(appId, row).pk))),
      userUids.length > 0 &&
        tx<{ pk: number; customerPk: number; uid: string }[]>`SELECT pk, customer_pk AS "customerPk", uid FROM users
          WHERE app_id = ${appId} AND uid = ANY(${userUids}::text[]) ORDER BY pk`.then((rows) => {
          for (const uid of userUids) accounts.set(`${appId}|${uid}`, null);
          // In pk order, so the last one of a uid is its newest. Issued after the locking query:
          // a user another node added in between names a customer not met (looked up later).
          for (const row of rows) {
            users.set(`${row.customerPk}|${row.uid}`, row.pk);
            const account = byPk.get(row.customerPk);
            if (account) accounts.set(`${appId}|${row.uid}`, account);
            else accounts.delete(`${appId}|${row.uid}`);
          }
        }),
      prefetchMessageIds(appId, events.flatMap((event) => (event.messageId === undefined ? [] : [event.messageId]))),
      // A Segment message is also a repeat if an identify or group had its messageId.
      createAt !== undefined &&
        segmentIds.length > 0 &&
        tx<{ messageId: string }[]>`SELECT message_id AS "messageId" FROM segment_messages WHERE app_id = ${appId} AND message_id = ANY(${segmentIds}::text[])`.then(
          (rows) => rows.forEach((row) => segmentKnown.add(row.messageId)),
        ),
      appPkOf(appId),
    ]);
    if (createAt !== undefined) await createAhead(appId, events, createAt, segmentKnown);
  }

  /**
   * The customers and users the batch's events will create, each in one statement rather than
   * one per row (Segment's batches name mostly new customers and users: a round trip each was
   * most of their cost). Only where the outcome is certain, so the rows are those the events
   * would have made one by one, in the same order: an event that is not a repeat (its
   * messageId not stored nor earlier in the batch), resolves "exact" (or "unlessAccount" with
   * its user's uid unknown), names its customer by one identifier, without an email, and is
   * the first in the batch to name that identifier (or, for "unlessAccount", its uid as a
   * user). Its user is made ahead too when its customer is then known. Anything else is left
   * to the event, as before. The identifiers are this batch's (advisory locks, phase 1), so
   * no other node inserts them meanwhile; a row that meets one anyway is left to the event.
   */
  async function createAhead(appId: string, events: Lookup[], now: number, segmentKnown: Set<string>): Promise<void> {
    const named = new Set<string>();
    const seen = new Set<string>();
    const newCustomers: { by: "customerId" | "uid"; value: string }[] = [];
    const newUsers: { customer: string; uid: string }[] = [];
    for (const event of events) {
      const keys = [
        ...(event.customerId === undefined ? [] : [`customerId|${event.customerId}`]),
        ...(event.uid === undefined ? [] : [`uid|${event.uid}`]),
      ];
      const repeat =
        event.messageId !== undefined && (seen.has(event.messageId) || !!stored.get(`${appId}|${event.messageId}`) || (!!event.segment && segmentKnown.has(event.messageId)));
      if (event.messageId !== undefined) seen.add(event.messageId);
      const userUid = event.user?.uid;
      const first = keys.length === 1 && !named.has(keys[0]!);
      const certain =
        !repeat &&
        first &&
        event.customerEmail === undefined &&
        (event.resolves === "exact" ||
          (event.resolves === "unlessAccount" && userUid !== undefined && accounts.get(`${appId}|${userUid}`) === null && !named.has(`user|${userUid}`)));
      if (certain && !customers.has(`${appId}|${keys[0]}`)) {
        const [by, value] = keys[0]!.split(/\|(.*)/s) as ["customerId" | "uid", string];
        newCustomers.push({ by, value });
      }
      if (certain && event.resolves === "exact" && userUid !== undefined) newUsers.push({ customer: keys[0]!, uid: userUid });
      for (const key of keys) named.add(key);
      if (userUid !== undefined) named.add(`user|${userUid}`);
    }
    if (newCustomers.length > 0) {
      const created = await tx<CustomerIdentity[]>`
        INSERT INTO customers (app_id, customer_id, uid, email, created_at, updated_at)
        SELECT ${appId}, c, u, NULL, ${now}, ${now} FROM unnest(
          ${newCustomers.map((c) => (c.by === "customerId" ? c.value : null))}::text[],
          ${newCustomers.map((c) => (c.by === "uid" ? c.value : null))}::text[]) WITH ORDINALITY AS v(c, u, n)
        -- An unknown app fails its own command, later, not the batch's preparation.
        WHERE EXISTS (SELECT 1 FROM apps WHERE id = ${appId})
        ORDER BY n
        ON CONFLICT DO NOTHING RETURNING pk, customer_id AS "customerId", uid`;
      for (const row of created) held.add(remember(appId, row).pk);
    }
    const usersAhead = newUsers.flatMap(({ customer, uid }) => {
      const pk = customers.get(`${appId}|${customer}`)?.pk;
      return pk === undefined || users.has(`${pk}|${uid}`) ? [] : [{ pk, uid }];
    });
    const unique = [...new Map(usersAhead.map((user) => [`${user.pk}|${user.uid}`, user])).values()];
    if (unique.length > 0) {
      const created = await tx<{ pk: number; customerPk: number; uid: string }[]>`
        INSERT INTO users (app_id, customer_pk, uid, created_at, updated_at)
        SELECT ${appId}, p, u, ${now}, ${now} FROM unnest(${unique.map((user) => user.pk)}::int8[], ${unique.map((user) => user.uid)}::text[])
          WITH ORDINALITY AS v(p, u, n)
        ORDER BY n
        ON CONFLICT (customer_pk, uid) DO NOTHING RETURNING pk, customer_pk AS "customerPk", uid`;
      for (const row of created) {
        users.set(`${row.customerPk}|${row.uid}`, row.pk);
        createdAhead.add(`${row.customerPk}|${row.uid}`);
      }
    }
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
      appPk: await appPkOf(appId),
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
      INSERT INTO events (seq, id, app_pk, customer_pk, user_pk, event, event_date, received_at, event_data, source, verified, message_id)
      SELECT * FROM unnest(${rows.map((row) => seqOf.get(row)!)}::int8[], ${column("id")}::text[], ${column("appPk")}::int8[], ${column("customerPk")}::int8[], ${column("userPk")}::int8[],
        ${column("event")}::text[], ${column("eventDate")}::int8[], ${column("receivedAt")}::int8[], ${column("eventData")}::text[],
        ${column("source")}::text[], ${rows.map((row) => String(row.verified))}::text[]::boolean[], ${column("messageId")}::text[])
      ON CONFLICT (app_pk, message_id) WHERE message_id IS NOT NULL DO NOTHING
      RETURNING id`;
    const ids = new Set(inserted.map((row) => row.id));
    for (const row of rows) {
      if (ids.has(row.id)) {
        countEvent(sums, row);
        continue;
      }
      const [original] = await tx<{ id: string }[]>`SELECT id FROM events WHERE app_pk = ${row.appPk} AND message_id = ${row.messageId}`;
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
    lockIdentities,
    prefetch,
    prefetchMessageIds,
    writeEvent,
    flushEvents,
    flushRows,
    newestCustomerOfUser: async (appId: string, uid: string): Promise<CustomerIdentity | undefined> => {
      const known = accounts.get(`${appId}|${uid}`);
      if (known !== undefined) return known ?? undefined;
      const [account] = await tx<CustomerIdentity[]>`SELECT c.pk, c.customer_id AS "customerId", c.uid FROM users u JOIN customers c ON c.pk = u.customer_pk
        WHERE u.app_id = ${appId} AND u.uid = ${uid} ORDER BY u.pk DESC LIMIT 1`;
      return account && claim(account);
    },
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

/** lockIdentities's bounds: a batch naming more identifiers than FINE_LOCKS locks buckets instead. */
const FINE_LOCKS = 256;
const IDENTITY_BUCKETS = 256;
// The buckets' advisory locks are the two-int4 kind, keyed "trkb" in ASCII: a key space apart
// from the identifiers' 64-bit ones (and from admin.ts's "apps").
const IDENTITY_BUCKET_SPACE = 0x74726b62;

function bucketOf(key: bigint): number {
  return Number(BigInt.asUintN(64, key) % BigInt(IDENTITY_BUCKETS));
}

/**
 * The advisory lock key of a customer identifier (phase 1 of the lock order): 64 bits of its
 * hash, the same on every node. Two identifiers sharing a key only make their batches take turns.
 */
export function identityLockKey(appId: string, by: "customerId" | "uid" | "email", value: string): bigint {
  return BigInt.asIntN(64, BigInt(Bun.hash.wyhash(`trackd ${by} ${appId} ${value}`)));
}

/** Strings in code-point order, nulls last. */
export function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
