// The write key: every way Segment's SDKs send it, every way it can be wrong, and tenant
// isolation (the key alone names the app, so it must never write anywhere else).
import { describe, expect, test } from "bun:test";
import { setup, type Harness, type Tenant } from "../helpers";
import { basicAuth, segment, SUCCESS } from "./support";

const TRACK = { type: "track", userId: "u_1", event: "Post Created" };

async function stored(h: Harness) {
  return { events: await h.count("events"), customers: await h.count("customers"), users: await h.count("users") };
}

describe("auth: the write key", () => {
  const accepted: [string, (t: Tenant) => { headers?: Record<string, string>; body: Record<string, unknown> }][] = [
    ["HTTP Basic with the key as user name and an empty password", (t) => ({ headers: basicAuth(t.apiKey), body: { batch: [TRACK] } })],
    ["HTTP Basic with a password (ignored)", (t) => ({ headers: basicAuth(t.apiKey, "anything"), body: { batch: [TRACK] } })],
    ["writeKey in the body", (t) => ({ body: { batch: [TRACK], writeKey: t.apiKey } })],
    ["both, the same key", (t) => ({ headers: basicAuth(t.apiKey), body: { batch: [TRACK], writeKey: t.apiKey } })],
  ];
  test.each(accepted)("%s is accepted", async (_how, request) => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.call("POST", "/v1/batch", request(acme));
    expect(res.status).toBe(200);
    expect(res.body).toEqual(SUCCESS);
    expect(await h.count("events")).toBe(1);
  });

  type Request = { headers?: Record<string, string>; body: unknown };
  const refused: [string, (t: Tenant, h: Harness) => Request | Promise<Request>, string][] = [
    ["no key at all", () => ({ body: { batch: [TRACK] } }), "missing write key"],
    ["an unknown key", () => ({ headers: basicAuth(`tk_${"0".repeat(12)}_${"a".repeat(64)}`), body: { batch: [TRACK] } }), "invalid write key"],
    ["a key that is not trackd's shape", () => ({ headers: basicAuth("segment-write-key"), body: { batch: [TRACK] } }), "invalid write key"],
    ["the key as the password instead of the user name", (t) => ({ headers: { authorization: `Basic ${btoa(`:${t.apiKey}`)}` }, body: { batch: [TRACK] } }), "carries no write key"],
    ["a Bearer token", (t) => ({ headers: { authorization: `Bearer ${t.apiKey}` }, body: { batch: [TRACK] } }), "not HTTP Basic"],
    ["a writeKey in the body that is not a string", () => ({ body: { batch: [TRACK], writeKey: 42 } }), "writeKey in the body must be"],
    ["an unknown writeKey in the body", () => ({ body: { batch: [TRACK], writeKey: "nope" } }), "invalid write key"],
    [
      "a header key and a different body key (another app's)",
      async (t, h) => ({ headers: basicAuth(t.apiKey), body: { batch: [TRACK], writeKey: (await h.tenant("other")).apiKey } }),
      "differs",
    ],
    [
      "a key whose id is this app's key's, with another key's secret",
      async (t, h) => ({ headers: basicAuth(`${t.apiKey.slice(0, 16)}${(await h.tenant("other")).apiKey.slice(16)}`), body: { batch: [TRACK] } }),
      "invalid write key",
    ],
  ];
  test.each(refused)("%s: 401, nothing stored", async (_how, request, message) => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.call("POST", "/v1/batch", await request(acme, h));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: "UNAUTHORIZED", message: expect.stringContaining(message) } });
    expect(await stored(h)).toEqual({ events: 0, customers: 0, users: 0 });
  });

  test.each(["batch", "track", "identify", "group", "page", "screen", "alias"])("/v1/%s without a key is 401", async (route) => {
    const h = await setup();
    const res = await h.call("POST", `/v1/${route}`, { body: route === "batch" ? { batch: [TRACK] } : { userId: "u_1", event: "X" } });
    expect(res.status).toBe(401);
  });

  test("a revoked key is 401", async () => {
    const h = await setup();
    const acme = await h.tenant();
    (await h.apps.revokeKey(acme.keyId));
    expect((await segment(h).batch(acme, [TRACK])).status).toBe(401);
    expect(await h.count("events")).toBe(0);
  });

  test("a key without the ingest scope is 403, naming it", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const readOnly = (await h.apps.createKey(acme.appId, ["read"]))!;
    const res = await h.call("POST", "/v1/batch", { headers: basicAuth(readOnly.apiKey), body: { batch: [TRACK] } });
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({ code: "FORBIDDEN", message: 'this write key lacks the "ingest" scope needed here' });
    expect(await h.count("events")).toBe(0);
  });

  test("an ingest-only key is enough", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const ingestOnly = (await h.apps.createKey(acme.appId, ["ingest"]))!;
    const res = await h.call("POST", "/v1/batch", { headers: basicAuth(ingestOnly.apiKey), body: { batch: [TRACK] } });
    expect(res.status).toBe(200);
  });

  test("a wrong key in the header is refused before the body is read: 401, not 413", async () => {
    const h = await setup();
    const res = await h.call("POST", "/v1/batch", { headers: basicAuth("nope"), body: { batch: [{ ...TRACK, blob: "x".repeat(600 * 1024) }] } });
    expect(res.status).toBe(401);
  });
});

describe("tenant isolation", () => {
  test("an app's write key writes only into its app, even with the same ids and messageIds as another's", async () => {
    const h = await setup();
    const [a, b] = [await h.tenant("a"), await h.tenant("b")];
    const s = segment(h);
    const batch = (name: string) => [
      { type: "group", userId: "u_1", groupId: "acme", traits: { name }, messageId: "g1" },
      { type: "identify", userId: "u_1", traits: { name: `${name} user` }, messageId: "i1" },
      { type: "track", userId: "u_1", event: `${name} Event`, messageId: "t1" },
    ];
    expect((await s.batch(b, batch("B"))).body).toEqual(SUCCESS);
    const bBefore = await s.profile(b, "acme", "uid");
    // The same messageIds in app A are A's own messages: stored, not duplicates of B's.
    expect((await s.batch(a, batch("A"))).body).toEqual(SUCCESS);
    expect(await h.count("events")).toBe(2);

    const [aProfile, bProfile] = [await s.profile(a, "acme", "uid"), await s.profile(b, "acme", "uid")];
    expect(bProfile).toEqual(bBefore);
    expect(aProfile).toMatchObject({ data: { name: "A" }, eventCount: 1, users: [expect.objectContaining({ data: { name: "A user" } })] });
    expect(bProfile).toMatchObject({ data: { name: "B" }, eventCount: 1, users: [expect.objectContaining({ data: { name: "B user" } })] });
    expect((await s.events(a)).map((e: { event: string }) => e.event)).toEqual(["A Event"]);
  });

  test("a user grouped in another app does not route this app's track", async () => {
    const h = await setup();
    const [a, b] = [await h.tenant("a"), await h.tenant("b")];
    const s = segment(h);
    await s.batch(b, [{ type: "group", userId: "u_1", groupId: "acme" }]);
    await s.batch(a, [{ type: "track", userId: "u_1", event: "X" }, { type: "identify", userId: "u_1", traits: { plan: "pro" } }]);
    // In A, u_1 is nobody's user: a B2C customer of its own, with the traits.
    expect(await s.profile(a, "u_1", "uid")).toMatchObject({ eventCount: 1, data: { plan: "pro" } });
    expect(await s.profile(b, "acme", "uid")).toMatchObject({ eventCount: 0, users: [expect.objectContaining({ data: {} })] });
  });

  test("a write key can't read: the customer API still needs x-ck-app, and another app's id is 401", async () => {
    const h = await setup();
    const [a, b] = [await h.tenant("a"), await h.tenant("b")];
    await segment(h).batch(b, [TRACK]);
    const res = await h.call("GET", "/v1/api/customers/u_1?by=uid", { headers: { "x-ck-api-key": a.apiKey, "x-ck-app": b.appId } });
    expect(res.status).toBe(401);
  });
});
