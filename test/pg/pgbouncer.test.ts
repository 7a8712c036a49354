// trackd behind PgBouncer in transaction pool mode (the --db URL's ?pooler=transaction): its
// migrations, CLI commands and `serve` all go through the pooler, whose two server
// connections take turns serving each client's transactions. Ingest and reads work; LISTEN is
// not used (it would hear nothing there), so a key revoked through another connection reaches
// the node by the version poll, within --pg-cache-poll.
import { afterEach, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import postgres from "postgres";
import { trackdAsync } from "../support/cli";
import { startBouncer, describeBouncer } from "../support/pgbouncer";
import { freshDatabase } from "../support/postgres";
import { freePort, startTrackd } from "../support/process";

const POLL_MS = 300;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describeBouncer("trackd behind PgBouncer in transaction mode", () => {
  test("migrate, CLI, ingest and reads through the pooler; a key revoked elsewhere is refused within the poll bound", async () => {
    // An empty database: trackd's first command migrates it, through the pooler.
    const { url, drop } = await freshDatabase();
    cleanups.push(drop);
    const bouncer = await startBouncer();
    cleanups.push(() => bouncer.stop());
    const pooled = `${bouncer.through(url)}?pooler=transaction`;
    const cli = async (args: string[]) => {
      const result = await trackdAsync([...args, "--db", pooled], { cwd: tmpdir() });
      if (result.code !== 0) throw new Error(`trackd ${args.join(" ")}: ${result.stderr}`);
      return result.stdout;
    };
    const app = JSON.parse(await cli(["apps", "create", "--name", "Acme", "--json"]));
    const doomed = JSON.parse(await cli(["keys", "create", "--app", app.appId, "--scope", "ingest", "--json"]));

    const port = freePort();
    const node = await startTrackd(pooled, port, ["--pg-cache-poll", String(POLL_MS), "--pg-pool", "4"]);
    cleanups.push(async () => void node.kill("SIGKILL"));
    const base = `http://127.0.0.1:${port}`;
    const call = (method: string, path: string, body?: unknown, apiKey = app.apiKey) =>
      fetch(`${base}${path}`, {
        method,
        headers: { "x-ck-api-key": apiKey, "x-ck-app": app.appId, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    // Ingest: single events in parallel (batches of several transactions' worth) and a bulk request.
    const singles = await Promise.all(
      Array.from({ length: 40 }, (_, n) => call("POST", "/v1/api/events/new", { event: "Login", customerId: `cus_${n % 4}`, user: { uid: `u${n % 3}` }, messageId: `m${n}` })),
    );
    expect(singles.map((response) => response.status)).toEqual(Array(40).fill(201));
    const bulk = await call("POST", "/v1/api/events/bulk", Array.from({ length: 30 }, (_, n) => ({ event: "Export", customerId: `cus_${n % 4}`, messageId: `b${n}` })));
    expect(bulk.status).toBe(201);
    // A re-send is still a duplicate through the pooler.
    expect(await (await call("POST", "/v1/api/events/new", { event: "Login", customerId: "cus_0", messageId: "m0" })).json()).toMatchObject({ duplicate: true });

    // Reads.
    const profile = await call("GET", "/v1/api/customers/cus_0");
    expect(profile.status).toBe(200);
    expect(await profile.json()).toMatchObject({ customerId: "cus_0", eventCount: 10 + 8 });

    // No LISTEN anywhere: the node polls.
    const direct = postgres(url, { max: 1, onnotice: () => {} });
    cleanups.push(() => direct.end());
    const listeners = await direct`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'listen%'`;
    expect(listeners[0]!.n).toBe(0);

    // The doomed key works (and is cached by the node), then is revoked by another connection
    // straight to PostgreSQL: the node refuses it within the poll bound.
    expect((await call("POST", "/v1/api/events/new", { event: "Warm", customerId: "w" }, doomed.apiKey)).status).toBe(201);
    await direct`UPDATE api_keys SET revoked_at = ${Date.now()} WHERE id = ${doomed.keyId}`;
    const revokedAt = performance.now();
    let status = 0;
    while (performance.now() - revokedAt < POLL_MS + 5_000) {
      status = (await call("POST", "/v1/api/events/new", { event: "Late", customerId: "w" }, doomed.apiKey)).status;
      if (status === 401) break;
      await Bun.sleep(20);
    }
    expect(status).toBe(401);

    // Everything acknowledged is stored once.
    const [stored] = await direct`SELECT count(*)::int AS n, count(DISTINCT message_id)::int AS ids FROM events WHERE message_id IS NOT NULL`;
    expect(stored).toEqual({ n: 70, ids: 70 });
  }, 60_000);
});
