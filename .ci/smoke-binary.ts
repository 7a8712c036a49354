// Smoke test of the compiled binary, run by .ci/run after `bun run build`: from an empty
// temporary directory outside the repository, create an app, serve, hit every route, read
// back, stop with SIGTERM. Exits non-zero on the first surprise.
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Stripe from "stripe";

const binary = resolve(process.argv[2] ?? "dist/trackd");
const dir = mkdtempSync(join(tmpdir(), "trackd-smoke-"));
const run = (args: string[]) => Bun.spawnSync([binary, ...args], { cwd: dir, env: { ...process.env, TRACKD_DB: "" } });

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`smoke: ${what}`);
  console.log(`ok - ${what}`);
}

try {
  const created = run(["apps", "create", "--name", "smoke", "--json", "--db", "./data/trackd.db"]);
  check(created.exitCode === 0, "apps create --json exits 0");
  const { appId, apiKey, signingSecret } = JSON.parse(created.stdout.toString());
  check(appId && apiKey && signingSecret, "apps create prints appId, apiKey and signingSecret");

  const port = 20000 + Math.floor(Math.random() * 20000);
  const metricsToken = "smoke-metrics-token-0123";
  const server = Bun.spawn([binary, "serve", "--port", String(port), "--host", "127.0.0.1"], {
    cwd: dir,
    env: { ...process.env, TRACKD_DB: "", TRACKD_METRICS_TOKEN: metricsToken },
    stdout: "pipe",
    stderr: "pipe",
  });
  const base = `http://127.0.0.1:${port}`;
  const startedAt = performance.now();
  let healthy = false;
  while (!healthy && performance.now() - startedAt < 10_000) {
    healthy = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (!healthy) await Bun.sleep(50);
  }
  if (!healthy) {
    server.kill();
    console.error(await new Response(server.stdout).text(), await new Response(server.stderr).text());
  }
  check(healthy, `serve answers /healthz (after ${Math.round(performance.now() - startedAt)} ms)`);
  // The Docker image's HEALTHCHECK: the image's env (0.0.0.0 is probed on loopback).
  const probe = Bun.spawnSync([binary, "healthcheck"], { cwd: dir, env: { ...process.env, TRACKD_HOST: "0.0.0.0", TRACKD_PORT: String(port) } });
  check(probe.exitCode === 0, "trackd healthcheck with TRACKD_HOST=0.0.0.0 exits 0");

  const headers = { "x-ck-api-key": apiKey, "x-ck-app": appId, "content-type": "application/json" };
  const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  const single = await post("/v1/api/events/new", { event: "Post Created", customerId: "cus_abc", uid: "user_xyz", eventData: { postType: "image" } });
  check(single.status === 201, "POST /v1/api/events/new → 201");
  const bulk = await post("/v1/api/events/bulk", [
    { event: "Post Created", customerId: "cus_abc", eventDate: "2022-05-01" },
    { event: "Post Created", uid: "user_xyz", eventDate: "2022-05-02" },
  ]);
  check(bulk.status === 201 && (await bulk.json()).count === 2, "POST /v1/api/events/bulk → 201, count 2");
  const update = await post("/v1/api/events/customer-update", { customerId: "cus_abc", customerData: { numSeats: 7 } });
  check(update.status === 200, "POST /v1/api/events/customer-update → 200");
  const customer = await (await fetch(`${base}/v1/api/customers/cus_abc`, { headers })).json();
  check(customer.eventCount === 3 && customer.data.numSeats === 7, "GET customer reads back 3 events and the attribute");
  const events = await (await fetch(`${base}/v1/api/events?customerId=cus_abc`, { headers })).json();
  check(events.events.length === 3, "GET /v1/api/events lists the 3 events");
  const sdk = await fetch(`${base}/sdk.js`);
  const sdkSource = await sdk.text();
  check(sdk.status === 200 && sdkSource.includes("churnkey") && sdk.headers.get("etag"), "GET /sdk.js serves the embedded snippet");
  const cached = await fetch(`${base}/sdk.js`, { headers: { "if-none-match": sdk.headers.get("etag")! } });
  check(cached.status === 304, "GET /sdk.js with its ETag → 304");
  const page = await fetch(`${base}/apps/${appId}`, { redirect: "manual" });
  check(page.status === 303 && page.headers.get("location") === `/login?next=${encodeURIComponent(`/apps/${appId}`)}`, "GET /apps/APP_ID without a session → 303 to /login");
  const login = await (await fetch(`${base}/login`)).text();
  check(login.includes(">Sign in</button>"), "GET /login serves the sign-in form");
  const authHash = createHmac("sha256", signingSecret).update("cus_abc").digest("hex");
  const browserEvent = await fetch(`${base}/v1/api/events/client`, {
    method: "POST",
    headers: { "content-type": "text/plain", origin: "https://app.example.com" },
    body: JSON.stringify([{ appId, customerId: "cus_abc", authHash, event: "Page Viewed" }]),
  });
  check(
    browserEvent.status === 201 && browserEvent.headers.get("access-control-allow-origin") === "https://app.example.com",
    "POST /v1/api/events/client with a signed event → 201 with a CORS grant",
  );
  const updated = run(["apps", "update", appId, "--require-verified", "--db", "./data/trackd.db"]);
  check(updated.exitCode === 0, "apps update --require-verified exits 0 while the server runs");
  const unsigned = await fetch(`${base}/v1/api/events/client`, {
    method: "POST",
    body: JSON.stringify({ appId, customerId: "cus_abc", event: "Page Viewed" }),
  });
  check(unsigned.status === 401, "then an unsigned browser event → 401 (the running server saw the change)");

  const webhookSecret = "whsec_smokeTest0123456789abcdef";
  const secretSet = run(["apps", "update", appId, "--stripe-webhook-secret", webhookSecret, "--db", "./data/trackd.db"]);
  check(secretSet.exitCode === 0, "apps update --stripe-webhook-secret exits 0 while the server runs");
  const subscription = {
    id: "sub_smoke",
    object: "subscription",
    customer: "cus_abc",
    status: "active",
    currency: "usd",
    start_date: Math.floor(Date.now() / 1000) - 60,
    cancel_at_period_end: false,
    discounts: [],
    items: { object: "list", data: [{ id: "si_1", quantity: 2, price: { id: "price_pro", unit_amount: 4900, recurring: { interval: "month", interval_count: 1 } } }] },
  };
  const payload = JSON.stringify({ id: "evt_smoke", object: "event", type: "customer.subscription.created", created: Math.floor(Date.now() / 1000), data: { object: subscription } });
  const stripeSignature = await new Stripe("sk_test_smoke").webhooks.generateTestHeaderStringAsync({ payload, secret: webhookSecret });
  const webhook = await fetch(`${base}/v1/webhooks/stripe/${appId}`, { method: "POST", headers: { "stripe-signature": stripeSignature }, body: payload });
  check(webhook.status === 200 && (await webhook.json()).result === "applied", "POST /v1/webhooks/stripe/:appId with a signed event → applied");
  const forged = await fetch(`${base}/v1/webhooks/stripe/${appId}`, { method: "POST", headers: { "stripe-signature": stripeSignature }, body: payload.replace("4900", "9900") });
  check(forged.status === 400, "the same signature over a changed body → 400");
  const billed = await (await fetch(`${base}/v1/api/customers/cus_abc`, { headers })).json();
  check(billed.subscription?.mrr === 9800 && billed.billingHistory[0]?.movement === "new", "the profile shows the subscription (MRR 9800) and a new-MRR movement");
  const billing = await (await fetch(`${base}/v1/api/metrics/billing`, { headers })).json();
  check(billing.currencies[0]?.mrr === 9800, "GET /v1/api/metrics/billing totals the MRR");
  const timeline = await (await fetch(`${base}/v1/api/customers/cus_abc/timeline`, { headers })).json();
  check(timeline.items.some((item: { type: string }) => item.type === "billing"), "the customer's timeline interleaves the billing change");
  const neutral = await post("/v1/api/subscriptions", { subscriptionId: "cb_1", customerId: "cus_def", status: "active", currency: "eur", items: [{ unitAmount: 12000, interval: "year" }] });
  check(neutral.status === 201 && (await neutral.json()).subscription.mrr === 1000, "POST /v1/api/subscriptions → 201, yearly 12000 is MRR 1000");

  const unauthorized = await fetch(`${base}/v1/api/events`, { headers: { "x-ck-app": appId } });
  check(unauthorized.status === 401, "a request without a key → 401");

  const scrape = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
  const metrics = await scrape.text();
  check(scrape.status === 200 && /trackd_events_stored_total\{app="[^"]+",source="bulk"\} 2/.test(metrics), "GET /metrics with the token counts the stored events");
  check((await fetch(`${base}/metrics`)).status === 401, "GET /metrics without the token → 401");
  const spec = await (await fetch(`${base}/openapi.json`)).json();
  check(spec.openapi === "3.1.0" && spec.paths["/v1/api/events/new"]?.post, "GET /openapi.json serves the OpenAPI 3.1 document");
  const docs = await fetch(`${base}/docs`);
  check(docs.status === 200 && (await docs.text()).includes("/v1/api/events/bulk"), "GET /docs serves the reference page");
  const backup = run(["backup", "--db", "./data/trackd.db", "--out", "./backup.db"]);
  check(backup.exitCode === 0 && existsSync(join(dir, "backup.db")), "backup copies the live database");
  const retention = run(["apps", "update", appId, "--retention-days", "30", "--db", "./data/trackd.db"]);
  check(retention.exitCode === 0, "apps update --retention-days exits 0 while the server runs");

  server.kill("SIGTERM");
  check((await server.exited) === 0, "SIGTERM stops the server with exit code 0");
  // The checkpoint worker is a second entry point embedded in the binary: it must have started,
  // and stopping must have checkpointed the log into the database and removed it.
  const serverLog = await new Response(server.stderr).text();
  check(!serverLog.includes("checkpoint worker failed"), "the embedded checkpoint worker started");
  check(!existsSync(join(dir, "data", "trackd.db-wal")), "a clean stop leaves no -wal file behind");
  const listed = run(["apps", "list", "--json"]);
  check(JSON.parse(listed.stdout.toString()).length === 1, "the default database under ./data holds the app");
  const scored = run(["health", "score", "--json"]);
  const [pass] = scored.exitCode === 0 ? JSON.parse(scored.stdout.toString()) : [];
  check(pass?.appId === appId && pass.customersScored === 2, "health score --json scores the app's 2 customers");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
