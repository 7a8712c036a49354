// How customerId and uid find, link and (never silently) merge customers.
import { describe, expect, test } from "bun:test";
import { setup } from "../helpers";

const NEW = "/v1/api/events/new";

describe("identity", () => {
  test("an event carrying both ids links them: later events by either reach one customer", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post(NEW, acme, { event: "Signed Up", uid: "user_1" });
    await h.post(NEW, acme, { event: "Plan Chosen", uid: "user_1", customerId: "cus_1" });
    await h.post(NEW, acme, { event: "Invoice Paid", customerId: "cus_1" });
    await h.post(NEW, acme, { event: "App Opened", uid: "user_1" });
    expect(await h.count("customers")).toBe(1);
    const byUid = (await h.get("/v1/api/customers/user_1?by=uid", acme)).body;
    expect(byUid).toMatchObject({ customerId: "cus_1", uid: "user_1", eventCount: 4 });
  });

  test("a customer known by customerId gains a uid", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post(NEW, acme, { event: "Invoice Paid", customerId: "cus_1" });
    await h.post(NEW, acme, { event: "App Opened", customerId: "cus_1", uid: "user_1" });
    expect((await h.get("/v1/api/customers/user_1?by=uid", acme)).body.customerId).toBe("cus_1");
  });

  test("ids pointing at two existing customers: customerId wins, nothing merges, caller is warned", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post(NEW, acme, { event: "A Done", customerId: "cus_1" });
    await h.post(NEW, acme, { event: "A Done", uid: "user_2" });
    const res = await h.post(NEW, acme, { event: "B Done", customerId: "cus_1", uid: "user_2" });
    expect(res.status).toBe(201);
    expect(res.body.warnings).toEqual([{ path: "/uid", message: expect.stringContaining("not merged") }]);
    expect(await h.count("customers")).toBe(2);
    expect((await h.get("/v1/api/customers/cus_1", acme)).body).toMatchObject({ uid: null, eventCount: 2 });
    expect((await h.get("/v1/api/customers/user_2?by=uid", acme)).body).toMatchObject({ customerId: null, eventCount: 1 });
  });

  test("a uid already linked to another customerId: the new customerId becomes its own customer", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post(NEW, acme, { event: "A Done", customerId: "cus_1", uid: "user_1" });
    const res = await h.post(NEW, acme, { event: "A Done", customerId: "cus_2", uid: "user_1" });
    expect(res.body.warnings[0].path).toBe("/uid");
    expect((await h.get("/v1/api/customers/cus_2", acme)).body).toMatchObject({ uid: null, eventCount: 1 });
    expect((await h.get("/v1/api/customers/user_1?by=uid", acme)).body).toMatchObject({ customerId: "cus_1", eventCount: 1 });
  });

  test("a customer keeps its uid when an event brings a different one", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post(NEW, acme, { event: "A Done", customerId: "cus_1", uid: "user_1" });
    const res = await h.post(NEW, acme, { event: "A Done", customerId: "cus_1", uid: "user_9" });
    expect(res.body.warnings[0].message).toContain("already has uid user_1");
    expect((await h.get("/v1/api/customers/cus_1", acme)).body.uid).toBe("user_1");
  });

  test("the same user uid under two customers is two user records", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post(NEW, acme, { event: "A Done", customerId: "cus_1", user: { uid: "person" } });
    await h.post(NEW, acme, { event: "A Done", customerId: "cus_2", user: { uid: "person" } });
    await h.post(NEW, acme, { event: "A Done", customerId: "cus_2", user: { uid: "person" } });
    expect((await h.get("/v1/api/customers/cus_1", acme)).body.users[0].eventCount).toBe(1);
    expect((await h.get("/v1/api/customers/cus_2", acme)).body.users[0].eventCount).toBe(2);
  });
});
