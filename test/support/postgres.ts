// PostgreSQL for tests: TRACKD_TEST_PG_URL names a cluster (.ci/postgres.sh starts one; .ci/run
// always does). TRACKD_TEST_BACKEND=postgres runs the whole suite on it (./backend.ts), and the
// PostgreSQL-only tests (describePg) with it; they show as skipped on the SQLite run, which
// would only repeat them. The postgres run without a cluster is a failure, not a smaller suite.
import { describe } from "bun:test";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { closePostgres, migratePostgres, openPostgres } from "../../src/db/postgres";
import { BACKEND } from "./backend";

export const PG_URL = process.env.TRACKD_TEST_PG_URL;

if (!PG_URL && BACKEND === "postgres") throw new Error("TRACKD_TEST_BACKEND=postgres without TRACKD_TEST_PG_URL: start a cluster with .ci/postgres.sh (README, Development)");

/** `describe` on the PostgreSQL run (TRACKD_TEST_BACKEND=postgres), else `describe.skip` (the tests show as skipped). */
export const describePg = BACKEND === "postgres" ? describe : describe.skip;

export interface TestDatabase {
  url: string;
  drop: () => Promise<void>;
}

async function withAdmin<T>(work: (admin: postgres.Sql) => Promise<T>): Promise<T> {
  if (!PG_URL) throw new Error("TRACKD_TEST_PG_URL is not set");
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

function urlOf(name: string): string {
  const url = new URL(PG_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A database of its own for one test, dropped by `drop()`: no test sees another's rows. Empty,
 * or with `migrated`, a copy of a template that holds the current drizzle-pg/ migrations
 * (copying is faster than migrating each time).
 */
export async function freshDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const template = options.migrated ? await migratedTemplate() : null;
  const name = `trackd_test_${crypto.randomUUID().replaceAll("-", "")}`;
  await withAdmin((admin) => admin.unsafe(`create database ${name}${template ? ` template ${template}` : ""}`));
  return {
    url: urlOf(name),
    // WITH (FORCE) ends connections a failed test may have left open (PostgreSQL 13+).
    drop: () => withAdmin((admin) => admin.unsafe(`drop database if exists ${name} with (force)`)).then(() => {}),
  };
}

// setup()'s databases: the next one is copied from the template while the current test runs,
// and a finished test's database is dropped in the background (about 0.2 s and 0.05 s each
// here, a large part of a PostgreSQL test's time otherwise). settleDatabases() (the global
// afterAll of ./preload.ts) waits for the drops and drops the spare, so a run leaves nothing.
let spare: Promise<TestDatabase> | undefined;
const dropping = new Set<Promise<void>>();

function prepareSpare(): void {
  spare = freshDatabase({ migrated: true });
  spare.catch(() => {}); // a failure is reported to the setup() that takes it
}

export async function harnessDatabase(): Promise<TestDatabase> {
  const next = spare ?? freshDatabase({ migrated: true });
  prepareSpare();
  const database = await next;
  return {
    url: database.url,
    drop: async () => {
      const dropped = database.drop().finally(() => dropping.delete(dropped));
      dropping.add(dropped);
    },
  };
}

export async function settleDatabases(): Promise<void> {
  const last = spare;
  spare = undefined;
  if (last) await (await last).drop();
  await Promise.all(dropping);
}

// Named after the migrations' content, so a template is built once per set of migrations and
// a stale one is never used. Built under a name of its own and renamed when complete, under a
// lock, so concurrent test processes and interrupted runs never copy a half-migrated one.
const MIGRATIONS = join(import.meta.dir, "..", "..", "drizzle-pg");
let template: Promise<string> | undefined;

function migratedTemplate(): Promise<string> {
  template ??= withAdmin(async (admin) => {
    const hash = createHash("sha256");
    for (const file of readdirSync(MIGRATIONS, { recursive: true }).map(String).sort()) {
      if (file.endsWith(".sql") || file.endsWith(".json")) hash.update(file).update(readFileSync(join(MIGRATIONS, file)));
    }
    const name = `trackd_template_${hash.digest("hex").slice(0, 16)}`;
    await admin`select pg_advisory_lock(hashtext('trackd test template'))`;
    const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
    if (!exists) {
      await admin.unsafe(`drop database if exists ${name}_building with (force)`);
      await admin.unsafe(`create database ${name}_building`);
      const db = openPostgres(urlOf(`${name}_building`));
      try {
        await migratePostgres(db);
      } finally {
        await closePostgres(db);
      }
      await admin.unsafe(`alter database ${name}_building rename to ${name}`);
    }
    await admin`select pg_advisory_unlock(hashtext('trackd test template'))`;
    return name;
  });
  return template;
}
