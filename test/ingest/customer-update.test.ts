import { describe, expect, test } from "bun:test";
import { createSqliteStore } from "../../src/store/sqlite/store";
import { createCustomersService } from "../../src/customers/service";
import { openMigratedDatabase } from "../../src/db";
import { createIngestService } from "../../src/ingest/service";
import { Writer } from "../../src/store/writer";
import { createAppNow, T0, setup } from "../helpers";

const UPDATE = "/v1/api/events/customer-update";

describe("POST /v1/api/events/customer-update", () => {
  test("the seed's example creates the customer and its B2B user and returns the stored record", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.post(UPDATE, acme, {
      uid: "unique_id",
      customerId: "cus_xyz",
      customerData: { numSeats: 7, name: "Acme, Inc." },
      user: { uid: "user_unique_id", data: { name: "John Henry", email: "johnhenry@example.com" } },
    });
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    expect(res.body.customer).toMatchObject({
      customerId: "cus_xyz",
      uid: "unique_id",
      data: { numSeats: 7, name: "Acme, Inc." },
      users: [{ uid: "user_unique_id", data: { name: "John Henry", email: "johnhenry@example.com" }, eventCount: 0 }],
      eventCount: 0,
      firstSeen: null,
      lastSeen: null,
    });
    expect((await h.get("/v1/api/customers/cus_xyz", acme)).body).toMatchObject(res.body.customer);
  });

  test("attributes merge shallowly and null removes a key", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post(UPDATE, acme, { customerId: "c", customerData: { plan: "pro", seats: 3, meta: { a: 1, b: 2 } } });
    const res = await h.post(UPDATE, acme, { customerId: "c", customerData: { seats: 5, plan: null, meta: { a: 9 } } });
    expect(res.body.customer.data).toEqual({ seats: 5, meta: { a: 9 } });
  });

  test("user attributes merge the same way", async () => {
    const h = await setup();
    const acme = await h.tenant();
    await h.post(UPDATE, acme, { customerId: "c", user: { uid: "u", data: { name: "Ada", role: "admin" } } });
    const res = await h.post(UPDATE, acme, { customerId: "c", user: { uid: "u", data: { role: null, team: "core" } } });
    expect(res.body.customer.users[0].data).toEqual({ name: "Ada", team: "core" });
  });

  test("customerEmail is stored on the customer", async () => {
    const h = await setup();
    const acme = await h.tenant();
    const res = await h.post(UPDATE, acme, { uid: "u1", customerEmail: "jane@example.com" });
    expect(res.body.customer).toMatchObject({ uid: "u1", email: "jane@example.com", customerId: null });
  });

  test.each([
    ["no customerId nor uid", { customerData: { a: 1 } }, "/customerId"],
    ["nothing to update", { customerId: "c" }, "/customerData"],
    ["customerData not an object", { customerId: "c", customerData: "x" }, "/customerData"],
    ["customerEmail not an email", { customerId: "c", customerEmail: "nope" }, "/customerEmail"],
    ["user without uid", { customerId: "c", user: { data: {} } }, "/user/uid"],
    ["unknown field", { customerId: "c", customerData: {}, event: "A Done" }, "/event"],
  ])("%s → 400 naming the field, nothing stored", async (_, body, path) => {
    const h = await setup();
    const res = await h.post(UPDATE, await h.tenant(), body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(await h.count("customers")).toBe(0);
  });

  test("the returned record includes the activity of events earlier in the same write batch", async () => {
    // The ingest service straight on a writer: jobs submitted in one turn run in order, in one
    // batch, and activity is summed per batch, so the update must see what is pending.
    const db = openMigratedDatabase(":memory:");
    const writer = new Writer(db.$client);
    const store = createSqliteStore({ db, writer, clock: () => T0 });
    const ingest = createIngestService({ store, clock: () => T0, customers: createCustomersService(store) });
    const { appId } = createAppNow(store, "acme", T0);
    const dates = [T0 - 3_600_000, T0 - 86_400_000, T0 - 60_000];
    const events = dates.map((eventDate) =>
      ingest.recordEvent(appId, { event: "Seat Added", customerId: "cus_1", eventDate, eventData: null, verified: true }, "server"),
    );
    const update = ingest.updateCustomer(appId, { customerId: "cus_1", customerData: { plan: "pro" } });
    const [{ customer }] = await Promise.all([update, ...events]);
    expect(writer.stats.batches).toBe(1);
    expect(customer).toMatchObject({
      eventCount: 3,
      firstSeen: new Date(T0 - 86_400_000).toISOString(),
      lastSeen: new Date(T0 - 60_000).toISOString(),
      data: { plan: "pro" },
    });
  });
});
