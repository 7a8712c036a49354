// Each write route in process, through app.handle (no sockets): µs per request for the whole
// route (auth, body, the route's steps, the durable write, the reply). Requests go 64 at a time,
// as 64 connections send them, so the writer batches as it does live.
//   bun bench/routes.ts [--base DIR] [--stub] [--requests 20000] [--routes new,bulk,update,client,track,batch]
// --stub measures the routes alone: the write routes' plugins on a bare Elysia app, with an
// ingest service whose writes resolve at once (no store, no writer): what the routes' own steps
// cost, without the disk's noise.
// --base DIR is an A/B: DIR is another checkout (e.g. `git archive <commit> | tar -x -C DIR` and a
// node_modules symlink), loaded into this same process beside this one, each with its own
// database; the two take turns, 64 requests each, so that whatever else the machine is doing
// weighs on both alike. CPU time (user + system) is the figure: on a machine shared with other
// work it is far steadier than wall-clock time, which is printed too.
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values: flags } = parseArgs({
  options: {
    base: { type: "string" },
    stub: { type: "boolean", default: false },
    requests: { type: "string", default: "20000" },
    routes: { type: "string", default: "new,bulk,update,client,track,batch" },
  },
});
/** Requests per route and per run. */
const REQUESTS = Number(flags.requests);
const CONCURRENCY = 64;
const dir = mkdtempSync(join(tmpdir(), "trackd-routes-"));

type Send = (route: string) => Promise<void>;

/** The app of the checkout at `root`, with a fresh database and one tenant, and a sender of each route's requests. */
async function contender(root: string, name: string): Promise<{ root: string; send: Send; close: () => void }> {
  const { createHttpApp } = await import(join(root, "src/app.ts"));
  const { createAppsService } = await import(join(root, "src/apps/service.ts"));
  const { openMigratedDatabase } = await import(join(root, "src/db/index.ts"));
  const { Writer } = await import(join(root, "src/store/writer.ts"));
  const { silentLogger } = await import(join(root, "src/log.ts"));

  const db = openMigratedDatabase(join(dir, `${name}.db`), "normal");
  const unlimited = { rate: 1e9, burst: 1e9 };
  const client = { perIp: unlimited, perApp: unlimited, trustProxy: false };
  const app = flags.stub
    ? await routesAlone(root, db, client)
    : createHttpApp({ db, writer: new Writer(db.$client), logger: silentLogger, accessLog: { sample: 0 }, client });
  const tenant = createAppsService(db).create("bench");
  const keyHeaders = { "x-ck-api-key": tenant.apiKey, "x-ck-app": tenant.appId, "content-type": "application/json" };
  const basic = { authorization: `Basic ${Buffer.from(`${tenant.apiKey}:`).toString("base64")}`, "content-type": "application/json" };

  let n = 0;
  const customer = () => `cus_${(n * 7919) % 10_000}`;
  const data = () => ({ plan: "pro", size: n % 500, source: "web", n });
  const sign = (identity: string) => createHmac("sha256", tenant.signingSecret).update(identity).digest("hex");
  const tracks = (i: number) => ({ type: "track", userId: `u_${(n * 10 + i) % 10_000}`, event: "Report Exported", properties: data() });

  const routes: Record<string, () => { path: string; headers: Record<string, string>; body: unknown }> = {
    new: () => ({ path: "/v1/api/events/new", headers: keyHeaders, body: { event: "Post Created", customerId: customer(), eventData: data() } }),
    bulk: () => ({
      path: "/v1/api/events/bulk",
      headers: keyHeaders,
      body: Array.from({ length: 10 }, (_, i) => ({ event: "Post Created", customerId: `cus_${(n * 10 + i) % 10_000}`, eventData: data() })),
    }),
    update: () => ({ path: "/v1/api/events/customer-update", headers: keyHeaders, body: { customerId: customer(), customerData: { seats: n % 50 } } }),
    client: () => {
      const id = customer();
      const body = { appId: tenant.appId, event: "Clicked", customerId: id, authHash: sign(id), eventData: data() };
      return { path: "/v1/api/events/client", headers: { "content-type": "text/plain" }, body };
    },
    track: () => ({ path: "/v1/track", headers: basic, body: { userId: customer(), event: "Report Exported", properties: data(), context: { library: { name: "bench" } } } }),
    batch: () => ({ path: "/v1/batch", headers: basic, body: { batch: Array.from({ length: 10 }, (_, i) => tracks(i)) } }),
  };

  async function send(route: string): Promise<void> {
    n++;
    const { path, headers, body } = routes[route]!();
    const response = await app.handle(new Request(`http://localhost${path}`, { method: "POST", headers, body: JSON.stringify(body) }));
    if (response.status >= 300) throw new Error(`${route}: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  }
  return { root, send, close: () => db.$client.close(true) };
}

/** The write routes' plugins with writes that resolve at once: the routes' own cost. */
async function routesAlone(root: string, db: unknown, options: unknown) {
  const { Elysia } = await import("elysia");
  const { AppError, errorResponse } = await import(join(root, "src/errors.ts"));
  const { createAppsService } = await import(join(root, "src/apps/service.ts"));
  const { ingestRoutes } = await import(join(root, "src/ingest/index.ts"));
  const { clientRoutes } = await import(join(root, "src/client/index.ts"));
  const { segmentRoutes } = await import(join(root, "src/segment/index.ts"));
  const { silentLogger } = await import(join(root, "src/log.ts"));
  const result = { id: "evt_bench", duplicate: false, warnings: [] };
  const ingest = {
    recordEvents: async (_: string, events: unknown[]) => events.map(() => result),
    updateCustomer: async () => ({ customer: { customerId: "cus_bench" }, warnings: [] }),
    apply: async (command: { messages: unknown[] }) => command.messages.map(() => ({ duplicate: false, warnings: [] })),
    committed: () => {},
  };
  const clock = Date.now;
  const apps = createAppsService(db, clock);
  return new Elysia()
    .onError(({ error }) => (error instanceof AppError ? errorResponse(error) : undefined))
    .use(ingestRoutes({ apps, ingest, clock }))
    .use(clientRoutes({ apps, ingest, clock, options }))
    .use(segmentRoutes({ apps, ingest, db, clock, logger: silentLogger }));
}

const sides = [await contender(resolve(join(import.meta.dir, "..")), "this")];
if (flags.base) sides.unshift(await contender(resolve(flags.base), "base"));

/** One round of 64 concurrent requests: its CPU and wall µs. */
async function round(send: Send, route: string): Promise<{ cpu: number; wall: number }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, () => send(route)));
  const used = process.cpuUsage(cpu);
  return { cpu: used.user + used.system, wall: (performance.now() - started) * 1000 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const lines = sides.map((side) => `${side.root}:`);
for (const route of flags.routes.split(",")) {
  const rounds = Math.ceil(REQUESTS / CONCURRENCY);
  for (let i = 0; i < rounds / 4; i++) for (const side of sides) await round(side.send, route); // warm-up
  // Medians of rounds, and of each pair of neighbouring rounds' ratio: a slow moment of the
  // machine moves a few rounds, not the figure.
  const cpu = sides.map(() => [] as number[]);
  const wall = sides.map(() => [] as number[]);
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // Alternate which side goes first, so that neither always follows the other's flush.
    const order = i % 2 === 0 ? [...sides.keys()] : [...sides.keys()].reverse();
    for (const s of order) {
      const figures = await round(sides[s]!.send, route);
      cpu[s]!.push(figures.cpu / CONCURRENCY);
      wall[s]!.push(figures.wall / CONCURRENCY);
    }
    if (sides.length === 2) ratios.push(cpu[1]!.at(-1)! / cpu[0]!.at(-1)!);
  }
  sides.forEach((_, s) => (lines[s] += `  ${route} ${median(cpu[s]!).toFixed(1)} (${median(wall[s]!).toFixed(0)})`));
  if (sides.length === 2) lines.push(`  ${route}: this/base CPU ${median(ratios).toFixed(3)} (median of ${ratios.length} paired rounds)`);
}
console.log(`CPU µs per request (wall µs), medians of rounds of ${CONCURRENCY}\n${lines.join("\n")}`);

for (const side of sides) side.close();
rmSync(dir, { recursive: true, force: true });
