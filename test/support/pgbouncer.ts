// PgBouncer for tests: a throw-away pgbouncer in transaction pool mode in front of the test
// cluster (TRACKD_TEST_PG_URL), on a free loopback port. Debian's `pgbouncer` package provides
// the binary. Without it the tests that need one are reported as skipped, with the reason in
// their name; under CI a missing binary is a failure, as a missing cluster is
// (support/postgres.ts).
import { describe } from "bun:test";
import type { Subprocess } from "bun";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PG_URL } from "./postgres";
import { freePort } from "./process";

export const PGBOUNCER = Bun.which("pgbouncer") ?? ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].find((path) => Bun.file(path).size > 0);

if (PG_URL && !PGBOUNCER && process.env.CI) throw new Error("CI without a pgbouncer binary: .ci/run installs Debian's pgbouncer package");

/** `describe` when a cluster and pgbouncer are both there; else skipped, saying why. */
export function describeBouncer(name: string, body: () => void): void {
  if (!PG_URL) return describe.skip(`${name} (skipped: no TRACKD_TEST_PG_URL)`, body);
  if (!PGBOUNCER) return describe.skip(`${name} (skipped: no pgbouncer binary; apt-get install pgbouncer)`, body);
  describe(name, body);
}

export interface Bouncer {
  /** `url`'s database through the pooler: same user and database name, the pooler's port. */
  through(url: string): string;
  stop(): Promise<void>;
}

/**
 * Starts pgbouncer in transaction mode with `poolSize` server connections per database (few, so
 * that consecutive transactions of one client land on different server sessions), forwarding
 * every database name to the test cluster as its own user. PgBouncer refuses to run as root:
 * as root it runs as the `postgres` user (as .ci/postgres.sh runs the cluster).
 */
export async function startBouncer(poolSize = 2): Promise<Bouncer> {
  const cluster = new URL(PG_URL!);
  const dir = mkdtempSync("/tmp/trackd-pgbouncer-");
  chmodSync(dir, 0o777);
  const root = process.getuid?.() === 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = freePort();
    const config = join(dir, "pgbouncer.ini");
    writeFileSync(
      config,
      [
        "[databases]",
        `* = host=${cluster.hostname} port=${cluster.port} user=${decodeURIComponent(cluster.username)}`,
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        `listen_port = ${port}`,
        "unix_socket_dir =",
        // Anyone on loopback, logged in as the database's configured user: a test cluster trusts loopback too.
        "auth_type = any",
        "pool_mode = transaction",
        `default_pool_size = ${poolSize}`,
        "max_client_conn = 200",
        `logfile = ${join(dir, "pgbouncer.log")}`,
        `pidfile = ${join(dir, "pgbouncer.pid")}`,
      ].join("\n"),
    );
    chmodSync(config, 0o644);
    const proc: Subprocess = Bun.spawn(root ? ["runuser", "-u", "postgres", "--", PGBOUNCER!, config] : [PGBOUNCER!, config], {
      stdout: "ignore",
      stderr: "pipe",
    });
    if (await listening(port, proc)) {
      return {
        through(url) {
          const target = new URL(url);
          target.hostname = "127.0.0.1";
          target.port = String(port);
          return target.toString();
        },
        async stop() {
          proc.kill("SIGTERM");
          await proc.exited;
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    proc.kill("SIGKILL");
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error("pgbouncer did not start on any of five ports");
}

async function listening(port: number, proc: Subprocess): Promise<boolean> {
  for (let i = 0; i < 100 && proc.exitCode === null; i++) {
    try {
      const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      socket.end();
      return true;
    } catch {
      await Bun.sleep(50);
    }
  }
  return false;
}
