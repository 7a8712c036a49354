// GET /v1/api/customers: bad health, status, plan and cursors are 400s naming the field.
import { describe, expect, test } from "bun:test";
import { setup } from "../helpers";
import { setHealthScore } from "./support";

describe("GET /v1/api/customers: health and billing errors", () => {
  const cases: [string, string, string][] = [
    ["health=good", "/health", "health must be one of healthy, watch, at_risk"],
    ["health=", "/health", "health must be one of healthy, watch, at_risk"],
    ["status=overdue", "/status", "status must be one of active, past_due, trialing, unpaid, paused, incomplete, canceled, incomplete_expired"],
    ["plan=", "/plan", "plan must be 1 to 255 characters"],
    [`plan=${"p".repeat(256)}`, "/plan", "plan must be 1 to 255 characters"],
    ["sort=score", "/sort", "sort must be one of lastSeen, -lastSeen, firstSeen, -firstSeen, eventCount, -eventCount, customerId, -customerId, health, -health, mrr, -mrr"],
  ];
  test.each(cases)("%s → 400 naming %s", async (query, path, message) => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.get(`/v1/api/customers?${query}`, acme);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(res.body.error.details).toEqual([{ path, message }]);
  });

  test("a health cursor is refused by the mrr sort, and one whose value isn't a number is refused", async () => {
    const h = await setup();
    const acme = await h.tenant();
    for (const id of ["cus_1", "cus_2"]) {
      await h.post("/v1/api/events/new", acme, { event: "App Opened", customerId: id });
      await setHealthScore(h, acme.appId, id, 50);
    }
    const { body } = await h.get("/v1/api/customers?sort=health&limit=1", acme);
    const wrongSort = await h.get(`/v1/api/customers?sort=-mrr&cursor=${body.nextCursor}`, acme);
    expect(wrongSort.status).toBe(400);
    expect(wrongSort.body.error.details).toEqual([{ path: "/cursor", message: 'cursor was made for sort "health", not -mrr' }]);
    const forged = Buffer.from(JSON.stringify(["health", "50", 1])).toString("base64url");
    const bad = await h.get(`/v1/api/customers?sort=health&cursor=${forged}`, acme);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ path: "/cursor", message: "cursor is not valid" }]);
  });
});
