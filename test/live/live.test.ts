import { describe, expect, test } from "bun:test";
import { createHttpApp } from "../../src/app";
import { LiveHub, type LiveItem } from "../../src/live/service";
import { setup } from "../helpers";
import { basicAuth } from "../segment/support";

const event = (name: string, customerId = "cus_1"): LiveItem => ({
  type: "event", id: `evt_${name}`, event: name, customerId, uid: null, email: null, user: null, source: "server", verified: true, eventDate: "2026-01-01T00:00:00.000Z", receivedAt: "2026-01-01T00:00:00.000Z",
});

describe("the live hub", () => {
  test("a subscriber that falls behind keeps the newest items and is told how many it lost", async () => {
    const hub = new LiveHub({ maxSubscribers: 10, bufferSize: 3 });
    const sub = hub.subscribe("app_1", {}, () => {})!;
    hub.publish("app_1", ["A", "B", "C", "D", "E"].map((n) => event(n)));
    const { items, dropped } = sub.take();
    expect(items.map((i) => (JSON.parse(i) as { event: string }).event)).toEqual(["C", "D", "E"]);
    expect(dropped).toBe(2);
    expect(sub.take()).toEqual({ items: [], dropped: 0 });
  });

  test("streams are capped, and closing one frees its place", async () => {
    const hub = new LiveHub({ maxSubscribers: 2, bufferSize: 3 });
    const a = hub.subscribe("app_1", {}, () => {})!;
    hub.subscribe("app_2", {}, () => {});
    expect(hub.subscribe("app_1", {}, () => {})).toBeNull();
    hub.unsubscribe(a);
    hub.unsubscribe(a); // twice is harmless
    expect(hub.subscribers).toBe(1);
    expect(hub.subscribe("app_1", {}, () => {})).not.toBeNull();
  });

  test("filters by event name and customer; other apps' items never arrive", async () => {
    const hub = new LiveHub();
    const byEvent = hub.subscribe("app_1", { event: "B" }, () => {})!;
    const byCustomer = hub.subscribe("app_1", { customerId: "cus_2" }, () => {})!;
    hub.publish("app_1", [event("A"), event("B"), event("A", "cus_2")]);
    hub.publish("app_2", [event("B", "cus_2")]);
    expect(byEvent.take().items.map((i) => JSON.parse(i).id)).toEqual(["evt_B"]);
    expect(byCustomer.take().items.map((i) => JSON.parse(i).id)).toEqual(["evt_A"]);
  });
});

/** Reads SSE frames from a stream until `count` data frames (or dropped notices) have arrived. */
async function frames(reader: { read(): Promise<{ value?: Uint8Array; done: boolean }> }, count: number): Promise<string[]> {
  const decoder = new TextDecoder();
  const out: string[] = [];
  let text = "";
  while (out.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
    let end: number;
    while ((end = text.indexOf("\n\n")) >= 0) {
      const frame = text.slice(0, end);
      text = text.slice(end + 2);
      if (!frame.startsWith(":")) out.push(frame);
    }
  }
  return out;
}

describe("GET /v1/api/live", () => {
  test("streams committed events and rejected requests of this app only, and ends its subscription on abort", async () => {
    const h = await setup();
    const hub = new LiveHub();
    const app = createHttpApp({ store: h.store, clock: () => h.clock.now, live: hub });
    const acme = await h.tenant();
    const other = await h.tenant("other");
    const abort = new AbortController();
    const response = await app.handle(new Request("http://localhost/v1/api/live", { headers: acme.headers, signal: abort.signal }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/event-stream");
    const reader = response.body!.getReader();
    expect(hub.subscribers).toBe(1);

    const post = (tenant: typeof acme, body: unknown) =>
      app.handle(new Request("http://localhost/v1/api/events/new", { method: "POST", headers: { ...tenant.headers, "content-type": "application/json" }, body: JSON.stringify(body) }));
    await post(other, { event: "Elsewhere", customerId: "cus_x" });
    const stored = await post(acme, { event: "Post Created", customerId: "cus_1", user: { uid: "u_1" }, messageId: "m1" });
    await post(acme, { event: "Post Created", customerId: "cus_1", messageId: "m1" }); // a duplicate stores nothing: not shown
    await post(acme, { event: "Post Created", customerId: "cus_1", eventDate: 1700000000 }); // epoch seconds: rejected
    await app.handle(new Request("http://localhost/v1/api/events/new", { method: "POST", headers: { "x-ck-app": acme.appId, "x-ck-api-key": "tk_nope" }, body: "{}" }));

    await app.handle(new Request("http://localhost/v1/api/events/client", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ appId: acme.appId, event: "Clicked" }) }));

    const [first, second, third, fourth] = await frames(reader, 4);
    const data = (frame: string | undefined) => JSON.parse(frame!.replace(/^data: /, ""));
    expect(data(first)).toMatchObject({ type: "event", id: ((await stored.json()) as { id: string }).id, event: "Post Created", customerId: "cus_1", user: "u_1", source: "server", verified: true });
    expect(data(second)).toMatchObject({ type: "rejected", status: 400, code: "VALIDATION_FAILED", path: "/v1/api/events/new", details: [{ path: "/eventDate" }] });
    expect(data(third)).toMatchObject({ type: "rejected", status: 401, code: "UNAUTHORIZED" });
    expect(data(fourth)).toMatchObject({ type: "rejected", status: 400, path: "/v1/api/events/client", details: [{ path: "/customerId" }] });

    abort.abort();
    await reader.cancel().catch(() => {});
    expect(hub.subscribers).toBe(0);
  });

  test("Segment messages: the stored ones as events of source segment, each rejected one with its code", async () => {
    const h = await setup();
    const hub = new LiveHub();
    const app = createHttpApp({ store: h.store, clock: () => h.clock.now, live: hub });
    const acme = await h.tenant();
    const response = await app.handle(new Request("http://localhost/v1/api/live", { headers: acme.headers }));
    const reader = response.body!.getReader();
    const batch = [
      { type: "track", userId: "u_1", event: "Report Exported" },
      { type: "track", anonymousId: "a_1", event: "Report Exported" },
    ];
    const sent = await app.handle(new Request("http://localhost/v1/batch", { method: "POST", headers: basicAuth(acme.apiKey), body: JSON.stringify({ batch }) }));
    expect(sent.status).toBe(200);

    const [stored, rejected] = await frames(reader, 2);
    const data = (frame: string | undefined) => JSON.parse(frame!.replace(/^data: /, ""));
    expect(data(stored)).toMatchObject({ type: "event", event: "Report Exported", uid: "u_1", source: "segment" });
    expect(data(rejected)).toMatchObject({ type: "rejected", status: 200, path: "/v1/batch", code: "anonymous_only", details: [{ path: "/batch/1/userId" }] });
    await reader.cancel().catch(() => {});
  });

  test("past the stream limit: 503 with Retry-After", async () => {
    const h = await setup();
    const app = createHttpApp({ store: h.store, clock: () => h.clock.now, live: new LiveHub({ maxSubscribers: 1, bufferSize: 10 }) });
    const acme = await h.tenant();
    expect((await app.handle(new Request("http://localhost/v1/api/live", { headers: acme.headers }))).status).toBe(200);
    const refused = await app.handle(new Request("http://localhost/v1/api/live", { headers: acme.headers }));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("30");
  });

  test("needs the read scope", async () => {
    const h = await setup();
    const acme = await h.tenant();
    expect((await h.call("GET", "/v1/api/live", { headers: { "x-ck-app": acme.appId } })).status).toBe(401);
  });
});
