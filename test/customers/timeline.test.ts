// GET /v1/api/customers/:id/timeline: product events and billing changes in one newest-first
// stream, paged with one cursor.
import { describe, expect, test } from "bun:test";
import { setup, type Harness, type Tenant } from "../helpers";

const at = (day: number, hour = 0) => Date.UTC(2026, 0, day, hour);

function subscription(h: Harness, as: Tenant, quantity: number, updatedAt: number) {
  return h.post("/v1/api/subscriptions", as, {
    subscriptionId: "sub_1",
    customerId: "cus_1",
    status: "active",
    currency: "usd",
    items: [{ priceId: "price_pro", unitAmount: 1000, quantity, interval: "month" }],
    updatedAt,
  });
}

async function seed() {
  const h = await setup({ now: at(20) });
  const acme = await h.tenant();
  await h.post("/v1/api/events/bulk", acme, [
    { event: "Signed Up", customerId: "cus_1", eventDate: at(1) },
    { event: "Report Created", customerId: "cus_1", eventDate: at(3) },
    { event: "Seat Added", customerId: "cus_1", eventDate: at(5) }, // same millisecond as the expansion
    { event: "Report Created", customerId: "cus_1", eventDate: at(8) },
    { event: "Report Created", customerId: "cus_other", eventDate: at(4) },
  ]);
  await subscription(h, acme, 1, at(2));
  await subscription(h, acme, 3, at(5));
  return { h, acme };
}

const describeItem = (item: { type: string; event?: { event: string }; billing?: { kind: string; movement: string | null } }) =>
  item.type === "event" ? item.event!.event : `${item.billing!.kind}/${item.billing!.movement}`;

describe("GET /v1/api/customers/:id/timeline", () => {
  test("interleaves events and billing changes, newest first; events first at the same millisecond", async () => {
    const { h, acme } = await seed();
    const res = await h.get("/v1/api/customers/cus_1/timeline", acme);
    expect(res.status).toBe(200);
    expect(res.body.items.map(describeItem)).toEqual([
      "Report Created",
      "Seat Added",
      "subscription_updated/expansion",
      "Report Created",
      "subscription_created/new",
      "Signed Up",
    ]);
    expect(res.body.items[2]).toMatchObject({ type: "billing", at: "2026-01-05T00:00:00.000Z", billing: { mrrBefore: 1000, mrrAfter: 3000 } });
    expect(res.body.items[1]).toMatchObject({ type: "event", at: "2026-01-05T00:00:00.000Z", event: { customerId: "cus_1" } });
    expect(res.body.nextCursor).toBeNull();
  });

  test("pages of any size walk the same sequence without gaps or repeats", async () => {
    const { h, acme } = await seed();
    const all = (await h.get("/v1/api/customers/cus_1/timeline", acme)).body.items.map(describeItem);
    for (const limit of [1, 2, 4]) {
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: never[]; nextCursor: string | null } = (await h.get(`/v1/api/customers/cus_1/timeline?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`, acme)).body;
        expect(page.items.length).toBeLessThanOrEqual(limit);
        walked.push(...page.items.map(describeItem));
        cursor = page.nextCursor;
      } while (cursor);
      expect(walked).toEqual(all);
    }
  });

  test("from and to bound both kinds", async () => {
    const { h, acme } = await seed();
    const res = await h.get("/v1/api/customers/cus_1/timeline?from=2026-01-02&to=2026-01-05", acme);
    expect(res.body.items.map(describeItem)).toEqual(["Report Created", "subscription_created/new"]);
  });

  test.each([
    ["kind=billing", ["subscription_updated/expansion", "subscription_created/new"]],
    ["kind=event", ["Report Created", "Seat Added", "Report Created", "Signed Up"]],
    ["event=Report%20Created", ["Report Created", "Report Created"]],
    ["kind=event&event=Seat%20Added", ["Seat Added"]],
  ])("%s narrows the timeline, pages included", async (filter, expected) => {
    const { h, acme } = await seed();
    expect((await h.get(`/v1/api/customers/cus_1/timeline?${filter}`, acme)).body.items.map(describeItem)).toEqual(expected);
    const first = (await h.get(`/v1/api/customers/cus_1/timeline?${filter}&limit=1`, acme)).body;
    const second = first.nextCursor ? (await h.get(`/v1/api/customers/cus_1/timeline?${filter}&limit=1&cursor=${first.nextCursor}`, acme)).body.items : [];
    expect([...first.items, ...second].map(describeItem)).toEqual(expected.slice(0, 2));
  });

  test.each([
    ["kind=refund", "/kind"],
    ["kind=billing&event=Seat%20Added", "/event"],
  ])("%s is 400 naming %s", async (filter, path) => {
    const { h, acme } = await seed();
    const res = await h.get(`/v1/api/customers/cus_1/timeline?${filter}`, acme);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  test("a bad cursor or date is 400 naming it; an unknown customer 404", async () => {
    const { h, acme } = await seed();
    const bad = await h.get("/v1/api/customers/cus_1/timeline?cursor=nope&from=someday", acme);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(["/from"]);
    const badCursor = await h.get("/v1/api/customers/cus_1/timeline?cursor=nope", acme);
    expect(badCursor.body.error.details).toEqual([{ path: "/cursor", message: "cursor is not valid" }]);
    expect((await h.get("/v1/api/customers/cus_nobody/timeline", acme)).status).toBe(404);
  });
});
