// The naive baseline: the same route written the obvious way. One INSERT per request in its
// own transaction, synchronous=FULL, so every request pays for its own fsync.
import { Database } from "bun:sqlite";

const [port, path] = [Number(process.argv[2]), process.argv[3]];
const db = new Database(path, { create: true });
db.run("PRAGMA journal_mode = WAL");
db.run("PRAGMA synchronous = FULL");
db.run(`create table if not exists events (
  id text primary key, customer_id text not null, event text not null,
  event_date integer not null, event_data text)`);
db.run("create index if not exists events_customer on events (customer_id, event_date)");
const insert = db.prepare("insert into events values (?, ?, ?, ?, ?)");

Bun.serve({
  port,
  hostname: "127.0.0.1",
  async fetch(request) {
    if (request.method === "GET") return Response.json({ ok: true });
    const body = (await request.json()) as { event?: string; customerId?: string; eventData?: unknown };
    if (!body.event || !body.customerId) return Response.json({ error: "bad request" }, { status: 400 });
    const id = crypto.randomUUID();
    insert.run(id, body.customerId, body.event, Date.now(), JSON.stringify(body.eventData ?? null));
    return Response.json({ ok: true, id }, { status: 201 });
  },
});
