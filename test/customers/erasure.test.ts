import { describe, expect, test } from "bun:test";
import { setup, type Harness, type Tenant } from "../helpers";
import { deliver, enableWebhook, invoiceObject, stripeEvent, subscriptionObject } from "../support/stripe";

async function seed(h: Harness, tenant: Tenant) {
  await h.post("/v1/api/events/customer-update", tenant, { customerId: "cus_1", uid: "u_1", customerEmail: "ada@example.com", customerData: { plan: "pro" } });
  await h.post("/v1/api/events/new", tenant, { event: "App Opened", customerId: "cus_1", user: { uid: "m_1" }, messageId: "m1" });
  await h.post("/v1/api/events/bulk", tenant, [
    { event: "App Opened", customerId: "cus_1", eventDate: "2025-03-01" },
    { event: "Report Exported", customerId: "cus_1", user: { uid: "m_2" } },
    { event: "App Opened", customerId: "cus_2" },
  ]);
}

const del = (h: Harness, tenant: Tenant, path = "/v1/api/customers/cus_1") => h.call("DELETE", path, { as: tenant });

describe("DELETE /v1/api/customers/:customerId (erasure)", () => {
  test("removes the customer, its users, events and counts, and says what it removed", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seed(h, acme);
    const res = await del(h, acme);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, removed: { customer: { customerId: "cus_1", uid: "u_1", email: "ada@example.com" }, events: 3, users: 2, subscriptions: 0 } });
    expect(await h.count("customers", "customer_id = 'cus_1'")).toBe(0);
    expect(await h.count("users")).toBe(0);
    expect(await h.count("events")).toBe(1);
    const leftovers = await h.sql.get(
      `select (select count(*) from customer_event_stats) + (select count(*) from customer_daily_counts) as n,
              (select sum(count) from app_daily_counts) as app`,
    );
    expect(leftovers).toEqual({ n: 2, app: 1 }); // only cus_2's one event is still counted
    expect(await h.sql.all("select event, count from app_event_stats")).toEqual([{ event: "App Opened", count: 1 }]);
  });

  test("removes its subscriptions and billing history too, and only its own", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await enableWebhook(h, acme.appId);
    await seed(h, acme);
    for (const customer of ["cus_1", "cus_2"]) {
      const subscription = subscriptionObject({ id: `sub_${customer}`, customer, items: [{ id: "price_pro", unitAmount: 4900 }] });
      await deliver(h, acme.appId, stripeEvent("customer.subscription.created", subscription, { created: h.clock.now }));
      await deliver(h, acme.appId, stripeEvent("invoice.paid", invoiceObject({ customer, subscription: subscription.id, paid: true, amount: 4900 }), { created: h.clock.now }));
    }
    expect((await del(h, acme)).body.removed).toMatchObject({ subscriptions: 1 });
    expect(await h.sql.all("select subscription_id from subscriptions")).toEqual([{ subscription_id: "sub_cus_2" }]);
    expect(await h.sql.get("select count(*) as n from billing_events")).toEqual({ n: 2 });
  });

  test("afterwards no route returns anything of it", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seed(h, acme);
    await del(h, acme);
    for (const path of [
      "/v1/api/customers/cus_1",
      "/v1/api/customers/u_1?by=uid",
      "/v1/api/customers/ada%40example.com?by=email",
      "/v1/api/customers/cus_1/events",
      "/v1/api/customers/cus_1/activity",
      "/v1/api/customers/cus_1/timeline",
      "/v1/api/customers/cus_1/export",
      "/v1/api/export?customerId=cus_1",
    ]) {
      expect((await h.get(path, acme)).status).toBe(404);
    }
    const list = (await h.get("/v1/api/customers", acme)).body.customers;
    expect(list.map((c: { customerId: string }) => c.customerId)).toEqual(["cus_2"]);
    expect((await h.get("/v1/api/customers?q=ada", acme)).body.customers).toEqual([]);
    const listed = (await h.get("/v1/api/events", acme)).body.events;
    expect(listed.map((e: { customerId: string }) => e.customerId)).toEqual(["cus_2"]);
    expect((await del(h, acme)).status).toBe(404);
  });

  test("by uid too; a messageId of an erased event can be used again", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seed(h, acme);
    expect((await del(h, acme, "/v1/api/customers/u_1?by=uid")).status).toBe(200);
    const again = await h.post("/v1/api/events/new", acme, { event: "App Opened", customerId: "cus_1", messageId: "m1" });
    expect(again.status).toBe(201);
  });

  test("needs the admin scope: a read-and-ingest key gets 403 and nothing is removed", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await seed(h, acme);
    const key = (await h.apps.createKey(acme.appId, ["ingest", "read"]))!;
    const res = await del(h, { ...acme, headers: { "x-ck-api-key": key.apiKey, "x-ck-app": acme.appId } });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('"admin" scope');
    expect(await h.count("events")).toBe(4);
  });

  test("one app's key cannot erase another app's customer with the same id", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const globex = await h.tenant("globex");
    await seed(h, acme);
    await seed(h, globex);
    expect((await del(h, globex)).status).toBe(200);
    expect((await h.get("/v1/api/customers/cus_1", acme)).body.eventCount).toBe(3);
    expect(await h.count("events")).toBe(4 + 1);
  });
});
