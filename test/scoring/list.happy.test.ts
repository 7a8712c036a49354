// GET /v1/api/customers by health and billing: sorts health/mrr, filters health, status, plan.
import { describe, expect, test } from "bun:test";
import { setup, type Harness, type Tenant } from "../helpers";
import { setBilling, setHealthScore } from "./support";

interface Row {
  customerId: string;
}

/** Scores on each side of the grade boundaries; billing as billing keeps it on the row. */
const CUSTOMERS: [id: string, score: number | null, billing: { mrr: number; status: string; plan: string } | null][] = [
  ["cus_a", 85, { mrr: 9900, status: "active", plan: "price_team" }],
  ["cus_b", 70, { mrr: 4900, status: "past_due", plan: "price_pro" }],
  ["cus_c", 69, null],
  ["cus_d", 40, { mrr: 0, status: "trialing", plan: "price_pro" }],
  ["cus_e", 39, { mrr: 4900, status: "active", plan: "price_pro" }],
  ["cus_f", null, { mrr: 19900, status: "active", plan: "price_enterprise" }],
];

async function fixture(h: Harness, tenant: Tenant) {
  for (const [id, score, billing] of CUSTOMERS) {
    expect((await h.post("/v1/api/events/new", tenant, { event: "App Opened", customerId: id })).status).toBe(201);
    await setHealthScore(h, tenant.appId, id, score);
    if (billing) await setBilling(h, tenant.appId, id, billing);
  }
}

async function ids(h: Harness, tenant: Tenant, query: string, limit = 50): Promise<string[]> {
  const found: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await h.get(`/v1/api/customers?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`, tenant);
    expect(res.status).toBe(200);
    found.push(...res.body.customers.map((row: Row) => row.customerId));
    cursor = res.body.nextCursor;
  } while (cursor);
  return found;
}

describe("GET /v1/api/customers: health and billing", () => {
  test("each row carries its stored health and its billing summary", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    const { body } = await h.get("/v1/api/customers?sort=customerId", acme);
    expect(body.customers[0]).toMatchObject({
      customerId: "cus_a",
      health: { score: 85, grade: "healthy" },
      mrr: 9900,
      currency: "usd",
      billingStatus: "active",
      plan: "price_team",
    });
    expect(body.customers[2]).toMatchObject({ customerId: "cus_c", health: { score: 69, grade: "watch" }, mrr: null, currency: null, billingStatus: null, plan: null });
    expect(body.customers[5]).toMatchObject({ customerId: "cus_f", health: null });
  });

  const sorts: Record<string, string[]> = {
    health: ["cus_e", "cus_d", "cus_c", "cus_b", "cus_a", "cus_f"],
    "-health": ["cus_a", "cus_b", "cus_c", "cus_d", "cus_e", "cus_f"],
    // Ties (4900) by creation order, in the sort's direction; no billing comes last.
    mrr: ["cus_d", "cus_b", "cus_e", "cus_a", "cus_f", "cus_c"],
    "-mrr": ["cus_f", "cus_a", "cus_e", "cus_b", "cus_d", "cus_c"],
  };
  test.each(Object.entries(sorts))("sort=%s, unscored or unbilled last, walked 1, 2 and 4 rows at a time", async (sort, expected) => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    for (const limit of [1, 2, 4]) expect(await ids(h, acme, `sort=${sort}`, limit)).toEqual(expected);
  });

  const filters: [string, string[]][] = [
    ["health=healthy", ["cus_a", "cus_b"]],
    ["health=watch", ["cus_c", "cus_d"]],
    ["health=at_risk", ["cus_e"]],
    ["status=active", ["cus_a", "cus_e", "cus_f"]],
    ["status=past_due", ["cus_b"]],
    ["status=unpaid", []],
    ["plan=price_pro", ["cus_b", "cus_d", "cus_e"]],
    ["plan=price_none", []],
    ["plan=price_pro&health=watch", ["cus_d"]],
    ["status=active&health=at_risk", ["cus_e"]],
  ];
  test.each(filters)("%s", async (query, expected) => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    expect(await ids(h, acme, `${query}&sort=customerId`)).toEqual(expected);
  });

  test("filters combine with another sort and pagination: active customers by MRR, at risk first", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await fixture(h, acme);
    expect(await ids(h, acme, "status=active&sort=-mrr", 1)).toEqual(["cus_f", "cus_a", "cus_e"]);
    expect(await ids(h, acme, "plan=price_pro&sort=health", 1)).toEqual(["cus_e", "cus_d", "cus_b"]);
  });

  test("a grade few customers are in is found whatever the sort", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const ids60 = Array.from({ length: 60 }, (_, i) => `cus_${String(i).padStart(2, "0")}`);
    await h.post("/v1/api/events/bulk", acme, ids60.map((customerId) => ({ event: "App Opened", customerId })));
    for (const [i, id] of ids60.entries()) await setHealthScore(h, acme.appId, id, i === 42 ? 12 : 80);
    for (const sort of ["customerId", "-mrr", "-lastSeen", "health"]) expect(await ids(h, acme, `health=at_risk&sort=${sort}`)).toEqual(["cus_42"]);
    expect((await ids(h, acme, "health=healthy&sort=-customerId", 7)).slice(0, 3)).toEqual(["cus_59", "cus_58", "cus_57"]);
  });

  test("another app's scores and billing never show up", async () => {
    const h = await setup();
    const acme = await h.tenant("acme");
    const other = await h.tenant("other");
    await fixture(h, acme);
    await h.post("/v1/api/events/new", other, { event: "App Opened", customerId: "cus_z" });
    for (const query of ["health=healthy", "status=active", "plan=price_pro", "sort=-mrr", "sort=health"]) {
      expect(await ids(h, other, query)).toEqual(query.startsWith("sort") ? ["cus_z"] : []);
    }
  });
});
