// Authentication is cached; revocation must still take effect on the very next request,
// including when it comes from another process (the CLI) while the server runs.
import { afterEach, expect } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHttpApp } from "../../src/app";
import { openMigratedDatabase } from "../../src/db";
import { silentLogger } from "../../src/log";
import { createAppNow, sqliteStore } from "../helpers";
import { createAppsService } from "../../src/apps/service";
import { testSqlite } from "../support/backend";
// SQLite-only (skipped on TRACKD_TEST_BACKEND=postgres): two connections to one SQLite file (the key cache's PRAGMA data_version check); PostgreSQL's cross-node cache is test/pg/invalidation.test.ts.

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function serverOnFile() {
  const dir = mkdtempSync(join(tmpdir(), "trackd-keycache-"));
  dirs.push(dir);
  const path = join(dir, "t.db");
  const db = openMigratedDatabase(path);
  const store = sqliteStore(db);
  const app = createHttpApp({ store, logger: silentLogger });
  const created = createAppNow(store, "acme");
  const send = async (apiKey = created.apiKey) =>
    (
      await app.handle(
        new Request("http://localhost/v1/api/events/new", {
          method: "POST",
          headers: { "x-ck-api-key": apiKey, "x-ck-app": created.appId },
          body: JSON.stringify({ event: "Cache Checked", customerId: "cus_1" }),
        }),
      )
    ).status;
  return { path, created, send };
}

testSqlite("a key revoked by another connection (the CLI) is refused on the next request", async () => {
  const server = serverOnFile();
  expect(await server.send()).toBe(201); // the key is now cached
  const cli = openMigratedDatabase(server.path);
  expect(await createAppsService(sqliteStore(cli)).revokeKey(server.created.keyId)).toBe(true);
  cli.$client.close();
  expect(await server.send()).toBe(401);
});

testSqlite("a key created by another connection works at once, and events written in between don't drop the cache", async () => {
  const server = serverOnFile();
  expect(await server.send()).toBe(201);
  const cli = openMigratedDatabase(server.path);
  const second = (await createAppsService(sqliteStore(cli)).createKey(server.created.appId))!;
  cli.$client.close();
  expect(await server.send(second.apiKey)).toBe(201);
  expect(await server.send()).toBe(201);
});

testSqlite("a cached key with a wrong secret is still refused", async () => {
  const server = serverOnFile();
  expect(await server.send()).toBe(201);
  const forged = server.created.apiKey.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
  expect(await server.send(forged)).toBe(401);
});

// data_version is read once per event-loop turn, and accepted keys are remembered under the whole
// key: neither may outlive a revocation made by another process past the next turn.
testSqlite("a key revoked by another connection is refused from the next event-loop turn, though its whole key was remembered", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trackd-keycache-"));
  dirs.push(dir);
  const path = join(dir, "t.db");
  const server = openMigratedDatabase(path);
  const apps = createAppsService(sqliteStore(server));
  const created = await apps.create("acme");
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
  await nextTurn();
  expect(await apps.authenticate(created.appId, created.apiKey)).toMatchObject({ keyId: created.keyId });
  await nextTurn();
  expect(await apps.authenticate(created.appId, created.apiKey)).toMatchObject({ keyId: created.keyId }); // remembered now

  const cli = openMigratedDatabase(path);
  expect(await createAppsService(sqliteStore(cli)).revokeKey(created.keyId)).toBe(true);
  cli.$client.close();
  await nextTurn();
  expect(await apps.authenticate(created.appId, created.apiKey)).toBe("revoked");
  server.$client.close();
});

testSqlite("a remembered key is refused for another app, and a near-miss of it is checked in full", async () => {
  const server = serverOnFile();
  const apps = createAppsService(sqliteStore(openMigratedDatabase(server.path)));
  const other = await apps.create("other");
  expect(await apps.authenticate(server.created.appId, server.created.apiKey)).toMatchObject({ keyId: server.created.keyId });
  expect(await apps.authenticate(other.appId, server.created.apiKey)).toBeNull();
  expect(await apps.authenticate(server.created.appId, `${server.created.apiKey}0`)).toBeNull();
  expect(await apps.authenticate(server.created.appId, server.created.apiKey.slice(0, -1))).toBeNull();
});
