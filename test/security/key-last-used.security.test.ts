// A key's last use: recorded for answered requests only, at most once per key every
// KEY_USE_INTERVAL_MS, through the writer; a rejected request leaves the row as it was.
import { describe, expect, test } from "bun:test";
import { KEY_USE_INTERVAL_MS } from "../../src/apps/service";
import { T0, setup, type Harness, type Tenant } from "../helpers";

const lastUsed = async (h: Harness, tenant: Tenant) =>
  (await h.sql.get("select last_used_at as at from api_keys where id = ?", tenant.keyId) as { at: number | null }).at;

/**
 * The recording goes through the writer after the answer: send one more answered request with a
 * marker key of another app and wait until its use is on disk. The writer commits in order, so
 * whatever the requests before it recorded is on disk by then.
 */
async function settled(h: Harness) {
  const marker = await h.tenant();
  await h.sql.run("update api_keys set last_used_at = null where id = ?", marker.keyId);
  expect((await h.get("/v1/api/events", marker)).status).toBe(200);
  while ((await lastUsed(h, marker)) === null) await new Promise((resolve) => setImmediate(resolve));
}

const event = { event: "Key Used", customerId: "cus_1" };

describe("api_keys.last_used_at", () => {
  test("off unless asked for (serve asks): no write joins the writer's batches", async () => {
    const h = await setup();
    const acme = await h.tenant();
    expect((await h.post("/v1/api/events/new", acme, event)).status).toBe(201);
    // Whatever the answer queued would be committed by now.
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    // A command through the write queue after them: the queue commits in order.
    await h.apps.create("barrier");
    expect(await lastUsed(h, acme)).toBeNull();
  });

  test("an answered request records the time; more within the interval write nothing; the next one after it does", async () => {
    const h = await setup({ recordKeyUse: true });
    const acme = await h.tenant();
    expect(await lastUsed(h, acme)).toBeNull();
    expect((await h.post("/v1/api/events/new", acme, event)).status).toBe(201);
    await settled(h);
    expect(await lastUsed(h, acme)).toBe(T0);

    h.clock.now = T0 + KEY_USE_INTERVAL_MS - 1;
    expect((await h.get("/v1/api/events", acme)).status).toBe(200);
    await settled(h);
    expect(await lastUsed(h, acme)).toBe(T0);

    h.clock.now = T0 + KEY_USE_INTERVAL_MS;
    expect((await h.get("/v1/api/events", acme)).status).toBe(200);
    await settled(h);
    expect(await lastUsed(h, acme)).toBe(T0 + KEY_USE_INTERVAL_MS);
  });

  test.each([
    ["a 400 (invalid body)", (h: Harness, t: Tenant) => h.post("/v1/api/events/new", t, { event: "" }), 400],
    ["a 403 (scope missing)", (h: Harness, t: Tenant) => h.call("DELETE", "/v1/api/customers/cus_1", { as: t }), 403],
    ["a 404 (unknown customer)", (h: Harness, t: Tenant) => h.get("/v1/api/customers/cus_nobody", t), 404],
  ])("%s records nothing: a rejected request changes no row", async (_, send, status) => {
    const h = await setup({ recordKeyUse: true });
    const acme = await h.tenant();
    const ingestOnly = { ...acme, ...(await keyWithScopes(h, acme, ["ingest", "read"])) };
    expect((await send(h, ingestOnly)).status).toBe(status);
    await settled(h);
    expect(await lastUsedOf(h, ingestOnly.keyId)).toBeNull();
  });

  test("keys list shows it", async () => {
    const h = await setup({ recordKeyUse: true });
    const acme = await h.tenant();
    await h.post("/v1/api/events/new", acme, event);
    await settled(h);
    expect((await h.apps.listKeys(acme.appId))).toEqual([expect.objectContaining({ keyId: acme.keyId, lastUsedAt: new Date(T0).toISOString() })]);
  });
});

async function keyWithScopes(h: Harness, tenant: Tenant, scopes: ("ingest" | "read" | "admin")[]) {
  const key = (await h.apps.createKey(tenant.appId, scopes))!;
  return { keyId: key.keyId, apiKey: key.apiKey, headers: { "x-ck-api-key": key.apiKey, "x-ck-app": tenant.appId } };
}

async function lastUsedOf(h: Harness, keyId: string) {
  return (await h.sql.get("select last_used_at as at from api_keys where id = ?", keyId) as { at: number | null }).at;
}
