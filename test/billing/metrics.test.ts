// GET /v1/api/metrics/billing: MRR per currency, by status, at risk, and movements per interval.
import { describe, expect, test } from "bun:test";
import { setup, type Harness, type Tenant } from "../helpers";

const NOW = Date.UTC(2026, 2, 20);

function upsert(h: Harness, as: Tenant, fields: { id: string; customer: string; status?: string; amount: number; quantity?: number; currency?: string; at: string }) {
  return h.post("/v1/api/subscriptions", as, {
    subscriptionId: fields.id,
    customerId: fields.customer,
    status: fields.status ?? "active",
    currency: fields.currency ?? "usd",
    items: [{ priceId: "price_1", unitAmount: fields.amount, quantity: fields.quantity ?? 1, interval: "month" }],
    updatedAt: fields.at,
  });
}

describe("GET /v1/api/metrics/billing", () => {
  test("MRR now, by status, at risk and each month's movements, per currency", async () => {
    const h = await setup({ now: NOW });
    const acme = await h.tenant();
    await upsert(h, acme, { id: "s1", customer: "cus_1", amount: 1000, at: "2026-01-05" }); // new +1000 (Jan)
    await upsert(h, acme, { id: "s2", customer: "cus_2", amount: 3000, at: "2026-01-20" }); // new +3000 (Jan)
    await upsert(h, acme, { id: "s1", customer: "cus_1", amount: 1000, quantity: 3, at: "2026-02-03" }); // expansion +2000 (Feb)
    await upsert(h, acme, { id: "s2", customer: "cus_2", amount: 2000, status: "past_due", at: "2026-02-10" }); // contraction -1000 (Feb)
    await upsert(h, acme, { id: "s3", customer: "cus_3", amount: 500, at: "2026-02-11" }); // new +500 (Feb)
    await upsert(h, acme, { id: "s3", customer: "cus_3", amount: 500, status: "canceled", at: "2026-03-01" }); // churn -500 (Mar)
    await upsert(h, acme, { id: "s4", customer: "cus_4", amount: 900, status: "trialing", at: "2026-03-02" }); // no MRR yet
    await upsert(h, acme, { id: "e1", customer: "cus_eu", amount: 7000, currency: "EUR", at: "2026-03-03" }); // new +7000 EUR
    // The scoring pass writes health_score; set here so the at-risk figure has something to count.
    await h.sql.run("update customers set health_score = 20 where customer_id in ('cus_2', 'cus_4')");

    const res = await h.get("/v1/api/metrics/billing?interval=month&from=2026-01-01&to=2026-04-01", acme);
    expect(res.status).toBe(200);
    expect(res.body.interval).toBe("month");
    const [eur, usd] = res.body.currencies;
    expect(usd).toEqual({
      currency: "usd",
      mrr: 5000,
      payingCustomers: 2,
      byStatus: [
        { status: "active", customers: 1, mrr: 3000 },
        { status: "past_due", customers: 1, mrr: 2000 },
        { status: "canceled", customers: 1, mrr: 0 },
        { status: "trialing", customers: 1, mrr: 0 },
      ],
      atRisk: { customers: 1, mrr: 2000 }, // cus_4 is at risk too, but a trial is no MRR
      movements: { new: 4500, expansion: 2000, contraction: -1000, churn: -500, reactivation: 0, net: 5000 },
      series: [
        { start: "2026-01-01T00:00:00.000Z", new: 4000, expansion: 0, contraction: 0, churn: 0, reactivation: 0, net: 4000 },
        { start: "2026-02-01T00:00:00.000Z", new: 500, expansion: 2000, contraction: -1000, churn: 0, reactivation: 0, net: 1500 },
        { start: "2026-03-01T00:00:00.000Z", new: 0, expansion: 0, contraction: 0, churn: -500, reactivation: 0, net: -500 },
      ],
    });
    expect(eur).toMatchObject({ currency: "eur", mrr: 7000, movements: { new: 7000, net: 7000 } });
    // The net of every movement ever is the MRR now.
    expect(usd.movements.net).toBe(usd.mrr);
  });

  test("defaults to the last 12 months; an app without billing has no currencies", async () => {
    const h = await setup({ now: NOW });
    const acme = await h.tenant();
    const res = await h.get("/v1/api/metrics/billing", acme);
    expect(res.body).toEqual({ interval: "month", from: "2025-04-01T00:00:00.000Z", to: "2026-04-01T00:00:00.000Z", currencies: [] });
  });

  test("bad parameters are 400 naming them", async () => {
    const h = await setup({ now: NOW });
    const acme = await h.tenant();
    const res = await h.get("/v1/api/metrics/billing?interval=year&from=yesterday", acme);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(["/interval", "/from"]);
  });

  test("another app's billing is not counted", async () => {
    const h = await setup({ now: NOW });
    const acme = await h.tenant("acme");
    const globex = await h.tenant("globex");
    await upsert(h, acme, { id: "s1", customer: "cus_1", amount: 1000, at: "2026-03-01" });
    expect((await h.get("/v1/api/metrics/billing", globex)).body.currencies).toEqual([]);
  });
});
