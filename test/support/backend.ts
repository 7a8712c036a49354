// Which store the suite runs on: TRACKD_TEST_BACKEND=postgres (a cluster named by
// TRACKD_TEST_PG_URL, see ./postgres.ts) or sqlite, the default. Tests that are about one
// backend's own machinery say so with describeSqlite/testSqlite: they show as skipped on the
// other run, so a smaller suite is visible rather than silent.
import { describe, test } from "bun:test";

export type Backend = "sqlite" | "postgres";

function parseBackend(value: string | undefined): Backend {
  if (value === undefined || value === "" || value === "sqlite") return "sqlite";
  if (value === "postgres") return "postgres";
  throw new Error(`TRACKD_TEST_BACKEND=${value}: expected sqlite or postgres`);
}

export const BACKEND: Backend = parseBackend(process.env.TRACKD_TEST_BACKEND);

/** For tests about SQLite's own machinery (the group-commit writer, WAL sync, backup, the file): skipped on PostgreSQL. */
export const describeSqlite = BACKEND === "sqlite" ? describe : describe.skip;
export const testSqlite = BACKEND === "sqlite" ? test : test.skip;
