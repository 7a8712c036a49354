// The customers and users a batch's events will create, each table in one statement rather
// than one per row (Segment's batches name mostly new customers and users: a round trip each
// was most of their cost). The last step of phase 1 of the lock order (ingest.ts), right after
// the prefetch (prefetch.ts) it relies on; test/store/pg/parity.test.ts checks the rows are
// those the events would have made one by one.
import type { CustomerIdentity } from "../ingest";
import { remember, type PgBatch } from "./batch";
import type { Lookup } from "./lookups";

/**
 * Only where the outcome is certain, so the rows are those the events would have made one by
 * one, in the same order: an event that is not a repeat (its messageId not stored nor earlier
 * in the batch), resolves "exact" (or "unlessAccount" with its user's uid unknown), names its
 * customer by one identifier, without an email, and is the first in the batch to name that
 * identifier (or, for "unlessAccount", its uid as a user). Its user is made ahead too when its
 * customer is then known. Anything else is left to the event, as before. The identifiers are
 * this batch's (advisory locks, phase 1), so no other node inserts them meanwhile; a row that
 * meets one anyway is left to the event.
 */
export async function createAhead(batch: PgBatch, appId: string, events: Lookup[], now: number, segmentKnown: Set<string>): Promise<void> {
  const { tx, identities } = batch;
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
      event.messageId !== undefined &&
      (seen.has(event.messageId) || !!batch.events.stored.get(`${appId}|${event.messageId}`) || (!!event.segment && segmentKnown.has(event.messageId)));
    if (event.messageId !== undefined) seen.add(event.messageId);
    const userUid = event.user?.uid;
    const first = keys.length === 1 && !named.has(keys[0]!);
    const certain =
      !repeat &&
      first &&
      event.customerEmail === undefined &&
      (event.resolves === "exact" ||
        (event.resolves === "unlessAccount" && userUid !== undefined && identities.accounts.get(`${appId}|${userUid}`) === null && !named.has(`user|${userUid}`)));
    if (certain && !identities.customers.has(`${appId}|${keys[0]}`)) {
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
    for (const row of created) identities.held.add(remember(batch, appId, row).pk);
  }
  const usersAhead = newUsers.flatMap(({ customer, uid }) => {
    const pk = identities.customers.get(`${appId}|${customer}`)?.pk;
    return pk === undefined || identities.users.has(`${pk}|${uid}`) ? [] : [{ pk, uid }];
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
      identities.users.set(`${row.customerPk}|${row.uid}`, row.pk);
      identities.createdAhead.add(`${row.customerPk}|${row.uid}`);
    }
  }
}
