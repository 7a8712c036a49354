// The PostgreSQL applier against the SQLite one: each command type, the same scenario through
// both, with equal results and equal tables after (support.ts normalises generated ids and keys).
import { afterEach, expect, test } from "bun:test";
import type { Command, StoredEvent } from "../../../src/store/commands";
import { describePg } from "../../support/postgres";
import { bothBackends, DAY, expectParity, T0, type Step } from "./support";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let now = T0;
const clock = () => now;
const setClock = (step: number) => (now = T0 + step * 1000);

async function parity(steps: Step[]) {
  const backends = await bothBackends(clock, cleanups);
  return expectParity(backends, steps, setClock);
}

const event = (name: string, identity: Partial<StoredEvent>, at = T0, extra: Partial<StoredEvent> = {}): StoredEvent => ({
  event: name,
  eventDate: at,
  eventData: null,
  verified: true,
  ...identity,
  ...extra,
});
const record = (...events: StoredEvent[]): Command => ({ type: "RecordEvents", appId: "app_1", source: "server", events });

describePg("the PostgreSQL applier gives the SQLite applier's results", () => {
  test("RecordEvents: customers, users, attributes, days, weeks and months counted alike", async () => {
    const { outcomes, tables } = await parity([
      [
        record(
          event("signup", { customerId: "c1" }, T0, { customerData: { plan: "free", seats: 3 }, eventData: '{"a":1}' }),
          event("login", { customerId: "c1" }, T0 + DAY, { user: { uid: "u1", data: { role: "admin" } } }),
          event("login", { customerId: "c1" }, T0 + 3 * DAY, { user: { uid: "u1", data: { role: null, team: "x" } } }),
          event("login", { uid: "p1" }, T0 - 40 * DAY),
        ),
        record(event("login", { customerId: "c2", customerEmail: "two@x.io" }, T0 + 20 * DAY), event("login", { customerId: "c1" }, T0 + 2 * DAY)),
      ],
      [record(event("signup", { customerId: "c1" }, T0 - DAY, { customerData: { plan: "pro", seats: null } }), event("x", { customerId: "c2" }, T0 + 20 * DAY))],
      [record(event("late", { customerId: "c1" }, T0 - 70 * DAY), event("late", { customerId: "c1" }, T0 - 69 * DAY), event("late", { customerId: "c1" }, T0 - 60 * DAY))],
    ]);
    expect(outcomes).toHaveLength(4);
    expect(tables.app_active_customers.length).toBeGreaterThan(5);
  });

  test("RecordEvents: identity links, conflicts and their warnings, emails and unverified events", async () => {
    const { outcomes } = await parity([
      [record(event("a", { customerId: "c1" }), event("a", { uid: "u1" }), event("a", { customerId: "c3", uid: "u3" }))],
      [
        record(
          event("a", { customerId: "c1", uid: "u9" }), // links u9 to c1
          event("a", { customerId: "c1", uid: "u8" }), // c1 already has a uid: warning
          event("a", { customerId: "c2", uid: "u1" }), // u1 has no customerId: links c2 to it
          event("a", { customerId: "c4", uid: "u3" }), // u3 belongs to c3: c4 new, warning
          event("a", { customerId: "c1", uid: "u3" }), // both exist, different customers: warning
        ),
      ],
      [
        record(
          event("b", { customerEmail: "e@x.io" }),
          event("b", { customerEmail: "e@x.io" }),
          event("b", { customerId: "c5", customerEmail: "e@x.io" }),
          event("b", { customerId: "c1", customerEmail: "one@x.io" }),
          event("b", { customerId: "c1", customerEmail: "other@x.io" }),
          event("b", { uid: "u1", customerId: "c2" }, T0, { verified: false }),
          event("b", { customerId: "nobody", uid: "u1" }, T0, { verified: false, customerData: { x: 1 } }),
          event("b", { customerEmail: "new@x.io", uid: "zz" }, T0, { verified: false }),
        ),
      ],
    ]);
    const warnings = outcomes.flatMap((outcome) => (outcome as { warnings: unknown[] }[]).flatMap((result) => result.warnings));
    expect(warnings).toHaveLength(3);
  });

  test("RecordEvents: a messageId is stored once, within a command, within a batch and later; a failing command is undone alone", async () => {
    const { outcomes } = await parity([
      [
        record(event("a", { customerId: "c1" }, T0, { messageId: "m1" }), event("a", { customerId: "c1" }, T0, { messageId: "m1" })),
        record(event("a", { customerId: "c2" }, T0, { messageId: "m1" }), event("a", { customerId: "c2" }, T0, { messageId: "m2" })),
        { type: "RecordEvents", appId: "no_such_app", source: "server", events: [event("a", { customerId: "c9" })] },
      ],
      [record(event("a", { customerId: "c3" }, T0, { messageId: "m2" }), event("a", { customerId: "c3" }, T0, { messageId: "m3" }))],
    ]);
    expect(outcomes[2]).toEqual({ rejected: true });
    expect(outcomes[1]).toEqual([expect.objectContaining({ duplicate: true }), expect.objectContaining({ duplicate: false })]);
  });

  test("UpdateCustomer: finds or creates, links, merges attributes and users", async () => {
    const update = (identity: Record<string, string>, extra = {}): Command => ({ type: "UpdateCustomer", appId: "app_1", identity, ...extra });
    await parity([
      [record(event("a", { customerId: "c1" }))],
      [
        update({ customerId: "c1", uid: "u1" }, { customerData: { plan: "pro", a: 1 } }),
        update({ uid: "u1" }, { customerData: { a: null, b: 2 }, customerEmail: "c1@x.io", user: { uid: "bob", data: { x: 1 } } }),
        update({ customerId: "c2", uid: "u1" }),
        update({ customerEmail: "c1@x.io" }, { user: { uid: "bob", data: { y: 2 } } }),
        update({ customerEmail: "fresh@x.io" }),
      ],
    ]);
  });

  test("EraseCustomer: the customer and everything it added, even from the same batch; null when unknown", async () => {
    const erase = (by: "customerId" | "uid" | "email", value: string): Command => ({ type: "EraseCustomer", appId: "app_1", by, value });
    await parity([
      [record(event("a", { customerId: "keep" }), event("a", { customerId: "gone", customerEmail: "g@x.io" }, T0 - DAY, { user: { uid: "u" } }))],
      [record(event("a", { customerId: "gone" }, T0 + 8 * DAY), event("b", { customerId: "gone" }, T0 + 40 * DAY)), erase("email", "g@x.io"), record(event("a", { customerId: "gone" }))],
      [erase("customerId", "gone"), erase("uid", "nobody"), record(event("c", { uid: "u2" })), erase("uid", "u2")],
    ]);
  });

  test("SetScores and SaveHealthRun", async () => {
    await parity([
      [record(event("a", { customerId: "c1" }), event("a", { customerId: "c2" }))],
      async (backend) => [
        { type: "SetScores", changes: [{ pk: await backend.pkOf("c2"), score: 10 }, { pk: await backend.pkOf("c1"), score: 80 }] },
        { type: "SaveHealthRun", run: { appId: "app_1", medianBreadth: 2, customersScored: 2, durationMs: 5, computedAt: T0 } },
      ],
      [{ type: "SaveHealthRun", run: { appId: "app_1", medianBreadth: 3, customersScored: 1, durationMs: 6, computedAt: T0 + 1 } }],
    ]);
  });

  test("PurgeRetention: bounded steps, events first, then the day rows and the ended periods", async () => {
    const purge: Command = { type: "PurgeRetention", appId: "app_1", horizon: T0 - 5 * DAY, limit: 2 };
    const { outcomes } = await parity([
      [
        record(
          ...[40, 33, 20, 10, 9, 6, 1, 0].map((days, i) => event(`e${i % 3}`, { customerId: `c${i % 2}` }, T0 - days * DAY)),
          event("x", { customerId: "c3" }, T0 - 35 * DAY),
        ),
      ],
      [purge],
      [purge],
      [purge],
      [purge],
      [purge],
      [purge],
      [purge],
    ]);
    expect(outcomes.at(-1)).toMatchObject({ done: true });
  });

  test("RecordKeyUse only moves forward", async () => {
    await parity([
      [{ type: "RecordKeyUse", keyId: "key_1", at: T0 + 5 }],
      [{ type: "RecordKeyUse", keyId: "key_1", at: T0 + 1 }, { type: "RecordKeyUse", keyId: "nokey", at: T0 }],
    ]);
  });

  test("ApplySegmentBatch: events, identify and group mapped onto customers and users, each messageId once", async () => {
    const batch = (...messages: Extract<Command, { type: "ApplySegmentBatch" }>["messages"]): Command => ({
      type: "ApplySegmentBatch",
      appId: "app_1",
      receivedAt: T0,
      messages,
    });
    const segmentEvent = (messageId: string, ids: { userId?: string; groupId?: string }) => ({
      kind: "event" as const,
      messageId,
      ...ids,
      event: event("track", {}, T0, { messageId }),
    });
    await parity([
      [
        batch(
          { kind: "group", messageId: "g1", groupId: "acme", userId: "alice", traits: { name: "Acme", customerId: "cus_acme", email: "ops@acme.io" } },
          segmentEvent("s1", { userId: "alice" }),
          segmentEvent("s2", { userId: "bob", groupId: "acme" }),
          segmentEvent("s3", { userId: "carol" }),
          { kind: "identify", messageId: "i1", userId: "alice", traits: { title: "CTO" } },
          { kind: "identify", messageId: "i2", userId: "dave", traits: { email: "dave@x.io", plan: "b2c" } },
          { kind: "identify", messageId: "i3", userId: "erin", groupId: "acme", traits: { x: 1 } },
          { kind: "identify", messageId: "i1", userId: "alice", traits: { title: "again" } },
          { kind: "identify", messageId: "s1", userId: "alice", traits: { title: "event's id" } },
        ),
      ],
      [batch(segmentEvent("s1", { userId: "alice" }), { kind: "group", messageId: "g1", groupId: "other", traits: {} }, segmentEvent("s4", { userId: "zed" }))],
    ]);
  });

  test("new customers and users made ahead of their events (pg/create-ahead.ts) are the ones made one by one", async () => {
    const batch = (...messages: Extract<Command, { type: "ApplySegmentBatch" }>["messages"]): Command => ({ type: "ApplySegmentBatch", appId: "app_1", receivedAt: T0, messages });
    const track = (messageId: string, ids: { userId?: string; groupId?: string }) => ({ kind: "event" as const, messageId, ...ids, event: event("track", {}, T0, { messageId }) });
    await parity([
      [
        record(
          event("a", { customerId: "n1" }),
          event("a", { customerId: "n1", uid: "nu1" }),
          event("a", { uid: "n2", user: { uid: "p1" } }),
          event("a", { customerId: "n3", customerEmail: "n3@x.io" }),
          event("a", { uid: "n4" }, T0, { messageId: "dup" }),
          event("a", { uid: "n4b" }, T0, { messageId: "dup" }),
          event("a", { customerId: "n5", verified: false, user: { uid: "p5" } }),
          event("a", { customerId: "n6", uid: "nu6" }),
          event("a", { uid: "nu6" }),
        ),
        batch(
          track("t1", { userId: "sam" }),
          { kind: "group", messageId: "g1", groupId: "acct", userId: "tom", traits: {} },
          track("t2", { userId: "tom" }),
          track("t3", { userId: "uma", groupId: "acct2" }),
          track("t4", { userId: "uma" }),
          { kind: "identify", messageId: "x1", userId: "vic", traits: { a: 1 } },
          track("x1", { userId: "vic2" }),
          track("t5", { userId: "sam", groupId: "acct3" }),
          track("t6", { userId: "sam" }),
        ),
      ],
      // Repeats of stored messageIds create nothing; an account made in the step before is found.
      [batch(track("t1", { userId: "wes" }), track("x1", { userId: "xan" }), track("t7", { userId: "tom" })), record(event("a", { uid: "n2", user: { uid: "p2" } }, T0, { messageId: "dup" }))],
    ]);
  });

  test("ApplyBilling: subscriptions, customers, payments and notes, stale changes and provider events once", async () => {
    const state = (status: string, at: number, quantity = 1) => ({
      kind: "subscription" as const,
      state: {
        provider: "stripe",
        subscriptionId: "sub_1",
        customerId: "cus_1",
        status,
        items: [{ priceId: "price_1", productName: "Pro", quantity, unitAmount: 1000, interval: "month" as const, intervalCount: 1 }],
        discounts: [],
        currency: "USD",
        trialStart: null,
        trialEnd: null,
        currentPeriodEnd: T0 + 30 * DAY,
        cancelAtPeriodEnd: false,
        canceledAt: null,
        endedAt: null,
        startedAt: T0 - DAY,
      },
      source: { at, eventId: `evt_${status}_${at}` },
    });
    const billing = (changes: unknown[], once?: string): Command =>
      ({ type: "ApplyBilling", appId: "app_1", changes, ...(once ? { once: { provider: "stripe", eventId: once, eventType: "x" } } : {}) }) as Command;
    await parity([
      [billing([state("active", T0)], "we1"), billing([state("active", T0)], "we1")],
      [billing([state("active", T0 + 10, 3), state("active", T0 + 5, 2)]), billing([state("active", T0 + 10, 3)])],
      [
        billing([
          { kind: "customer", customer: { provider: "stripe", customerId: "cus_1", email: "b@x.io", name: "Buyer", metadata: { tier: "gold" } }, source: { at: T0 + 20 } },
          { kind: "customer", customer: { provider: "stripe", customerId: "cus_1", email: null, name: null, metadata: { tier: "old" } }, source: { at: T0 + 1 } },
          {
            kind: "payment",
            payment: { provider: "stripe", customerId: "cus_1", subscriptionId: "sub_1", invoiceId: "in_1", paid: false, amount: 3000, currency: "usd", attempt: 1 },
            source: { at: T0 + 30 },
          },
          { kind: "note", provider: "stripe", customerId: "cus_2", note: "trial_will_end", source: { at: T0 + 31 }, detail: { days: 3 } },
        ]),
      ],
      [billing([state("canceled", T0 + 40)]), billing([{ kind: "customerDeleted", provider: "stripe", customerId: "cus_1", source: { at: T0 + 50 } }])],
      [billing([state("active", T0 + 60, 1)])],
    ]);
  });
});
