// Run-once background work on PostgreSQL (issue 19): with N nodes, the health-scoring pass and
// the retention purges must not run N times over. A lease row per job (schema.pg.ts `leases`):
// a node runs the job only if it can claim the row, i.e. the row is absent, expired, or already
// its own. While the job runs the holder renews the row every `renewMs` (expiry `ttlMs` ahead);
// when the job ends the row stays claimed for the job's interval (the cooldown), so the other
// nodes' timers skip until the next run is due, and the same node keeps doing it. If the holder
// dies, its row expires (ttlMs mid-run, the cooldown after) and the next node to try takes over.
//
// A row rather than an advisory lock: a session lock needs one connection held for the whole
// run, which a transaction-mode pooler (PgBouncer) cannot promise; each statement here is its own
// transaction. Times come from the database's clock, so the nodes' clocks need not agree.
//
// If a holder stalls past ttlMs without renewing (a frozen VM), another node may start the same
// job; the stalled one learns at its next renewal and stops (its signal aborts). Both jobs are
// safe to overlap briefly: scores are recomputed from counts, and purges delete what is past a
// horizon, so a second run finds less or nothing to do.
import { hostname } from "node:os";
import type { RunLease } from "../../background";
import type { PgDb } from "../../db/postgres";

export const DEFAULT_LEASE_TTL_MS = 60_000;

export interface PgLeaseOptions {
  /** This node's name in the row; unique per process by default. */
  holder?: string;
  ttlMs?: number;
  renewMs?: number;
}

const DB_NOW = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

export function createPgLease(db: PgDb, options: PgLeaseOptions = {}): RunLease & { holder: string } {
  const sql = db.$client;
  const holder = options.holder ?? `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const renewMs = options.renewMs ?? Math.floor(ttlMs / 3);

  async function claim(name: string): Promise<boolean> {
    const rows = await sql.unsafe(
      `insert into leases (name, holder, expires_at) values ($1, $2, ${DB_NOW} + $3)
       on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
       where leases.expires_at <= ${DB_NOW} or leases.holder = excluded.holder
       returning holder`,
      [name, holder, ttlMs],
    );
    return rows.length === 1;
  }

  /** Moves our row's expiry to `ms` from now; false when the row is no longer ours. */
  async function extend(name: string, ms: number): Promise<boolean> {
    const rows = await sql.unsafe(`update leases set expires_at = ${DB_NOW} + $3 where name = $1 and holder = $2 returning holder`, [name, holder, ms]);
    return rows.length === 1;
  }

  async function release(name: string): Promise<void> {
    await sql`delete from leases where name = ${name} and holder = ${holder}`;
  }

  return {
    holder,
    async tryRun(name, work, { cooldownMs, signal }) {
      if (signal.aborted || !(await claim(name))) return false;
      const lost = new AbortController();
      const renewal = setInterval(() => {
        extend(name, ttlMs).then(
          (ours) => ours || lost.abort(),
          () => {}, // the database unreachable: the next renewal retries, the row's expiry decides
        );
      }, renewMs);
      let finished = false;
      try {
        await work(AbortSignal.any([signal, lost.signal]));
        finished = !signal.aborted && !lost.signal.aborted;
      } finally {
        clearInterval(renewal);
        // A finished run keeps the row until the next is due; an aborted or failed one lets any
        // node take the job at once.
        if (finished) await extend(name, cooldownMs);
        else if (!lost.signal.aborted) await release(name).catch(() => {});
      }
      return true;
    },
  };
}
