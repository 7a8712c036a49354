// Segment's calls mapped onto customers ⊃ users (the README's table), read back through
// trackd's own customer and event API.
import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { T0, setup } from "../helpers";
import { basicAuth, segment, SUCCESS } from "./support";

const iso = (ms: number) => new Date(ms).toISOString();
const MINUTE = 60_000;

describe("B2C: the customer is userId", () => {
  test("identify creates the customer: traits are its attributes, traits.email its email, traits.customerId its billing id", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    const res = await s.batch(acme, [
      { type: "identify", userId: "u_1", traits: { email: "jane@example.com", name: "Jane", plan: "pro", customerId: "cus_1" }, messageId: "m1" },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(SUCCESS);
    const profile = await s.profile(acme, "cus_1");
    expect(profile).toMatchObject({ customerId: "cus_1", uid: "u_1", email: "jane@example.com", data: { name: "Jane", plan: "pro" }, users: [] });
    expect(profile.data).not.toHaveProperty("email");
    expect(profile.data).not.toHaveProperty("customerId");
  });

  test("track stores the event on customer userId: properties are eventData, the library is kept under $context", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    const library = { name: "@segment/analytics-node", version: "3.1.0" };
    await s.batch(acme, [
      { type: "identify", userId: "u_1", traits: { plan: "pro" } },
      { type: "track", userId: "u_1", event: "Post Created", properties: { postType: "image" }, context: { library }, messageId: "m2" },
    ]);
    expect(await s.events(acme)).toEqual([
      {
        id: expect.stringMatching(/^evt_/),
        event: "Post Created",
        customerId: null,
        uid: "u_1",
        user: null,
        eventDate: iso(T0),
        receivedAt: iso(T0),
        eventData: { postType: "image", $context: { library } },
        source: "segment",
        verified: true,
        messageId: "m2",
      },
    ]);
    const profile = await s.profile(acme, "u_1", "uid");
    expect(profile).toMatchObject({ eventCount: 1, data: { plan: "pro" }, eventCounts: [expect.objectContaining({ event: "Post Created", count: 1 })] });
  });

  test("a track for a userId never identified creates that customer", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    expect((await s.batch(acme, [{ type: "track", userId: "u_new", event: "Signed Up" }])).body).toEqual(SUCCESS);
    expect(await s.profile(acme, "u_new", "uid")).toMatchObject({ uid: "u_new", customerId: null, eventCount: 1 });
  });
});

describe("B2B: the customer is the group, users are its people", () => {
  test("group makes the account (groupId as uid, traits.customerId its billing id) and links userId as its user", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    const res = await s.batch(acme, [
      { type: "group", userId: "u_1", groupId: "acme", traits: { name: "Acme Inc", customerId: "cus_acme", email: "billing@acme.com", seats: 5 } },
    ]);
    expect(res.body).toEqual(SUCCESS);
    const profile = await s.profile(acme, "cus_acme");
    expect(profile).toMatchObject({ customerId: "cus_acme", uid: "acme", email: "billing@acme.com", data: { name: "Acme Inc", seats: 5 } });
    expect(profile.users.map((user: { uid: string }) => user.uid)).toEqual(["u_1"]);
  });

  test("identify of a grouped user updates that user's data and creates no customer", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await s.batch(acme, [
      { type: "group", userId: "u_1", groupId: "acme", traits: { name: "Acme" } },
      { type: "identify", userId: "u_1", traits: { name: "Jane", email: "jane@acme.com" } },
    ]);
    expect(await h.count("customers")).toBe(1);
    const profile = await s.profile(acme, "acme", "uid");
    expect(profile.users).toEqual([expect.objectContaining({ uid: "u_1", data: { name: "Jane", email: "jane@acme.com" } })]);
    expect(profile.email).toBeNull();
  });

  test("identify of a person in two accounts updates both user records", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await s.batch(acme, [
      { type: "group", userId: "u_1", groupId: "acme" },
      { type: "group", userId: "u_1", groupId: "globex" },
      { type: "identify", userId: "u_1", traits: { name: "Jane" } },
    ]);
    for (const account of ["acme", "globex"]) {
      expect((await s.profile(acme, account, "uid")).users).toEqual([expect.objectContaining({ uid: "u_1", data: { name: "Jane" } })]);
    }
  });

  test("identify with context.groupId updates the user in that account, linking it if new", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await s.batch(acme, [{ type: "identify", userId: "u_1", traits: { name: "Jane" }, context: { groupId: "acme" } }]);
    expect(await h.count("customers")).toBe(1);
    expect((await s.profile(acme, "acme", "uid")).users).toEqual([expect.objectContaining({ uid: "u_1", data: { name: "Jane" } })]);
  });

  test("track without context.groupId goes to the account the user was grouped into, as that user's event", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await s.batch(acme, [
      { type: "group", userId: "u_1", groupId: "acme" },
      { type: "track", userId: "u_1", event: "Report Exported" },
    ]);
    const profile = await s.profile(acme, "acme", "uid");
    expect(profile.eventCount).toBe(1);
    expect(profile.users).toEqual([expect.objectContaining({ uid: "u_1", eventCount: 1 })]);
    expect(profile.recentEvents[0]).toMatchObject({ event: "Report Exported", uid: "acme", user: { uid: "u_1" } });
    expect(await h.count("customers")).toBe(1);
  });

  test("a user in two accounts: track without groupId goes to the account it was added to last", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await s.batch(acme, [
      { type: "group", userId: "u_1", groupId: "acme" },
      { type: "group", userId: "u_1", groupId: "globex" },
      { type: "track", userId: "u_1", event: "Report Exported" },
    ]);
    expect((await s.profile(acme, "globex", "uid")).eventCount).toBe(1);
    expect((await s.profile(acme, "acme", "uid")).eventCount).toBe(0);
  });

  test("track with context.groupId goes to that account, and links userId as its user", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await s.batch(acme, [
      { type: "group", userId: "u_1", groupId: "acme" },
      { type: "track", userId: "u_1", event: "Report Exported", context: { groupId: "globex" } },
    ]);
    const globex = await s.profile(acme, "globex", "uid");
    expect(globex.eventCount).toBe(1);
    expect(globex.users).toEqual([expect.objectContaining({ uid: "u_1", eventCount: 1 })]);
    expect((await s.profile(acme, "acme", "uid")).eventCount).toBe(0);
  });

  test("an anonymousId with a group is still about a customer: group updates the account, track is its event without a user", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    const res = await s.batch(acme, [
      { type: "group", anonymousId: "anon_1", groupId: "acme", traits: { plan: "trial" } },
      { type: "track", anonymousId: "anon_1", event: "Pricing Viewed", context: { groupId: "acme" } },
    ]);
    expect(res.body).toEqual(SUCCESS);
    expect(await s.profile(acme, "acme", "uid")).toMatchObject({ data: { plan: "trial" }, users: [], eventCount: 1 });
  });

  test("traits.customerId links an account to the customer a billing provider already created", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await h.post("/v1/api/events/customer-update", acme, { customerId: "cus_acme", customerData: { mrrSource: "stripe" } });
    await s.batch(acme, [{ type: "group", userId: "u_1", groupId: "acme", traits: { customerId: "cus_acme", name: "Acme" } }]);
    expect(await h.count("customers")).toBe(1);
    const profile = await s.profile(acme, "cus_acme");
    expect(profile).toMatchObject({ uid: "acme", users: [expect.objectContaining({ uid: "u_1" })] });
    expect(profile.data).toEqual({ mrrSource: "stripe", name: "Acme" });
  });

  test("a trait set to null removes the attribute; a null email or customerId changes nothing", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await s.batch(acme, [{ type: "group", groupId: "acme", traits: { plan: "pro", seats: 3, email: "a@acme.com", customerId: "cus_1" } }]);
    await s.batch(acme, [{ type: "group", groupId: "acme", traits: { plan: null, email: null, customerId: null } }]);
    const profile = await s.profile(acme, "cus_1");
    expect(profile).toMatchObject({ uid: "acme", email: "a@acme.com" });
    expect(profile.data).toEqual({ seats: 3 });
  });

  test("a traits.customerId that conflicts with the account's billing id is answered with a warning", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await s.batch(acme, [{ type: "group", groupId: "acme", traits: { customerId: "cus_1" } }]);
    await s.batch(acme, [{ type: "group", groupId: "globex", traits: { customerId: "cus_2" } }]);
    const res = await s.batch(acme, [{ type: "track", userId: "u_1", event: "X" }, { type: "group", groupId: "globex", traits: { customerId: "cus_1" } }]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, warnings: [{ index: 1, path: "/batch/1/uid", message: expect.stringContaining("globex") }] });
  });
});

describe("page and screen", () => {
  test.each([
    [{ type: "page", name: "Home", category: "Docs" }, "Viewed Docs Home Page"],
    [{ type: "page", name: "Pricing" }, "Viewed Pricing Page"],
    [{ type: "page", category: "Docs" }, "Viewed Docs Page"],
    [{ type: "page" }, "Loaded a Page"],
    [{ type: "screen", name: "Settings" }, "Viewed Settings Screen"],
    [{ type: "screen" }, "Loaded a Screen"],
  ])("%o is stored as the event %p", async (message, name) => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await s.batch(acme, [{ ...message, userId: "u_1", properties: { url: "https://example.com/docs" } }]);
    const [event] = await s.events(acme);
    expect(event.event).toBe(name);
    const { name: pageName, category } = message as { name?: string; category?: string };
    expect(event.eventData).toEqual({ url: "https://example.com/docs", ...(pageName ? { name: pageName } : {}), ...(category ? { category } : {}) });
  });

  test("a property named like the page is kept as sent", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await s.batch(acme, [{ type: "page", userId: "u_1", name: "Home", properties: { name: "Home | Acme" } }]);
    expect((await s.events(acme))[0].eventData).toEqual({ name: "Home | Acme" });
  });
});

describe("context", () => {
  test("library, ip, userAgent, locale, timezone, page and campaign are kept; device, os and the rest are not; groupId routes", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    const kept = {
      library: { name: "analytics.js", version: "5" },
      ip: "203.0.113.9",
      userAgent: "Mozilla/5.0",
      locale: "fr-FR",
      timezone: "Europe/Paris",
      page: { path: "/docs" },
      campaign: { source: "newsletter" },
    };
    await s.batch(acme, [
      { type: "track", userId: "u_1", event: "X", context: { ...kept, device: { id: "d" }, os: { name: "iOS" }, traits: { a: 1 }, groupId: "acme" } },
    ]);
    expect((await s.events(acme))[0]).toMatchObject({ uid: "acme", eventData: { $context: kept } });
  });

  test("the batch's context applies to each message, under the message's own", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await s.batch(
      acme,
      [
        { type: "track", userId: "u_1", event: "A" },
        { type: "track", userId: "u_1", event: "B", context: { userAgent: "own" } },
      ],
      { context: { userAgent: "batch", library: { name: "x" } } },
    );
    const byName = Object.fromEntries((await s.events(acme)).map((e: { event: string; eventData: unknown }) => [e.event, e.eventData]));
    expect(byName.A).toEqual({ $context: { userAgent: "batch", library: { name: "x" } } });
    expect(byName.B).toEqual({ $context: { userAgent: "own", library: { name: "x" } } });
  });
});

describe("event time", () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>, number][] = [
    ["no timestamp: now", {}, {}, T0],
    ["timestamp, no sentAt: as sent", { timestamp: iso(T0 - 30 * MINUTE) }, {}, T0 - 30 * MINUTE],
    // The sender's clock is 10 minutes slow: its sentAt says T0 - 10 min when trackd's says T0.
    ["timestamp corrected by the batch's sentAt", { timestamp: iso(T0 - 40 * MINUTE) }, { sentAt: iso(T0 - 10 * MINUTE) }, T0 - 30 * MINUTE],
    ["a fast clock is corrected too", { timestamp: iso(T0 + 50 * MINUTE) }, { sentAt: iso(T0 + 80 * MINUTE) }, T0 - 30 * MINUTE],
    ["the message's own sentAt wins", { timestamp: iso(T0 - 40 * MINUTE), sentAt: iso(T0 - 10 * MINUTE) }, { sentAt: iso(T0) }, T0 - 30 * MINUTE],
    ["originalTimestamp when there is no timestamp", { originalTimestamp: iso(T0 - 40 * MINUTE) }, { sentAt: iso(T0 - 10 * MINUTE) }, T0 - 30 * MINUTE],
    ["timestamp before originalTimestamp", { timestamp: iso(T0 - 5 * MINUTE), originalTimestamp: iso(T0 - 40 * MINUTE) }, {}, T0 - 5 * MINUTE],
    ["a backfilled date", { timestamp: "2022-05-01T00:00:00.000Z" }, { sentAt: iso(T0) }, Date.UTC(2022, 4, 1)],
    ["epoch milliseconds", { timestamp: T0 - MINUTE }, {}, T0 - MINUTE],
  ];
  test.each(cases)("%s", async (_name, times, envelope, expected) => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    expect((await s.batch(acme, [{ type: "track", userId: "u_1", event: "X", ...times }], envelope)).body).toEqual(SUCCESS);
    expect((await s.events(acme))[0].eventDate).toBe(iso(expected));
  });
});

describe("messageId: exactly once, forever", () => {
  const messages = [
    { type: "group", userId: "u_1", groupId: "acme", traits: { name: "Acme" }, messageId: "g1" },
    { type: "identify", userId: "u_1", traits: { name: "Jane" }, messageId: "i1" },
    { type: "track", userId: "u_1", event: "Report Exported", messageId: "t1" },
    { type: "page", userId: "u_1", name: "Home", messageId: "p1" },
  ];

  test("a batch sent again is answered success and changes nothing", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await s.batch(acme, messages);
    const before = { events: await h.count("events"), customers: await h.count("customers"), users: await h.count("users"), profile: await s.profile(acme, "acme", "uid") };
    h.clock.now += MINUTE;
    expect((await s.batch(acme, messages)).body).toEqual(SUCCESS);
    expect({ events: await h.count("events"), customers: await h.count("customers"), users: await h.count("users"), profile: await s.profile(acme, "acme", "uid") }).toEqual(before);
    expect(before.events).toBe(2);
  });

  test("a late repeat of an older identify does not undo a newer one", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await s.batch(acme, [{ type: "identify", userId: "u_1", traits: { plan: "free" }, messageId: "i1" }]);
    await s.batch(acme, [{ type: "identify", userId: "u_1", traits: { plan: "pro" }, messageId: "i2" }]);
    await s.batch(acme, [{ type: "identify", userId: "u_1", traits: { plan: "free" }, messageId: "i1" }]);
    expect((await s.profile(acme, "u_1", "uid")).data).toEqual({ plan: "pro" });
  });

  test("the same messageId twice in one batch is stored once", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    const track = { type: "track", userId: "u_1", event: "X", messageId: "t1" };
    expect((await s.batch(acme, [track, track])).body).toEqual(SUCCESS);
    expect(await h.count("events")).toBe(1);
  });

  test("a messageId is one key across trackd's routes and Segment's, whatever the message type", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await h.post("/v1/api/events/new", acme, { event: "X", uid: "u_1", messageId: "shared" });
    await s.batch(acme, [{ type: "identify", userId: "u_1", traits: { plan: "pro" }, messageId: "id-1" }]);
    await s.batch(acme, [
      { type: "track", userId: "u_1", event: "X", messageId: "shared" },
      { type: "track", userId: "u_1", event: "Y", messageId: "id-1" },
      { type: "identify", userId: "u_1", traits: { plan: "free" }, messageId: "shared" },
    ]);
    expect(await h.count("events")).toBe(1);
    expect((await s.profile(acme, "u_1", "uid")).data).toEqual({ plan: "pro" });
  });
});

describe("what SDKs send besides", () => {
  test("integer userId and groupId are kept as their decimal strings", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    await s.batch(acme, [{ type: "group", userId: 42, groupId: 7 }, { type: "track", userId: 42, event: "X" }]);
    const profile = await s.profile(acme, "7", "uid");
    expect(profile).toMatchObject({ uid: "7", eventCount: 1, users: [expect.objectContaining({ uid: "42" })] });
  });

  test("null fields count as absent, and unknown fields (integrations, _metadata, ...) are ignored", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const s = segment(h);
    const res = await s.batch(acme, [
      { type: "track", userId: "u_1", anonymousId: null, event: "X", properties: null, context: null, integrations: { All: true }, _metadata: { jsRuntime: "node" }, channel: "server" },
    ]);
    expect(res.body).toEqual(SUCCESS);
    expect((await s.events(acme))[0].eventData).toBeNull();
  });

  test.each([
    ["track", { userId: "u_1", event: "X" }],
    ["identify", { userId: "u_1", traits: { plan: "pro" } }],
    ["group", { userId: "u_1", groupId: "acme" }],
    ["page", { userId: "u_1", name: "Home" }],
    ["screen", { userId: "u_1", name: "Home" }],
  ])("POST /v1/%s takes one message, its type from the route, the write key in the body", async (route, message) => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.call("POST", `/v1/${route}`, { body: { ...message, writeKey: acme.apiKey } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(SUCCESS);
    expect(await h.count("customers")).toBe(1);
  });

  test("a gzip-compressed body is read (analytics-python's gzip option)", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const body = gzipSync(JSON.stringify({ batch: [{ type: "track", userId: "u_1", event: "X" }] }));
    const res = await h.app.handle(
      new Request("http://localhost/v1/batch", { method: "POST", headers: { ...basicAuth(acme.apiKey), "content-encoding": "gzip" }, body }),
    );
    expect(res.status).toBe(200);
    expect(await h.count("events")).toBe(1);
  });
});
