// Finding (or creating) the customer a write is about. A customer is known by customerId
// (the billing provider's id) and/or uid (the product's own id); a write carrying both links
// them. When the two point at different existing customers, customerId wins and nothing is
// merged: the write goes to the customerId's customer and the caller gets a warning.
// Browser events may know only the customer's email: it finds the customer last, after
// customerId and uid. An event whose identity is not proven (an unsigned browser event) never
// links or changes an existing customer: see attachUnverified.
//
// The rules are pure decisions (decideCustomer, unverifiedLookups), shared by both backends:
// SQLite carries them out synchronously below, PostgreSQL asynchronously (pg/identities.ts).
import type { ErrorDetail } from "../errors";
import type { CustomerIdentity, IngestStore } from "./ingest";

export interface Identity {
  customerId?: string;
  uid?: string;
  customerEmail?: string;
}

export interface Resolved {
  customer: CustomerIdentity;
  warnings: ErrorDetail[];
}

/** A new customer's identifiers. */
export interface NewCustomer {
  customerId: string | null;
  uid: string | null;
  email: string | null;
}

/** What to do for a verified identity, given the customers its customerId and uid find. */
export type CustomerDecision =
  | { kind: "found"; customer: CustomerIdentity; warnings: ErrorDetail[] }
  /** Give the customer the identifier it lacks. */
  | { kind: "link"; customer: CustomerIdentity; linked: CustomerIdentity }
  | { kind: "insert"; row: NewCustomer; warnings: ErrorDetail[] }
  /** Only an email is known: the oldest customer with it, else a new one (see afterEmail). */
  | { kind: "byEmail"; email: string };

export function decideCustomer(identity: Identity, byCustomerId: CustomerIdentity | undefined, byUid: CustomerIdentity | undefined): CustomerDecision {
  const { customerId, uid } = identity;
  if (byCustomerId) {
    if (uid === undefined || byCustomerId.uid === uid) return { kind: "found", customer: byCustomerId, warnings: [] };
    if (byUid) return { kind: "found", customer: byCustomerId, warnings: [uidTaken(uid, byUid)] };
    if (byCustomerId.uid !== null) {
      return {
        kind: "found",
        customer: byCustomerId,
        warnings: [{ path: "/uid", message: `customer ${customerId} already has uid ${byCustomerId.uid}; uid ${uid} was not linked` }],
      };
    }
    return { kind: "link", customer: byCustomerId, linked: { ...byCustomerId, uid } };
  }

  if (byUid) {
    if (customerId === undefined) return { kind: "found", customer: byUid, warnings: [] };
    if (byUid.customerId === null) return { kind: "link", customer: byUid, linked: { ...byUid, customerId } };
    // The uid is already another billing customer's: customerId wins, as a new customer.
    return { kind: "insert", row: { customerId, uid: null, email: null }, warnings: [uidTaken(uid!, byUid)] };
  }

  if (customerId === undefined && uid === undefined && identity.customerEmail !== undefined) return { kind: "byEmail", email: identity.customerEmail };
  return { kind: "insert", row: newCustomer(identity), warnings: [] };
}

/** The decision once the email lookup of a "byEmail" decision is done. */
export function afterEmail(identity: Identity, byEmail: CustomerIdentity | undefined): Extract<CustomerDecision, { kind: "found" | "insert" }> {
  return byEmail ? { kind: "found", customer: byEmail, warnings: [] } : { kind: "insert", row: newCustomer(identity), warnings: [] };
}

/** For an unproven identity, the lookups to try in order; the first customer found is the answer, else a new one. */
export function unverifiedLookups(identity: Identity): [key: "customerId" | "uid" | "email", value: string][] {
  const lookups: [key: "customerId" | "uid" | "email", value: string][] = [];
  if (identity.customerId !== undefined) lookups.push(["customerId", identity.customerId]);
  if (identity.uid !== undefined) lookups.push(["uid", identity.uid]);
  if (identity.customerEmail !== undefined) lookups.push(["email", identity.customerEmail]);
  return lookups;
}

export function newCustomer(identity: Identity): NewCustomer {
  const { customerId = null, uid = null, customerEmail = null } = identity;
  return { customerId, uid, email: customerEmail };
}

export function resolveCustomer(store: IngestStore, appId: string, identity: Identity, now: number): Resolved {
  const { customerId, uid } = identity;
  const byCustomerId = customerId === undefined ? undefined : store.customerByCustomerId(appId, customerId);
  const byUid = uid === undefined ? undefined : store.customerByUid(appId, uid);
  let decision = decideCustomer(identity, byCustomerId, byUid);
  if (decision.kind === "byEmail") decision = afterEmail(identity, store.customerByEmail(appId, decision.email));
  switch (decision.kind) {
    case "found":
      return { customer: decision.customer, warnings: decision.warnings };
    case "link": {
      const { pk, customerId, uid } = decision.linked;
      store.setCustomerIdentity({ pk, customerId, uid, now });
      return { customer: decision.linked, warnings: [] };
    }
    case "insert":
      return { customer: store.insertCustomer({ appId, ...decision.row, now }), warnings: decision.warnings };
  }
}

/**
 * For an unproven identity: the customer the first known identifier (customerId, uid, email)
 * finds, as it is; else a new customer with the identifiers as sent (no existing record changes).
 */
export function attachUnverified(store: IngestStore, appId: string, identity: Identity, now: number): Resolved {
  const find = { customerId: store.customerByCustomerId, uid: store.customerByUid, email: store.customerByEmail };
  let found: CustomerIdentity | undefined;
  for (const [key, value] of unverifiedLookups(identity)) if ((found = find[key](appId, value))) break;
  return { customer: found ?? store.insertCustomer({ appId, ...newCustomer(identity), now }), warnings: [] };
}

export function resolveUser(store: IngestStore, appId: string, customerPk: number, uid: string, now: number): { pk: number } {
  return store.userByUid(customerPk, uid) ?? store.insertUser({ appId, customerPk, uid, now });
}

function uidTaken(uid: string, owner: CustomerIdentity): ErrorDetail {
  return {
    path: "/uid",
    message: `uid ${uid} belongs to another customer (customerId ${owner.customerId}); identities were not merged`,
  };
}
