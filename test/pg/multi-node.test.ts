// Three `trackd serve` processes (the compiled binary under TRACKD_TEST_BINARY, else the source)
// on one PostgreSQL database, as behind a load balancer (issue 19):
// - ingest spread round-robin over the nodes, single events and bulk batches, with deliberate
//   re-sends of the same messageIds to a different node at the same time;
// - one node SIGKILLed mid-load: whatever any node acknowledged is stored, exactly once;
// - every write-time count equals a GROUP BY over the stored events;
// - a key revoked through one node is refused by the others within --pg-cache-poll.
import { afterEach, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { tmpdir } from "node:os";
import { closePostgres, openPostgres } from "../../src/db/postgres";
import { trackdAsync } from "../support/cli";
import { describePg, freshDatabase } from "../support/postgres";
import { freePort, startTrackd } from "../support/process";
import { expectCountsMatchEvents } from "../store/pg/support";

const POLL_MS = 300;
const MESSAGES = 600;
const CHUNK = 10;
const IN_FLIGHT = 12;
const DAY = 86_400_000;
const NOW = Date.now();

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Sent {
  node: number;
  ids: (string | undefined)[];
  messageIds: string[];
}

/** Message n is always the same event, whichever node it goes to. */
function message(n: number) {
  const k = n % 15;
  return {
    event: ["Login", "Report Created", "Export"][n % 3],
    ...[{ customerId: `c${k}` }, { uid: `u${k}` }, { customerId: `c${k}`, uid: `u${k}` }][n % 3],
    user: n % 4 === 0 ? { uid: `user${n % 7}` } : undefined,
    eventDate: NOW - (n % 5) * DAY,
    messageId: `m-${n}`,
  };
}

/** The answer's body if the node acknowledged the write (2xx, body read whole); undefined if it failed or died first. */
async function acknowledgement(request: Promise<Response>): Promise<unknown> {
  try {
    const response = await request;
    return response.status < 300 ? await response.json() : undefined;
  } catch {
    return undefined;
  }
}

describePg("three trackd nodes on one PostgreSQL database", () => {
  test("re-sends across nodes and a node killed mid-load: every acknowledged event once, counts equal to GROUP BY; a revoked key refused everywhere within the poll bound", async () => {
    const { url, drop } = await freshDatabase({ migrated: true });
    cleanups.push(drop);
    const cli = async (args: string[]) => {
      const result = await trackdAsync([...args, "--db", url], { cwd: tmpdir() });
      if (result.code !== 0) throw new Error(`trackd ${args.join(" ")}: ${result.stderr}`);
      return JSON.parse(result.stdout);
    };
    const app = await cli(["apps", "create", "--name", "Acme", "--json"]);
    const doomed = await cli(["keys", "create", "--app", app.appId, "--scope", "ingest", "--json"]);

    const ports = [freePort(), freePort(), freePort()];
    const nodes: Subprocess[] = await Promise.all(ports.map((port) => startTrackd(url, port, ["--pg-cache-poll", String(POLL_MS), "--pg-pool", "4"])));
    cleanups.push(async () => nodes.forEach((node) => node.kill("SIGKILL")));
    const base = (node: number) => `http://127.0.0.1:${ports[node]}`;
    const post = (node: number, path: string, body: unknown, apiKey = app.apiKey) =>
      fetch(`${base(node)}${path}`, {
        method: "POST",
        headers: { "x-ck-api-key": apiKey, "x-ck-app": app.appId, "content-type": "application/json" },
        body: JSON.stringify(body),
      });

    // The revocation: the key works (and is cached) on nodes 1 and 2, is revoked through node 0,
    // and both refuse it within the poll bound (LISTEN/NOTIFY usually makes it milliseconds).
    for (const node of [1, 2]) expect((await post(node, "/v1/api/events/new", { event: "Warm", customerId: "w", messageId: `warm-${node}` }, doomed.apiKey)).status).toBe(201);
    const revoked = await fetch(`${base(0)}/v1/api/keys/${doomed.keyId}`, { method: "DELETE", headers: { "x-ck-api-key": app.apiKey, "x-ck-app": app.appId } });
    expect(revoked.status).toBe(200);
    const revokedAt = performance.now();
    for (const node of [1, 2]) {
      let status = 0;
      while (performance.now() - revokedAt < POLL_MS + 5_000) {
        status = (await post(node, "/v1/api/events/new", { event: "Late", customerId: "w" }, doomed.apiKey)).status;
        if (status === 401) break;
        await Bun.sleep(20);
      }
      expect({ node, status }).toEqual({ node, status: 401 });
    }
    // Any "Late" event accepted before the refusal was acknowledged: it is checked below like the rest.

    // The load: chunks round-robin, even chunks as one bulk request, odd ones as single events;
    // every third chunk also re-sent at once to the next node. Node 2 is killed half way.
    const sent: Sent[] = [];
    const jobs: (() => Promise<void>)[] = [];
    for (let first = 0; first < MESSAGES; first += CHUNK) {
      const chunk = first / CHUNK;
      const items = Array.from({ length: CHUNK }, (_, i) => message(first + i));
      const targets = chunk % 3 === 0 ? [chunk % 3, (chunk + 1) % 3] : [chunk % 3];
      for (const node of targets) {
        jobs.push(async () => {
          const record: Sent = { node, ids: [], messageIds: items.map((item) => item.messageId) };
          sent.push(record);
          if (chunk % 2 === 0) {
            record.ids = ((await acknowledgement(post(node, "/v1/api/events/bulk", items))) as { ids: string[] } | undefined)?.ids ?? [];
          } else {
            record.ids = await Promise.all(
              items.map(async (item) => ((await acknowledgement(post(node, "/v1/api/events/new", item))) as { id: string } | undefined)?.id),
            );
          }
        });
      }
    }
    const killAt = Math.floor(jobs.length / 2);
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < jobs.length) {
          const job = next++;
          if (job === killAt) nodes[2]!.kill("SIGKILL");
          await jobs[job]!();
        }
      }),
    );
    expect(await nodes[2]!.exited).not.toBe(0);

    // int8 as numbers, as the nodes read them (expectCountsMatchEvents compares numbers).
    const db = openPostgres(url, { max: 2 });
    cleanups.push(() => closePostgres(db));
    const sql = db.$client;
    const stored = new Map((await sql<{ messageId: string; id: string }[]>`SELECT message_id AS "messageId", id FROM events WHERE message_id IS NOT NULL`).map((row) => [row.messageId, row.id]));
    const [counts] = await sql<{ events: number; distinct: number }[]>`SELECT count(*)::int AS events, count(DISTINCT message_id)::int AS distinct FROM events`;
    // Exactly once: no messageId twice, and no event without one (every event sent had one, but the "Late" probes).
    expect(counts!.distinct).toBe(stored.size);
    const late = (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM events WHERE message_id IS NULL`)[0]!.n;
    expect(counts!.events).toBe(stored.size + late);

    // Every acknowledgement names the one stored event of its messageId.
    let acknowledged = 0;
    let lost = 0;
    for (const { ids, messageIds } of sent) {
      messageIds.forEach((messageId, i) => {
        const id = ids[i];
        if (id === undefined) return;
        acknowledged += 1;
        if (stored.get(messageId) !== id) lost += 1;
      });
    }
    expect({ lost }).toEqual({ lost: 0 });
    expect(acknowledged).toBeGreaterThan(MESSAGES / 2);
    // The killed node's unacknowledged share is the only thing missing: nodes 0 and 1 answered all theirs.
    const unanswered = sent.filter((record) => record.node !== 2 && record.messageIds.some((_, i) => record.ids[i] === undefined));
    expect(unanswered).toEqual([]);

    await expectCountsMatchEvents(sql);
    const [dupes] = await sql<{ n: number }[]>`
      SELECT (SELECT count(*) FROM (SELECT customer_id FROM customers WHERE customer_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d)
           + (SELECT count(*) FROM (SELECT uid FROM customers WHERE uid IS NOT NULL GROUP BY 1 HAVING count(*) > 1) u)
           + (SELECT count(*) FROM (SELECT customer_pk, uid FROM users GROUP BY 1, 2 HAVING count(*) > 1) s)::int AS n`;
    expect(Number(dupes!.n)).toBe(0);
  }, 120_000);
});
