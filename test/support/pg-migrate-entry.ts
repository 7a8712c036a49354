// A compiled-binary stand-in for the PostgreSQL migration path (test/db/postgres-binary.test.ts):
// built with the same flags as `bun run build`, it migrates the database named on its command
// line from the drizzle-pg/ folder embedded with --asset, as trackd's binary will once serve
// accepts PostgreSQL.
import { closePostgres, migratePostgres, openPostgres } from "../../src/db/postgres";

const db = openPostgres(process.argv[2]!);
try {
  await migratePostgres(db);
  console.log(JSON.stringify({ standalone: Bun.isStandaloneExecutable }));
} finally {
  await closePostgres(db);
}
