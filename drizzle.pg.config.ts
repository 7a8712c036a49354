// The PostgreSQL schema's migrations (issue 19), kept apart from SQLite's drizzle/ folder:
// `bunx drizzle-kit generate --config drizzle.pg.config.ts --name <descriptive>`.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.pg.ts",
  out: "./drizzle-pg",
});
