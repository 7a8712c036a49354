// PostgreSQL for tests: TRACKD_TEST_PG_URL names a cluster (.ci/postgres.sh starts one; .ci/run
// always does). Without it the PostgreSQL tests are reported as skipped, except under CI, where
// a missing cluster is a failure rather than a quietly smaller suite.
import { describe } from "bun:test";
import postgres from "postgres";

export const PG_URL = process.env.TRACKD_TEST_PG_URL;

if (!PG_URL && process.env.CI) throw new Error("CI without TRACKD_TEST_PG_URL: .ci/run starts a cluster with .ci/postgres.sh");

/** `describe` when a cluster is available, else `describe.skip` (the tests show as skipped). */
export const describePg = PG_URL ? describe : describe.skip;

/** A database of its own for one test, dropped by `drop()`: no test sees another's rows. */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!PG_URL) throw new Error("TRACKD_TEST_PG_URL is not set");
  const name = `trackd_test_${crypto.randomUUID().replaceAll("-", "")}`;
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
      try {
        // WITH (FORCE) ends connections a failed test may have left open (PostgreSQL 13+).
        await admin.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end();
      }
    },
  };
}
