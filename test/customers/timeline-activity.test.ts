import { describe, expect, test } from "bun:test";
import { setup, type Harness, type Tenant } from "../helpers";

async function seed(h: Harness, acme: Tenant) {
  const send = (body: object) => h.post("/v1/api/events/new", acme, { customerId: "cus_1", ...body });
  await send({ event: "App Opened", eventDate: "2026-01-01", user: { uid: "m_1" } });
  await send({ event: "App Opened", eventDate: "2026-01-05" });
  await send({ event: "Report Exported", eventDate: "2026-01-05", user: { uid: "m_2" } });
  await send({ event: "App Opened", eventDate: "2026-01-14" });
  await h.call("POST", "/v1/api/events/client", { body: { appId: acme.appId, customerId: "cus_1", event: "Page Viewed", eventDate: "2026-01-14" } });
}

const events = (res: { body: { events: { event: string; eventDate: string }[] } }) =>
  res.body.events.map((e) => `${e.eventDate.slice(0, 10)} ${e.event}`);

describe("GET /v1/api/customers/:id/events (timeline)", () => {
  test("newest first, with filters on event, dates, B2B user and verified", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seed(h, acme);
    const get = (query: string) => h.get(`/v1/api/customers/cus_1/events${query}`, acme);
    expect(events(await get(""))).toEqual(["2026-01-14 Page Viewed", "2026-01-14 App Opened", "2026-01-05 Report Exported", "2026-01-05 App Opened", "2026-01-01 App Opened"]);
    expect(events(await get("?event=App%20Opened&from=2026-01-02"))).toEqual(["2026-01-14 App Opened", "2026-01-05 App Opened"]);
    expect(events(await get("?userUid=m_2"))).toEqual(["2026-01-05 Report Exported"]);
    expect(events(await get("?userUid=nobody"))).toEqual([]);
    expect(events(await get("?verified=false"))).toEqual(["2026-01-14 Page Viewed"]);
    expect((await get("?verified=true")).body.events).toHaveLength(4);
  });

  test("pages with a cursor until nextCursor is null", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seed(h, acme);
    const seen: string[] = [];
    let cursor = "";
    for (let page = 0; page < 10; page++) {
      const res = await h.get(`/v1/api/customers/cus_1/events?limit=2${cursor}`, acme);
      seen.push(...events(res));
      if (res.body.nextCursor === null) break;
      cursor = `&cursor=${res.body.nextCursor}`;
    }
    expect(seen).toHaveLength(5);
  });

  test("bad queries are 400 naming the field; an unknown customer is 404", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seed(h, acme);
    const bad = await h.get("/v1/api/customers/cus_1/events?verified=yes&limit=0&sort=x", acme);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["/limit", "/sort", "/verified"]);
    expect((await h.get("/v1/api/customers/cus_1/events?from=soon", acme)).body.error.details).toEqual([
      expect.objectContaining({ path: "/from" }),
    ]);
    expect((await h.get("/v1/api/customers/cus_1/events?from=2026-02-01&to=2026-01-01", acme)).body.error.details).toEqual([
      { path: "/to", message: "to must not be before from" },
    ]);
    // Shape and date problems come back together, in one answer.
    const both = await h.get("/v1/api/customers/cus_1/events?limit=0&from=soon", acme);
    expect(both.body.error.details.map((d: { path: string }) => d.path)).toEqual(["/limit", "/from"]);
    expect((await h.get("/v1/api/customers/cus_none/events", acme)).status).toBe(404);
  });

  test("another app's customer with the same id is not reachable, even with that app's cursor", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const globex = await h.tenant("globex");
    await seed(h, acme);
    expect((await h.get("/v1/api/customers/cus_1/events", globex)).status).toBe(404);
    await h.post("/v1/api/events/new", globex, { event: "Globex Only", customerId: "cus_1" });
    const page = await h.get("/v1/api/customers/cus_1/events?limit=1", acme);
    const res = await h.get(`/v1/api/customers/cus_1/events?cursor=${page.body.nextCursor}`, globex);
    expect(events(res).every((e) => e.endsWith("Globex Only"))).toBe(true);
  });
});

describe("GET /v1/api/customers/:id/activity", () => {
  test("day counts, zero-filled, over the last 30 days by default", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seed(h, acme);
    const res = await h.get("/v1/api/customers/cus_1/activity", acme);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ interval: "day", event: null, from: "2025-12-17T00:00:00.000Z", to: "2026-01-16T00:00:00.000Z", total: 5 });
    expect(res.body.series).toHaveLength(30);
    const nonZero = res.body.series.filter((p: { count: number }) => p.count > 0);
    expect(nonZero).toEqual([
      { start: "2026-01-01T00:00:00.000Z", count: 1 },
      { start: "2026-01-05T00:00:00.000Z", count: 2 },
      { start: "2026-01-14T00:00:00.000Z", count: 2 },
    ]);
  });

  test("weeks start on Monday (UTC); months on the 1st; one event name", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seed(h, acme);
    const weeks = await h.get("/v1/api/customers/cus_1/activity?interval=week&from=2025-12-29&to=2026-01-19&event=App%20Opened", acme);
    expect(weeks.body.series).toEqual([
      { start: "2025-12-29T00:00:00.000Z", count: 1 },
      { start: "2026-01-05T00:00:00.000Z", count: 1 },
      { start: "2026-01-12T00:00:00.000Z", count: 1 },
    ]);
    const months = await h.get("/v1/api/customers/cus_1/activity?interval=month&from=2025-11-01&to=2026-02-01", acme);
    expect(months.body.series).toEqual([
      { start: "2025-11-01T00:00:00.000Z", count: 0 },
      { start: "2025-12-01T00:00:00.000Z", count: 0 },
      { start: "2026-01-01T00:00:00.000Z", count: 5 },
    ]);
  });

  test("bad interval, too many buckets, unknown customer", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seed(h, acme);
    const bad = await h.get("/v1/api/customers/cus_1/activity?interval=hour", acme);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ path: "/interval", message: "interval must be day, week or month" })]);
    const huge = await h.get("/v1/api/customers/cus_1/activity?interval=day&from=2020-01-01", acme);
    expect(huge.status).toBe(400);
    expect(huge.body.error.message).toContain("more than 1000 days");
    expect((await h.get("/v1/api/customers/cus_none/activity", acme)).status).toBe(404);
  });
});
