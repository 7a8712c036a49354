// Each write route in process, through app.handle (no sockets): µs per request for the whole
// route (auth, body, the pipeline's steps, the durable write, the reply). For A/B runs of the
// pipeline's steps: `--root /tmp/base` runs another checkout's src/ with this same load.
// Requests go 64 at a time, as 64 connections send them, so the writer batches as it does live.
//   bun bench/routes.ts [--root DIR] [--requests 20000] [--routes new,bulk,update,client,track,batch]
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values: flags } = parseArgs({
  options: {
    root: { type: "string", default: join(import.meta.dir, "..") },
    requests: { type: "string", default: "20000" },
    routes: { type: "string", default: "new,bulk,update,client,track,batch" },
  },
});
const root = resolve(flags.root);
const REQUESTS = Number(flags.requests);
const CONCURRENCY = 64;

const { createHttpApp } = await import(join(root, "src/app.ts"));
const { createAppsService } = await import(join(root, "src/apps/service.ts"));
const { openMigratedDatabase } = await import(join(root, "src/db/index.ts"));
const { Writer } = await import(join(root, "src/store/writer.ts"));
const { silentLogger } = await import(join(root, "src/log.ts"));

const dir = mkdtempSync(join(tmpdir(), "trackd-routes-"));
const db = openMigratedDatabase(join(dir, "bench.db"), "normal");
const writer = new Writer(db.$client);
const unlimited = { rate: 1e9, burst: 1e9 };
const app = createHttpApp({ db, writer, logger: silentLogger, accessLog: { sample: 0 }, client: { perIp: unlimited, perApp: unlimited, trustProxy: false } });
const tenant = createAppsService(db).create("bench");
const keyHeaders = { "x-ck-api-key": tenant.apiKey, "x-ck-app": tenant.appId, "content-type": "application/json" };
const basic = { authorization: `Basic ${Buffer.from(`${tenant.apiKey}:`).toString("base64")}`, "content-type": "application/json" };

let n = 0;
const customer = () => `cus_${(n * 7919) % 10_000}`;
const data = () => ({ plan: "pro", size: n % 500, source: "web", n });
const sign = (identity: string) => createHmac("sha256", tenant.signingSecret).update(identity).digest("hex");

const ROUTES: Record<string, () => { path: string; headers: Record<string, string>; body: unknown }> = {
  new: () => ({ path: "/v1/api/events/new", headers: keyHeaders, body: { event: "Post Created", customerId: customer(), eventData: data() } }),
  bulk: () => ({
    path: "/v1/api/events/bulk",
    headers: keyHeaders,
    body: Array.from({ length: 10 }, (_, i) => ({ event: "Post Created", customerId: `cus_${(n * 10 + i) % 10_000}`, eventData: data() })),
  }),
  update: () => ({ path: "/v1/api/events/customer-update", headers: keyHeaders, body: { customerId: customer(), customerData: { seats: n % 50 } } }),
  client: () => {
    const id = customer();
    return { path: "/v1/api/events/client", headers: { "content-type": "text/plain" }, body: { appId: tenant.appId, event: "Clicked", customerId: id, authHash: sign(id), eventData: data() } };
  },
  track: () => ({ path: "/v1/track", headers: basic, body: { userId: customer(), event: "Report Exported", properties: data(), context: { library: { name: "bench" } } } }),
  batch: () => ({
    path: "/v1/batch",
    headers: basic,
    body: { batch: Array.from({ length: 10 }, (_, i) => ({ type: "track", userId: `u_${(n * 10 + i) % 10_000}`, event: "Report Exported", properties: data() })) },
  }),
};

async function send(route: string): Promise<void> {
  n++;
  const { path, headers, body } = ROUTES[route]!();
  const response = await app.handle(new Request(`http://localhost${path}`, { method: "POST", headers, body: JSON.stringify(body) }));
  if (response.status >= 300) throw new Error(`${route}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

async function run(route: string, count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i += CONCURRENCY) await Promise.all(Array.from({ length: CONCURRENCY }, () => send(route)));
  return ((performance.now() - started) * 1000) / count;
}

const figures: string[] = [];
for (const route of flags.routes.split(",")) {
  await run(route, Math.min(REQUESTS, 5_000)); // warm-up: customers exist, code is hot
  figures.push(`${route} ${(await run(route, REQUESTS)).toFixed(1)}`);
}
console.log(`${root}: µs/request ${figures.join("  ")}`);

db.$client.close(true);
rmSync(dir, { recursive: true, force: true });
