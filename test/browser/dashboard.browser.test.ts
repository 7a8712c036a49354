// The dashboard in Debian's Chromium against trackd as a process (the compiled binary under
// .ci/run): sign-in, every page with real seeded data checked against the API, live, erasure,
// roles, CSRF from another origin, no third-party requests, and the JavaScript budget.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { createAccountsService } from "../../src/accounts/service";
import { createAppsService, type CreatedApp } from "../../src/apps/service";
import { cleanEnv, ENTRY, freePort, TRACKD_COMMAND, startTrackd } from "../support/process";
import { removeScratches, scratch, withStoreOn } from "../support/cli";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
// Sign-ins verify argon2 hashes (a few hundred ms each on a busy machine) and drive a real browser.
const BROWSER_TEST_MS = 60_000;
const ADMIN = { email: "admin@example.com", password: "admin password 1" };
const VIEWER = { email: "viewer@example.com", password: "viewer password 1" };
/** Locked out by the rate-limit test, so the others can still sign in. */
const LOCKED = { email: "locked@example.com", password: "locked password 1" };

let browser: Browser;
let trackd: Subprocess | undefined;
let evil: ReturnType<typeof Bun.serve> | undefined;
let app: CreatedApp;
let base: string;

const headers = () => ({ "x-ck-api-key": app.apiKey, "x-ck-app": app.appId, "content-type": "application/json" });
async function apiGet<T>(path: string): Promise<T> {
  const response = await fetch(`${base}${path}`, { headers: headers() });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return (await response.json()) as T;
}
const fmt = (n: number) => n.toLocaleString("en-US");

beforeAll(async () => {
  // A database of the suite's backend (a SQLite file or a fresh PostgreSQL database).
  const { db: dbPath } = await scratch();
  app = await withStoreOn(dbPath, async (store) => {
    const created = await createAppsService(store).create("Acme");
    const accounts = createAccountsService(store, Date.now);
    await accounts.createUser(ADMIN.email, "admin", ADMIN.password);
    await accounts.createUser(VIEWER.email, "viewer", VIEWER.password);
    await accounts.createUser(LOCKED.email, "viewer", LOCKED.password);
    return created;
  });
  // Real generated history through the write path; the server scores it when it starts.
  const seeded = Bun.spawnSync([process.execPath, ENTRY, "dev", "seed", "--app", app.appId, "--events", "3000", "--customers", "40", "--days", "90", "--db", dbPath], { env: cleanEnv(), stdout: "ignore", stderr: "pipe" });
  if (!seeded.success) throw new Error(`dev seed failed: ${seeded.stderr}`);
  const port = freePort();
  base = `http://127.0.0.1:${port}`;
  trackd = await startTrackd(dbPath, port);
  // A page on another origin, for the cross-site attempts.
  evil = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () =>
      new Response(`<!doctype html><form id="f" method="post" action="${base}/logout"><input name="csrf" value="guess"></form><script>document.getElementById("f").submit()</script>`, { headers: { "content-type": "text/html" } }),
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, BROWSER_TEST_MS);

afterAll(async () => {
  await browser?.close();
  trackd?.kill("SIGKILL");
  evil?.stop(true);
  await trackd?.exited;
  await removeScratches();
});

/** A fresh browser profile, signed in as `who`, with every request it makes recorded. */
async function signedIn(who: { email: string; password: string }, path = `/apps/${app.appId}`): Promise<{ context: BrowserContext; page: Page; requests: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  await page.goto(`${base}${path}`);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${base}${path}`);
  return { context, page, requests };
}

describe("signing in", () => {
  test("a page asked for without a session goes to /login, and back there after signing in; Sign out ends it", async () => {
    const path = `/apps/${app.appId}/events`;
    const { context, page } = await signedIn(ADMIN, path);
    expect(page.url()).toBe(`${base}${path}`);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login$/);
    await page.goto(`${base}${path}`);
    expect(page.url()).toBe(`${base}/login?next=${encodeURIComponent(path)}`);
    await context.close();
  }, BROWSER_TEST_MS);

  test("a wrong password says so without telling whether the email exists; repeated failures get 429", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    const attempt = async (email: string) => {
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill("wrong password!");
      await page.getByRole("button", { name: "Sign in" }).click();
      return (await page.getByRole("alert").textContent())!;
    };
    expect(await attempt(LOCKED.email)).toBe("wrong email or password");
    expect(await attempt("nobody@example.com")).toBe("wrong email or password");
    for (let i = 0; i < 4; i++) await attempt(LOCKED.email);
    expect(await attempt(LOCKED.email)).toMatch(/^too many failed sign-ins; try again in \d+ s$/);
    // Now even the right password is refused, with Retry-After.
    const status = await page.evaluate(async (password) => {
      const response = await fetch("/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `email=locked%40example.com&password=${encodeURIComponent(password)}` });
      return [response.status, Number(response.headers.get("retry-after")) > 0];
    }, LOCKED.password);
    expect(status).toEqual([429, true]);
    await context.close();
  }, BROWSER_TEST_MS);
});

describe("pages with real data", () => {
  test("overview, customers, customer and events show what the API says, loading nothing from another origin within the JS budget", async () => {
    const { context, page, requests } = await signedIn(ADMIN);
    const from = new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
    const [events, health] = await Promise.all([apiGet<{ total: number }>(`/v1/api/metrics/events?interval=day&from=${from}`), apiGet<{ customers: number }>("/v1/api/metrics/health")]);
    const stat = (label: string) => page.locator(".stat", { hasText: label }).locator(".stat-value");
    await expect(await stat("Events, 30 days").textContent()).toBe(fmt(events.total));
    expect(await stat("Customers").textContent()).toBe(fmt(health.customers));
    expect(await page.locator(".chart canvas").count()).toBeGreaterThanOrEqual(2);

    // The JavaScript of this first load, as transferred (gzipped).
    const jsBytes = await page.evaluate(() =>
      (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).filter((e) => e.initiatorType === "script" || e.name.endsWith(".js")).reduce((sum, e) => sum + e.transferSize, 0),
    );
    expect(jsBytes).toBeGreaterThan(0);
    expect(jsBytes).toBeLessThan(150 * 1024);

    await page.getByRole("link", { name: "Customers" }).click();
    const list = await apiGet<{ customers: { customerId: string; name: string | null; eventsLast30d: number }[] }>("/v1/api/customers?limit=50");
    const rows = page.locator("table.list tbody tr");
    await rows.first().waitFor();
    expect(await rows.count()).toBe(list.customers.length);
    const first = list.customers[0]!;
    expect(await rows.first().locator("td").first().textContent()).toContain(first.customerId);
    expect(await rows.first().locator("td").nth(5).textContent()).toBe(fmt(first.eventsLast30d));

    await rows.first().getByRole("link").click();
    const profile = await apiGet<{ eventCount: number; eventCounts: unknown[]; data: { name?: string } }>(`/v1/api/customers/${first.customerId}`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(profile.data.name ?? first.customerId);
    await page.getByText("Feature adoption").waitFor();
    expect(await page.locator(".card", { hasText: "Feature adoption" }).locator("tbody tr").count()).toBe(profile.eventCounts.length);
    expect(await page.locator(".stat", { hasText: "Events, 30 days" }).locator(".stat-note").textContent()).toBe(`${fmt(profile.eventCount)} in all`);
    await page.locator(".card", { hasText: "Activity per day" }).locator("canvas").waitFor();
    // The timeline narrowed to one event shows that event's rows only, as the API does.
    const timeline = page.locator(".card", { hasText: "Timeline" });
    const eventName = (profile.eventCounts[0] as { event: string }).event;
    const narrowed = await apiGet<{ items: unknown[] }>(`/v1/api/customers/${first.customerId}/timeline?limit=25&event=${encodeURIComponent(eventName)}`);
    await timeline.getByLabel("Show").selectOption({ label: eventName });
    await page.waitForFunction(
      ({ name, n }) => {
        const rows = [...document.querySelectorAll(".card table.timeline tbody tr")];
        return rows.length === n && rows.every((row) => row.querySelector("strong")?.textContent === name);
      },
      { name: eventName, n: narrowed.items.length },
    );

    await page.getByRole("link", { name: "Events" }).click();
    const names = await apiGet<{ names: { event: string; count: number }[] }>("/v1/api/events/names");
    await page.locator("table.list tbody tr").first().waitFor();
    expect(await page.locator("table.list tbody tr").count()).toBe(names.names.length);
    expect(await page.locator("table.list tbody tr").first().locator("td").nth(1).textContent()).toBe(fmt(names.names[0]!.count));

    const foreign = requests.filter((url) => !url.startsWith(`${base}/`) && !url.startsWith("data:") && !url.startsWith("blob:"));
    expect(foreign).toEqual([]);
    await context.close();
  }, BROWSER_TEST_MS);

  test("live shows a new event and a rejected request within seconds", async () => {
    const { context, page } = await signedIn(ADMIN, `/apps/${app.appId}/live`);
    await page.getByText("● Live").waitFor();
    await fetch(`${base}/v1/api/events/new`, { method: "POST", headers: headers(), body: JSON.stringify({ event: "Live Checked", customerId: "cus_live", user: { uid: "u_live" } }) });
    await fetch(`${base}/v1/api/events/new`, { method: "POST", headers: headers(), body: JSON.stringify({ event: "Live Checked", customerId: "cus_live", eventDate: 1700000000 }) });
    const row = page.locator("tr.live-row", { hasText: "Live Checked" });
    await row.waitFor({ timeout: 5000 });
    expect(await row.textContent()).toContain("cus_live");
    const rejected = page.locator("tr.rejected");
    await rejected.waitFor({ timeout: 5000 });
    expect(await rejected.textContent()).toContain("400 VALIDATION_FAILED");
    expect(await rejected.textContent()).toContain("/eventDate");
    await context.close();
  }, BROWSER_TEST_MS);

  test("an admin erases a customer after typing its name, and the API no longer has it", async () => {
    await fetch(`${base}/v1/api/events/customer-update`, { method: "POST", headers: headers(), body: JSON.stringify({ customerId: "cus_erase", customerData: { name: "Erase Me Ltd" } }) });
    await fetch(`${base}/v1/api/events/new`, { method: "POST", headers: headers(), body: JSON.stringify({ event: "Post Created", customerId: "cus_erase" }) });
    const { context, page } = await signedIn(ADMIN, `/apps/${app.appId}/customers/cus_erase`);
    await page.getByRole("button", { name: "Erase customer…" }).click();
    const confirm = page.getByRole("button", { name: "Erase Erase Me Ltd" });
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByLabel("Type the customer's name to confirm").fill("Erase Me Ltd");
    await confirm.click();
    await page.getByText("Erased Erase Me Ltd and its 1 events.").waitFor();
    expect((await fetch(`${base}/v1/api/customers/cus_erase`, { headers: headers() })).status).toBe(404);
    await context.close();
  }, BROWSER_TEST_MS);
});

describe("settings", () => {
  test("an admin changes browser-event rules and retention on the Settings page; the API shows the change", async () => {
    const { context, page } = await signedIn(ADMIN, `/apps/${app.appId}/settings`);
    await page.getByLabel("Allowed origins").fill("https://app.example.com");
    await page.getByRole("button", { name: "Save", exact: true }).first().click();
    await page.getByText("Saved.").waitFor();
    await page.getByLabel("Keep raw events for (days)").fill("400");
    await page.getByRole("button", { name: "Save retention" }).click();
    await page.getByText("Raw events older than 400 days are deleted in the background.").waitFor();
    const settings = await apiGet<{ allowedOrigins: string[]; retentionDays: number | null }>("/v1/api/settings");
    expect(settings).toMatchObject({ allowedOrigins: ["https://app.example.com"], retentionDays: 400 });
    // Back as they were, for the other tests.
    await page.getByRole("button", { name: "Keep forever" }).click();
    await page.getByText("Raw events are kept forever.").waitFor();
    expect((await apiGet<{ retentionDays: number | null }>("/v1/api/settings")).retentionDays).toBeNull();
    await page.getByLabel("Allowed origins").fill("*");
    const restored = page.waitForResponse((r) => r.url() === `${base}/v1/api/settings` && r.request().method() === "PATCH");
    await page.getByRole("button", { name: "Save", exact: true }).first().click();
    expect((await restored).status()).toBe(200);
    expect((await apiGet<{ allowedOrigins: string[] }>("/v1/api/settings")).allowedOrigins).toEqual(["*"]);
    await context.close();
  }, BROWSER_TEST_MS);
});

describe("roles and CSRF", () => {
  test("a viewer sees no settings, and the server answers 403 to a viewer's admin requests", async () => {
    const { context, page } = await signedIn(VIEWER);
    await page.getByRole("link", { name: "Customers" }).waitFor();
    expect(await page.getByRole("link", { name: "Settings" }).count()).toBe(0);
    const statuses = await page.evaluate(async (appId) => {
      const session = (await (await fetch("/dashboard/api/session")).json()) as { csrf: string };
      const h = { "x-ck-app": appId, "x-csrf-token": session.csrf, "content-type": "application/json" };
      return Promise.all([
        fetch("/v1/api/settings", { headers: h }).then((r) => r.status),
        fetch("/v1/api/keys", { method: "POST", headers: h, body: '{"scopes":["read"]}' }).then((r) => r.status),
        fetch("/v1/api/customers/cus_live", { method: "DELETE", headers: h }).then((r) => r.status),
        fetch("/v1/api/customers/cus_live/export", { headers: h }).then((r) => r.status),
      ]);
    }, app.appId);
    expect(statuses).toEqual([403, 403, 403, 403]);
    await page.goto(`${base}/apps/${app.appId}/settings`);
    await page.getByText("Settings are for admins").waitFor();
    await context.close();
  }, BROWSER_TEST_MS);

  test("a form on another origin that posts to /logout does not end the session", async () => {
    const { context, page } = await signedIn(ADMIN);
    const refused = page.waitForResponse((r) => r.url() === `${base}/logout`);
    await page.goto(`http://127.0.0.1:${evil!.port}/`);
    const response = await refused;
    // Another port of 127.0.0.1 is "same-site" to Chromium, so SameSite=Lax lets the cookie go
    // along: the server's Sec-Fetch-Site check is what refuses it.
    expect(response.status()).toBe(403);
    const stillSignedIn = await context.request.get(`${base}/dashboard/api/session`);
    expect(stillSignedIn.status()).toBe(200);
    await context.close();
  }, BROWSER_TEST_MS);
});

describe("first run", () => {
  test("the setup link serve prints creates the first admin, who lands on the app with the first curl to send", async () => {
    const fresh = await scratch(); // removed (or dropped) with the others, after the server
    const port = freePort();
    const proc = Bun.spawn([...TRACKD_COMMAND, "serve", "--db", fresh.db, "--port", String(port), "--host", "127.0.0.1", "--health-interval", "0"], { env: cleanEnv(), stdout: "pipe", stderr: "ignore" });
    try {
      let printed = "";
      const reader = proc.stdout.getReader();
      while (!/setup\?token=\S+/.test(printed)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`serve exited without a setup link:\n${printed}`);
        printed += new TextDecoder().decode(value);
      }
      const link = /(http:\/\/\S+\/setup\?token=\S+)/.exec(printed)![1]!;
      expect(link.startsWith(`http://127.0.0.1:${port}/setup?token=`)).toBe(true);
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(link);
      await page.getByLabel("Email").fill("founder@example.com");
      await page.getByLabel("Password").fill("first admin password");
      await page.getByRole("button", { name: "Create admin" }).click();
      await page.waitForURL(/\/apps\/app_[0-9a-f]+$/);
      await page.getByText("No events yet").waitFor();
      expect(await page.locator("pre").textContent()).toContain(`http://127.0.0.1:${port}/v1/api/events/new`);
      // The link is spent once an admin exists.
      expect((await fetch(link)).status).toBe(403);
      await context.close();
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
    }
  }, BROWSER_TEST_MS);
});
