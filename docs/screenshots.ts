// Makes docs/dashboard-overview.png and docs/dashboard-customer.png from a freshly seeded app:
// generated events (`trackd dev seed`), subscriptions through the API, a scoring pass at start.
// Run: bun docs/screenshots.ts (Debian's Chromium at /usr/bin/chromium).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { createAccountsService } from "../src/accounts/service";
import { createAppsService } from "../src/apps/service";
import { openMigratedDatabase } from "../src/db";
import { cleanEnv, ENTRY, freePort, startTrackd } from "../test/support/process";
import { createSqliteStore } from "../src/store/sqlite/store";
import { Writer } from "../src/store/writer";

const dir = mkdtempSync(join(tmpdir(), "trackd-screens-"));
const dbPath = join(dir, "trackd.db");
const db = openMigratedDatabase(dbPath);
const writer = new Writer(db.$client);
const store = createSqliteStore({ db, writer, clock: Date.now });
const app = await createAppsService(store).create("Acme Analytics");
await createAccountsService(store, Date.now).createUser("admin@example.com", "admin", "screenshot password");
writer.close();
db.$client.close();
Bun.spawnSync([process.execPath, ENTRY, "dev", "seed", "--app", app.appId, "--events", "60000", "--customers", "400", "--days", "120", "--db", dbPath], { env: cleanEnv() });

const port = freePort();
const base = `http://127.0.0.1:${port}`;
const headers = { "x-ck-api-key": app.apiKey, "x-ck-app": app.appId, "content-type": "application/json" };
// Subscriptions for two customers in three, some past due, trialing or canceled.
let server = await startTrackd(dbPath, port);
const { customers } = (await (await fetch(`${base}/v1/api/customers?limit=400&sort=customerId`, { headers })).json()) as { customers: { customerId: string }[] };
const plans = [["starter", "Starter", 2900], ["team", "Team", 9900], ["business", "Business", 29900]] as const;
for (const [i, customer] of customers.entries()) {
  if (i % 3 === 0) continue;
  const [priceId, productName, unitAmount] = plans[i % 3]!;
  const status = i % 17 === 0 ? "past_due" : i % 23 === 0 ? "canceled" : i % 11 === 0 ? "trialing" : "active";
  const startedAt = new Date(Date.now() - (30 + (i % 150)) * 86_400_000).toISOString();
  await fetch(`${base}/v1/api/subscriptions`, {
    method: "POST",
    headers,
    body: JSON.stringify({ subscriptionId: `sub_${i}`, customerId: customer.customerId, status, currency: "usd", items: [{ priceId, productName, quantity: 1 + (i % 5), unitAmount, interval: "month" }], startedAt }),
  });
}
// Restart, so the scoring pass at start sees the subscriptions.
server.kill("SIGTERM");
await server.exited;
server = await startTrackd(dbPath, port);
await Bun.sleep(1000);

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
await page.goto(`${base}/apps/${app.appId}`);
await page.getByLabel("Email").fill("admin@example.com");
await page.getByLabel("Password").fill("screenshot password");
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(`${base}/apps/${app.appId}`);
await page.locator(".chart canvas").first().waitFor();
await Bun.sleep(500);
await page.screenshot({ path: join(import.meta.dir, "dashboard-overview.png"), fullPage: true });
const { customers: watched } = (await (await fetch(`${base}/v1/api/customers?health=watch&sort=-mrr&limit=1`, { headers })).json()) as { customers: { customerId: string }[] };
await page.goto(`${base}/apps/${app.appId}/customers/${watched[0]!.customerId}`);
await page.locator(".card", { hasText: "Activity per day" }).locator("canvas").waitFor();
await Bun.sleep(500);
await page.screenshot({ path: join(import.meta.dir, "dashboard-customer.png"), fullPage: true });
await browser.close();
server.kill("SIGTERM");
await server.exited;
rmSync(dir, { recursive: true, force: true });
console.log("wrote docs/dashboard-overview.png and docs/dashboard-customer.png");
