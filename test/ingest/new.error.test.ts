import { describe, expect, test } from "bun:test";
import { T0, setup } from "../helpers";

const valid = { event: "Post Created", customerId: "cus_1" };

describe("POST /v1/api/events/new rejects bad input, names the field and stores nothing", () => {
  test.each([
    ["event missing", { customerId: "cus_1" }, "/event", "event is required"],
    ["event empty", { ...valid, event: "" }, "/event", "event must be a string of 1 to 255 characters"],
    ["event too long", { ...valid, event: "x".repeat(256) }, "/event", "1 to 255"],
    ["event not a string", { ...valid, event: 42 }, "/event", "event must be"],
    ["no customerId nor uid", { event: "Post Created" }, "/customerId", "customerId or uid is required"],
    ["customerId not a string", { ...valid, customerId: 12 }, "/customerId", "customerId must be"],
    ["uid too long", { ...valid, uid: "u".repeat(256) }, "/uid", "uid must be"],
    ["unknown top-level field", { ...valid, evnetData: {} }, "/evnetData", "evnetData is not a known field"],
    ["eventData an array", { ...valid, eventData: [1] }, "/eventData", "eventData must be a JSON object"],
    ["eventData a string", { ...valid, eventData: "x" }, "/eventData", "eventData must be a JSON object"],
    ["eventData over 32 KB", { ...valid, eventData: { blob: "x".repeat(32 * 1024) } }, "/eventData", "32 KB"],
    ["eventDate not a date", { ...valid, eventDate: "yesterday" }, "/eventDate", "YYYY-MM-DD"],
    ["eventDate impossible day", { ...valid, eventDate: "2023-02-29" }, "/eventDate", "not a calendar date"],
    ["eventDate without offset", { ...valid, eventDate: "2023-02-01T10:00:00" }, "/eventDate", "no time zone offset"],
    ["eventDate in epoch seconds", { ...valid, eventDate: 1651363200 }, "/eventDate", "epoch seconds"],
    ["eventDate a boolean", { ...valid, eventDate: true }, "/eventDate", "eventDate must be"],
    ["eventDate > 1 h ahead", { ...valid, eventDate: T0 + 61 * 60_000 }, "/eventDate", "more than 1 hour in the future"],
    ["eventDate before 2000", { ...valid, eventDate: "1999-12-31" }, "/eventDate", "before 2000-01-01"],
    ["user without uid", { ...valid, user: { data: {} } }, "/user/uid", "user.uid is required"],
    ["user with unknown field", { ...valid, user: { uid: "u", email: "x" } }, "/user/email", "not a known field"],
    ["user.data not an object", { ...valid, user: { uid: "u", data: 3 } }, "/user/data", "JSON object"],
    ["customerData an array", { ...valid, customerData: [] }, "/customerData", "JSON object"],
    ["messageId too long", { ...valid, messageId: "m".repeat(256) }, "/messageId", "messageId must be"],
    ["messageId empty", { ...valid, messageId: "" }, "/messageId", "messageId must be"],
    ["body an array", [valid], "", "body must be a JSON object"],
    ["body a number", 5, "", "body must be a JSON object"],
    ["body null", null, "", "body must be a JSON object"],
  ])("%s → 400", async (_, body, path, message) => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.post("/v1/api/events/new", acme, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    const detail = res.body.error.details.find((d: { path: string }) => d.path === path);
    expect(detail?.message).toContain(message);
    expect(res.body.error.message).toContain(message);
    expect(await h.count("events")).toBe(0);
    expect(await h.count("customers")).toBe(0);
  });

  test("every problem is reported at once", async () => {
    const h = await setup();
    const res = await h.post("/v1/api/events/new", await h.tenant(), { event: "", nope: 1, eventData: [] });
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/event", "/eventData", "/nope"]);
  });

  test.each([
    ["broken JSON", "{\"event\": "],
    ["empty body", ""],
    ["not JSON at all", "event=Post+Created"],
  ])("%s → 400 INVALID_JSON", async (_, raw) => {
    const h = await setup();
    const res = await h.call("POST", "/v1/api/events/new", { as: await h.tenant(), body: raw });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("INVALID_JSON");
    expect(await h.count("events")).toBe(0);
  });

  test("a body over 64 KB → 413 PAYLOAD_TOO_LARGE", async () => {
    const h = await setup();
    const body = JSON.stringify({ ...valid, eventData: { blob: "x".repeat(65 * 1024) } });
    const res = await h.call("POST", "/v1/api/events/new", { as: await h.tenant(), body });
    expect(res.status).toBe(413);
    expect(res.body.error).toEqual({ code: "PAYLOAD_TOO_LARGE", message: expect.stringContaining("64 KB") });
    expect(await h.count("events")).toBe(0);
  });

  test("a declared Content-Length over the limit is refused before the body is read", async () => {
    const h = await setup();
    const res = await h.call("POST", "/v1/api/events/new", {
      as: await h.tenant(),
      body: JSON.stringify(valid),
      headers: { "content-length": String(10 * 1024 * 1024) },
    });
    expect(res.status).toBe(413);
  });
});
