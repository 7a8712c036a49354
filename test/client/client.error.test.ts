import { describe, expect, test } from "bun:test";
import { setup } from "../helpers";
import { PAGE_ORIGIN, sendClient, sign } from "./support";

async function withTenant() {
  const h = await setup();
  return { h, acme: await h.tenant() };
}

describe("POST /v1/api/events/client: refused requests store nothing and say why", () => {
  const cases: [string, (appId: string) => unknown, string, string][] = [
    ["no event name", (appId) => ({ appId, customerId: "cus_1" }), "/event", "is required"],
    ["neither customerId nor customerEmail", (appId) => ({ appId, event: "Page Viewed" }), "/customerId", "customerId or customerEmail is required"],
    ["customerData", (appId) => ({ appId, customerId: "c", event: "A Done", customerData: { plan: "pro" } }), "/customerData", "not accepted from the browser"],
    ["user", (appId) => ({ appId, customerId: "c", event: "A Done", user: { uid: "u", data: {} } }), "/user", "not accepted from the browser"],
    ["an unknown field", (appId) => ({ appId, customerId: "c", event: "A Done", colour: "red" }), "/colour", "is not a known field"],
    ["a malformed authHash", (appId) => ({ appId, customerId: "c", event: "A Done", authHash: "abc" }), "/authHash", "64 hex characters"],
    ["a malformed email", (appId) => ({ appId, customerEmail: "jane", event: "A Done" }), "/customerEmail", "must be an email address"],
    ["eventData that is not an object", (appId) => ({ appId, customerId: "c", event: "A Done", eventData: [1] }), "/eventData", "must be a JSON object"],
    ["a date before 2000", (appId) => ({ appId, customerId: "c", event: "A Done", eventDate: "1999-12-31" }), "/eventDate", "before 2000-01-01"],
    ["an unreadable date", (appId) => ({ appId, customerId: "c", event: "A Done", eventDate: "yesterday" }), "/eventDate", "eventDate"],
  ];
  for (const [name, body, path, message] of cases) {
    test(`${name}: 400 VALIDATION_FAILED at ${path}`, async () => {
      const { h, acme } = await withTenant();
      const res = await sendClient(h, body(acme.appId));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
      expect(res.body.error.details).toContainEqual(expect.objectContaining({ path, message: expect.stringContaining(message) }));
      expect(await h.count("events")).toBe(0);
      expect(await h.count("customers")).toBe(0);
    });
  }

  test("one bad event in a batch refuses the batch, naming its index and field", async () => {
    const { h, acme } = await withTenant();
    const batch = [
      { appId: acme.appId, customerId: "c", event: "A Done" },
      { appId: acme.appId, customerId: "c" },
      { appId: acme.appId, customerId: "c", event: "B Done", customerData: {} },
    ];
    const res = await sendClient(h, batch);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe("2 of 3 events are invalid; nothing was stored");
    expect(res.body.error.details).toEqual([
      expect.objectContaining({ index: 1, field: "event", path: "/1/event" }),
      expect.objectContaining({ index: 2, field: "customerData", path: "/2/customerData" }),
    ]);
    expect(await h.count("events")).toBe(0);
  });

  test("a batch of more than 100 events, or none, is refused", async () => {
    const { h, acme } = await withTenant();
    const event = { appId: acme.appId, customerId: "c", event: "A Done" };
    for (const batch of [Array.from({ length: 101 }, () => event), []]) {
      const res = await sendClient(h, batch);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain("accepts 1 to 100 events per request");
    }
    expect(await h.count("events")).toBe(0);
  });

  test("events naming two apps in one request are refused", async () => {
    const { h, acme } = await withTenant();
    const other = await h.tenant("other");
    const res = await sendClient(h, [
      { appId: acme.appId, customerId: "c", event: "A Done" },
      { appId: other.appId, customerId: "c", event: "A Done" },
    ]);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ index: 1, field: "appId" })]);
    expect(await h.count("events")).toBe(0);
  });

  test("no appId anywhere: 401", async () => {
    const { h } = await withTenant();
    const res = await sendClient(h, { customerId: "c", event: "A Done" });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain("missing appId");
  });

  test("an unknown appId: 401", async () => {
    const { h } = await withTenant();
    const res = await sendClient(h, { appId: "app_nope", customerId: "c", event: "A Done" });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: "UNAUTHORIZED", message: "unknown appId app_nope" });
  });

  test("broken JSON and an empty body: 400 INVALID_JSON", async () => {
    const { h } = await withTenant();
    for (const body of ["{not json", ""]) {
      const res = await h.call("POST", "/v1/api/events/client", { body, headers: { "content-type": "text/plain" } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("INVALID_JSON");
    }
  });

  test("a body over 64 KB: 413, nothing stored", async () => {
    const { h, acme } = await withTenant();
    const padding = "x".repeat(30_000);
    const batch = [1, 2, 3].map((i) => ({ appId: acme.appId, customerId: "c", event: "A Done", eventData: { padding, i } }));
    const res = await sendClient(h, batch);
    expect(res.status).toBe(413);
    expect(res.body.error.message).toContain("64 KB");
    expect(await h.count("events")).toBe(0);
  });

  test("errors carry the CORS grant, so the snippet can read them and stop retrying", async () => {
    const { h, acme } = await withTenant();
    for (const body of [{ appId: acme.appId, customerId: "c" }, { appId: "app_nope", customerId: "c", event: "A Done" }]) {
      const res = await sendClient(h, body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.headers.get("access-control-allow-origin")).toBe(PAGE_ORIGIN);
    }
  });

  test("a signed event whose signature is fine still needs a valid event", async () => {
    const { h, acme } = await withTenant();
    const res = await sendClient(h, { appId: acme.appId, customerId: "c", authHash: sign(acme, "c"), event: "" });
    expect(res.status).toBe(400);
    expect(await h.count("events")).toBe(0);
  });
});
