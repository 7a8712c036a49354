// A migrated database whose default collation is a language's (ICU en-US: "a" < "B", accents
// folded at the first level), not the C.UTF-8 of the test cluster, whose code-point order
// equals SQLite's byte order and would hide a missing COLLATE "C". Test-only; migrated here
// rather than copied from the shared template, which carries the cluster's collation.
import postgres from "postgres";
import { closePostgres, migratePostgres, openPostgres } from "../../../src/db/postgres";
import { PG_URL, type TestDatabase } from "../../support/postgres";

export async function languageCollatedDatabase(): Promise<TestDatabase> {
  const name = `trackd_test_icu_${crypto.randomUUID().replaceAll("-", "")}`;
  const url = new URL(PG_URL!);
  url.pathname = `/${name}`;
  const admin = () => postgres(PG_URL!, { max: 1, onnotice: () => {} });
  const create = admin();
  try {
    await create.unsafe(`create database ${name} template template0 encoding 'UTF8' locale_provider icu icu_locale 'en-US' locale 'C.UTF-8'`);
  } finally {
    await create.end();
  }
  const db = openPostgres(url.toString());
  try {
    await migratePostgres(db);
  } finally {
    await closePostgres(db);
  }
  return {
    url: url.toString(),
    async drop() {
      const drop = admin();
      try {
        await drop.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await drop.end();
      }
    },
  };
}
