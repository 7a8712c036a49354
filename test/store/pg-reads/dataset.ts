// One varied dataset, written through the real SQLite store (its commands and applier), for the
// read parity tests: two apps (the second's rows must never show in the first's answers),
// customers whose ids, emails and names need byte order and ASCII-only case folding, JSON
// attributes of every type, customers and users never seen, events over 40 days with ties on
// time, B2B users, billing with NULL currencies and start dates, scores in every grade, keys,
// revoked keys and dashboard accounts created in the same millisecond.
import { setupSqlite, T0 } from "../../helpers";
import { DAY_MS } from "../../../src/periods";
import type { BillingChange, StoredEvent, SubscriptionState } from "../../../src/store/commands";

export const NOW = T0 + 40 * DAY_MS;

const CUSTOMERS = [
  { customerId: "alice", uid: "u-alice", email: "Alice@Example.com", name: "Alice Smith" },
  { customerId: "Bob", uid: "u-bob", email: "bob@example.com", name: "bob" },
  { customerId: "élan", uid: "u-elan", email: "ÉLAN@example.com", name: "Élodie" },
  { customerId: "Zed", uid: null, email: "zed@example.com", name: true },
  { customerId: "_under", uid: "U-UNDER", email: null, name: 42 },
  { customerId: "a b", uid: "a-b", email: "alice@example.com", name: null },
  { customerId: "al", uid: "ALX", email: "ALX@example.com", name: "ALEX" },
  { customerId: null, uid: "u-only", email: "only@example.com", name: "Only Uid" },
  { customerId: "ab", uid: "u-ab", email: null, name: "ab" },
  { customerId: "zz", uid: "u-zz", email: "zz@example.com", name: "Zz" },
] as const;

const NAMES = ["signup", "login", "Export", "export", "report.viewed", "ééé"];

export async function buildDataset() {
  const h = await setupSqlite({ now: T0, shared: true });
  // Created in the same millisecond: the lists order them by id.
  const a = await h.tenant("alpha");
  const b = await h.tenant("beta");
  const apply = h.store.apply.bind(h.store);
  await apply({ type: "UpdateAppSettings", appId: a.appId, fields: { retentionDays: 30, healthWeights: { usage: 2, breadth: 1 }, allowedOrigins: "https://a.example" } });
  await apply({ type: "UpdateAppSettings", appId: b.appId, fields: { retentionDays: 7 } });
  for (const id of ["key_b", "key_a", "key_c"]) {
    await apply({ type: "CreateKey", key: { id, appId: a.appId, secretHash: `hash-${id}`, scopes: "read", createdAt: T0 + DAY_MS } });
  }
  await apply({ type: "RevokeKey", keyId: "key_c", at: T0 + 2 * DAY_MS });
  for (const [id, email, role] of [["usr_b", "b@x.io", "admin"], ["usr_a", "a@x.io", "viewer"], ["usr_c", "c@x.io", "admin"]] as const) {
    await apply({ type: "CreateUser", user: { id, email, role, passwordHash: `ph-${id}`, createdAt: T0 } });
  }
  await apply({ type: "StartSession", session: { tokenHash: "tok-1", userId: "usr_a", createdAt: T0, lastSeenAt: T0 + 5 } });

  // Customers and attributes (one never seen: no events at all).
  for (const [i, c] of CUSTOMERS.entries()) {
    const identity = { ...(c.customerId === null ? {} : { customerId: c.customerId }), ...(c.uid === null ? {} : { uid: c.uid }) };
    const customerData: Record<string, unknown> = { seats: i % 2 === 0 ? 3 : "3", flag: i % 3 === 0, gone: null, nested: { plan: "x", n: i }, tier: `t${i % 3}` };
    if (c.name !== null) customerData.name = c.name;
    await apply({ type: "UpdateCustomer", appId: a.appId, identity, customerData, ...(c.email === null ? {} : { customerEmail: c.email }) });
  }
  await apply({ type: "UpdateCustomer", appId: a.appId, identity: { customerId: "never-seen" }, user: { uid: "silent-user", data: { role: "x" } } });

  // Events: 40 days, several names, users, ties on eventDate, messageIds, unverified ones.
  const events: StoredEvent[] = [];
  for (let day = 0; day < 40; day++) {
    for (const [i, c] of CUSTOMERS.entries()) {
      if ((day + i) % 3 === 0) continue;
      const identity = c.customerId === null ? { uid: c.uid! } : { customerId: c.customerId };
      const count = 1 + ((day * 7 + i) % 3);
      for (let k = 0; k < count; k++) {
        events.push({
          ...identity,
          event: NAMES[(day + i + k) % NAMES.length]!,
          // Every customer's first event of the day shares its time with the others': ties broken by seq.
          eventDate: T0 + day * DAY_MS + (k === 0 ? 0 : k * 3_600_000 + i),
          eventData: k === 1 ? JSON.stringify({ k, day, "b": [1, 2], "a": "x" }) : null,
          verified: (day + k) % 5 !== 0,
          ...(k === 0 && i % 2 === 0 ? { user: { uid: `${c.uid ?? "x"}-user-${day % 3}`, data: { d: day } } } : {}),
          ...(k === 2 ? { messageId: `m-${day}-${i}` } : {}),
        });
      }
    }
  }
  for (let i = 0; i < events.length; i += 100) {
    h.clock.now = T0 + (i / 100) * 3_600_000;
    await apply({ type: "RecordEvents", appId: a.appId, source: i % 200 === 0 ? "server" : "bulk", events: events.slice(i, i + 100) });
  }
  // The other app, with the same customer ids.
  h.clock.now = NOW;
  await apply({
    type: "RecordEvents",
    appId: b.appId,
    source: "server",
    events: ["alice", "Bob", "zz"].map((customerId, i) => ({ customerId, event: "signup", eventDate: T0 + i * DAY_MS, eventData: null, verified: true })),
  });

  // Billing: subscriptions (one without a start date, one in no currency's customers), payments.
  const sub = (customerId: string, id: string, status: string, amount: number, currency: string, startedAt: number | null): SubscriptionState => ({
    provider: "stripe",
    subscriptionId: id,
    customerId,
    status,
    items: [{ priceId: `price_${amount}`, productId: "prod", productName: "Pro", quantity: 2, unitAmount: amount, interval: "month", intervalCount: 1, mrr: amount * 2 }],
    discounts: amount > 3000 ? [{ percentOff: 10, amountOff: null, end: null }] : [],
    currency,
    trialStart: null,
    trialEnd: status === "trialing" ? T0 + 45 * DAY_MS : null,
    currentPeriodEnd: T0 + 50 * DAY_MS,
    cancelAtPeriodEnd: status === "past_due",
    canceledAt: null,
    endedAt: null,
    startedAt,
  });
  const changes: [string, BillingChange[]][] = [
    ["alice", [{ kind: "subscription", state: sub("alice", "sub_1", "active", 2000, "usd", T0), source: { at: T0 + DAY_MS } }]],
    ["Bob", [{ kind: "subscription", state: sub("Bob", "sub_2", "past_due", 5000, "usd", T0 + DAY_MS), source: { at: T0 + 2 * DAY_MS } }]],
    ["élan", [{ kind: "subscription", state: sub("élan", "sub_3", "active", 4000, "eur", T0), source: { at: T0 + 3 * DAY_MS } }]],
    ["Zed", [{ kind: "subscription", state: sub("Zed", "sub_4", "trialing", 1000, "usd", null), source: { at: T0 + 3 * DAY_MS } }]],
    [
      "alice",
      [
        { kind: "subscription", state: sub("alice", "sub_5", "canceled", 1000, "usd", T0), source: { at: T0 + 4 * DAY_MS } },
        { kind: "subscription", state: sub("alice", "sub_6", "active", 3500, "usd", null), source: { at: T0 + 4 * DAY_MS } },
      ],
    ],
  ];
  for (const [, list] of changes) await apply({ type: "ApplyBilling", appId: a.appId, changes: list });
  for (const [i, customerId] of ["alice", "Bob", "alice", "élan"].entries()) {
    await apply({
      type: "ApplyBilling",
      appId: a.appId,
      changes: [
        {
          kind: "payment",
          payment: { provider: "stripe", customerId, subscriptionId: null, invoiceId: `in_${i}`, paid: i !== 1, amount: 2000, currency: "usd", attempt: 1 },
          // Two payments of alice's at the same time: the later row wins.
          source: { at: T0 + (customerId === "alice" ? 5 : 5 + i) * DAY_MS },
        },
      ],
    });
  }
  await apply({ type: "ApplyBilling", appId: b.appId, changes: [{ kind: "subscription", state: sub("alice", "sub_b", "active", 900, "usd", T0), source: { at: T0 } }] });

  // Scores in every grade, some customers unscored.
  const pks = (await h.store.scores.customerPks(a.appId)).sort((x, y) => x - y);
  await apply({ type: "SetScores", changes: pks.slice(0, 8).map((pk, i) => ({ pk, score: [95, 70, 69, 40, 39, 0, 55, 39][i]! })) });
  await apply({ type: "SaveHealthRun", run: { appId: a.appId, medianBreadth: 3, customersScored: 8, durationMs: 12, computedAt: NOW } });
  return { h, a, b };
}
