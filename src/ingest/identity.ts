// Finding (or creating) the customer a write is about. A customer is known by customerId
// (the billing provider's id) and/or uid (the product's own id); a write carrying both links
// them. When the two point at different existing customers, customerId wins and nothing is
// merged: the write goes to the customerId's customer and the caller gets a warning.
// Browser events may know only the customer's email: it finds the customer last, after
// customerId and uid. An event whose identity is not proven (an unsigned browser event) never
// links or changes an existing customer: see attachUnverified.
import type { ErrorDetail } from "../errors";
import type { CustomerIdentity, IngestStore } from "./store";

export interface Identity {
  customerId?: string;
  uid?: string;
  customerEmail?: string;
}

export interface Resolved {
  customer: CustomerIdentity;
  warnings: ErrorDetail[];
}

export function resolveCustomer(store: IngestStore, appId: string, identity: Identity, now: number): Resolved {
  const { customerId, uid } = identity;
  const byCustomerId = customerId === undefined ? undefined : store.customerByCustomerId(appId, customerId);
  const byUid = uid === undefined ? undefined : store.customerByUid(appId, uid);

  if (byCustomerId) {
    if (uid === undefined || byCustomerId.uid === uid) return { customer: byCustomerId, warnings: [] };
    if (byUid) return { customer: byCustomerId, warnings: [uidTaken(uid, byUid)] };
    if (byCustomerId.uid !== null) {
      return {
        customer: byCustomerId,
        warnings: [{ path: "/uid", message: `customer ${customerId} already has uid ${byCustomerId.uid}; uid ${uid} was not linked` }],
      };
    }
    return { customer: link(store, byCustomerId, { uid }, now), warnings: [] };
  }

  if (byUid) {
    if (customerId === undefined) return { customer: byUid, warnings: [] };
    if (byUid.customerId === null) return { customer: link(store, byUid, { customerId }, now), warnings: [] };
    // The uid is already another billing customer's: customerId wins, as a new customer.
    const customer = store.insertCustomer({ appId, customerId, uid: null, email: null, now });
    return { customer, warnings: [uidTaken(uid!, byUid)] };
  }

  if (customerId === undefined && uid === undefined && identity.customerEmail !== undefined) {
    const byEmail = store.customerByEmail(appId, identity.customerEmail);
    if (byEmail) return { customer: byEmail, warnings: [] };
  }
  return { customer: insertCustomer(store, appId, identity, now), warnings: [] };
}

/**
 * For an unproven identity: the customer the first known identifier (customerId, uid, email)
 * finds, as it is; else a new customer with the identifiers as sent (no existing record changes).
 */
export function attachUnverified(store: IngestStore, appId: string, identity: Identity, now: number): Resolved {
  const { customerId, uid, customerEmail } = identity;
  const found =
    (customerId !== undefined ? store.customerByCustomerId(appId, customerId) : undefined) ??
    (uid !== undefined ? store.customerByUid(appId, uid) : undefined) ??
    (customerEmail !== undefined ? store.customerByEmail(appId, customerEmail) : undefined);
  return { customer: found ?? insertCustomer(store, appId, identity, now), warnings: [] };
}

function insertCustomer(store: IngestStore, appId: string, identity: Identity, now: number): CustomerIdentity {
  const { customerId = null, uid = null, customerEmail = null } = identity;
  return store.insertCustomer({ appId, customerId, uid, email: customerEmail, now });
}

export function resolveUser(store: IngestStore, appId: string, customerPk: number, uid: string, now: number): { pk: number } {
  return store.userByUid(customerPk, uid) ?? store.insertUser({ appId, customerPk, uid, now });
}

function link(store: IngestStore, customer: CustomerIdentity, ids: Identity, now: number): CustomerIdentity {
  const linked = { ...customer, customerId: ids.customerId ?? customer.customerId, uid: ids.uid ?? customer.uid };
  store.setCustomerIdentity({ pk: customer.pk, customerId: linked.customerId, uid: linked.uid, now });
  return linked;
}

function uidTaken(uid: string, owner: CustomerIdentity): ErrorDetail {
  return {
    path: "/uid",
    message: `uid ${uid} belongs to another customer (customerId ${owner.customerId}); identities were not merged`,
  };
}
