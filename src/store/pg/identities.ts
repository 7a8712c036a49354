// Identity resolution on PostgreSQL: ../identity.ts decides which customer (and user) an event
// or update names, this carries the decision out. Several nodes write at once, so every
// creation is insert-or-fetch: `INSERT … ON CONFLICT DO NOTHING RETURNING`, and when nothing
// comes back another node made the row first, and the lookup is done again (it now sees that
// row, committed: the conflicting insert waited for it). What the batch prefetched (prefetch.ts)
// or made ahead (create-ahead.ts) is found in memory (batch.ts) before any query.
import type { Identity } from "../commands";
import { afterEmail, decideCustomer, newCustomer, unverifiedLookups, type NewCustomer, type Resolved } from "../identity";
import type { CustomerIdentity } from "../ingest";
import { claim, remember, type PgBatch } from "./batch";
import { identityLockKey } from "./lookups";
import { RaceLost } from "./retry";

async function find(batch: PgBatch, appId: string, by: "customerId" | "uid" | "email", value: string): Promise<CustomerIdentity | undefined> {
  const { tx, identities } = batch;
  const key = `${appId}|${by}|${value}`;
  const cached = identities.customers.get(key);
  if (cached) return cached;
  // Not there when the batch began: trusted once (a new customer is inserted next, and an
  // insert that meets another node's row makes the caller look again, in the database).
  if (identities.absent.delete(key)) return undefined;
  const [row] =
    by === "customerId"
      ? await tx<CustomerIdentity[]>`SELECT pk, customer_id AS "customerId", uid FROM customers WHERE app_id = ${appId} AND customer_id = ${value}`
      : by === "uid"
        ? await tx<CustomerIdentity[]>`SELECT pk, customer_id AS "customerId", uid FROM customers WHERE app_id = ${appId} AND uid = ${value}`
        : // Emails are not unique: the oldest customer with it wins, so the answer never changes.
          await tx<CustomerIdentity[]>`SELECT pk, customer_id AS "customerId", uid FROM customers WHERE app_id = ${appId} AND email = ${value} ORDER BY pk LIMIT 1`;
  if (!row) return undefined;
  await claim(batch, row);
  return by !== "email" ? remember(batch, appId, row) : row;
}

/** Inserts the customer unless another node just did: undefined then (look again). */
async function insertCustomer(batch: PgBatch, appId: string, row: NewCustomer, now: number): Promise<CustomerIdentity | undefined> {
  const { tx } = batch;
  if (row.customerId === null && row.uid === null && row.email !== null) {
    // Known by email only, with no unique key to meet: nodes creating it take turns, and the
    // second finds the first's customer, as one SQLite writer would.
    await tx`SELECT pg_advisory_xact_lock(${String(identityLockKey(appId, "email", row.email))}::int8)`;
    const existing = await find(batch, appId, "email", row.email);
    if (existing) return existing;
  }
  const [inserted] = await tx<CustomerIdentity[]>`
    INSERT INTO customers (app_id, customer_id, uid, email, created_at, updated_at)
    VALUES (${appId}, ${row.customerId}, ${row.uid}, ${row.email}, ${now}, ${now})
    ON CONFLICT DO NOTHING RETURNING pk, customer_id AS "customerId", uid`;
  if (!inserted) return undefined;
  batch.identities.held.add(inserted.pk);
  return remember(batch, appId, inserted);
}

/** Sets the identifier the customer lacked, unless another node changed its identifiers first. */
async function link(batch: PgBatch, appId: string, before: CustomerIdentity, after: CustomerIdentity, now: number): Promise<boolean> {
  const rows = await batch.tx`
    UPDATE customers SET customer_id = ${after.customerId}, uid = ${after.uid}, updated_at = ${now}
    WHERE pk = ${before.pk} AND customer_id IS NOT DISTINCT FROM ${before.customerId} AND uid IS NOT DISTINCT FROM ${before.uid}
    RETURNING pk`;
  if (rows.length === 0) return false;
  remember(batch, appId, after);
  return true;
}

/** ../identity.ts's resolveCustomer, carried out with insert-or-fetch. */
export async function resolveCustomer(batch: PgBatch, appId: string, identity: Identity, now: number): Promise<Resolved> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const { customerId, uid } = identity;
    const byCustomerId = customerId === undefined ? undefined : await find(batch, appId, "customerId", customerId);
    const byUid = uid === undefined ? undefined : await find(batch, appId, "uid", uid);
    let decision = decideCustomer(identity, byCustomerId, byUid);
    if (decision.kind === "byEmail") decision = afterEmail(identity, await find(batch, appId, "email", decision.email));
    if (decision.kind === "found") return { customer: decision.customer, warnings: decision.warnings };
    if (decision.kind === "link") {
      if (await link(batch, appId, decision.customer, decision.linked, now)) return { customer: decision.linked, warnings: [] };
    } else {
      const customer = await insertCustomer(batch, appId, decision.row, now);
      if (customer) return { customer, warnings: decision.warnings };
    }
  }
  throw new RaceLost("the customer kept changing under this batch");
}

/** ../identity.ts's attachUnverified: the first customer found, else a new one as sent. */
export async function attachUnverified(batch: PgBatch, appId: string, identity: Identity, now: number): Promise<Resolved> {
  for (let attempt = 0; attempt < 3; attempt++) {
    for (const [by, value] of unverifiedLookups(identity)) {
      const found = await find(batch, appId, by, value);
      if (found) return { customer: found, warnings: [] };
    }
    const customer = await insertCustomer(batch, appId, newCustomer(identity), now);
    if (customer) return { customer, warnings: [] };
  }
  throw new RaceLost("the customer kept changing under this batch");
}

/** The customer's user `uid`, created if new (insert-or-fetch, as for customers). */
export async function resolveUser(batch: PgBatch, appId: string, customerPk: number, uid: string, now: number): Promise<{ pk: number }> {
  const { tx, identities } = batch;
  const key = `${customerPk}|${uid}`;
  const cached = identities.users.get(key);
  if (cached !== undefined) {
    if (identities.createdAhead.delete(key)) becameNewest(batch, appId, customerPk, uid);
    return { pk: cached };
  }
  const select = () => tx<{ pk: number }[]>`SELECT pk FROM users WHERE customer_pk = ${customerPk} AND uid = ${uid}`;
  const insert = () => tx<{ pk: number }[]>`INSERT INTO users (app_id, customer_pk, uid, created_at, updated_at)
    VALUES (${appId}, ${customerPk}, ${uid}, ${now}, ${now}) ON CONFLICT (customer_pk, uid) DO NOTHING RETURNING pk`;
  // A uid prefetched has no record for this customer unless the prefetch found it: insert straight away, once.
  const known = identities.absentUserUids.delete(`${appId}|${uid}`) ? undefined : (await select())[0];
  const inserted = known ? undefined : (await insert())[0];
  const user = known ?? inserted ?? (await select())[0];
  if (!user) throw new RaceLost(`user ${uid} vanished`);
  if (inserted) becameNewest(batch, appId, customerPk, uid);
  identities.users.set(key, user.pk);
  return user;
}

/** A user record just made (or reached, if made ahead) is its uid's newest: its customer is the uid's account (or, if not met, looked up). */
function becameNewest({ identities }: PgBatch, appId: string, customerPk: number, uid: string): void {
  const account = identities.byPk.get(customerPk);
  if (account) identities.accounts.set(`${appId}|${uid}`, account);
  else identities.accounts.delete(`${appId}|${uid}`);
}

/** The customer of the uid's newest user record: what Segment's track without a groupId is counted on. */
export async function newestCustomerOfUser(batch: PgBatch, appId: string, uid: string): Promise<CustomerIdentity | undefined> {
  const known = batch.identities.accounts.get(`${appId}|${uid}`);
  if (known !== undefined) return known ?? undefined;
  const [account] = await batch.tx<CustomerIdentity[]>`SELECT c.pk, c.customer_id AS "customerId", c.uid FROM users u JOIN customers c ON c.pk = u.customer_pk
    WHERE u.app_id = ${appId} AND u.uid = ${uid} ORDER BY u.pk DESC LIMIT 1`;
  return account && claim(batch, account);
}
