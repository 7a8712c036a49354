// The Store contract (contract.ts) on SQLite: a fresh migrated in-memory database per case.
import { openMigratedDatabase } from "../../src/db";
import { createSqliteStore } from "../../src/store/sqlite/store";
import { Writer } from "../../src/store/writer";
import { describeSqlite } from "../support/backend";
import { describeStoreContract } from "./contract";

describeStoreContract("SQLite", () => {
  const db = openMigratedDatabase(":memory:");
  const writer = new Writer(db);
  return {
    store: createSqliteStore({ db, writer, clock: () => Date.UTC(2026, 0, 15, 12) }),
    close() {
      writer.close();
      db.$client.close();
    },
  };
  // On the PostgreSQL run pg-store.test.ts runs the same contract on PostgreSQL: this one would only repeat the SQLite run.
}, describeSqlite);
