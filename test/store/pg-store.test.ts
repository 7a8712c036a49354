// The Store contract (contract.ts) on PostgreSQL: a fresh migrated database per case (a copy of
// the migrated template, test/support/postgres.ts), the store as the server builds it.
import { openPostgres } from "../../src/db/postgres";
import { createPgStore } from "../../src/store/pg/store";
import { describePg, freshDatabase, PG_URL } from "../support/postgres";
import { describeStoreContract } from "./contract";

if (PG_URL) {
  describeStoreContract("PostgreSQL", async () => {
    const { url, drop } = await freshDatabase({ migrated: true });
    const store = await createPgStore({ db: openPostgres(url, { max: 4 }), clock: () => Date.UTC(2026, 0, 15, 12) });
    return {
      store,
      async close() {
        await store.close();
        await drop();
      },
    };
  });
} else {
  describePg("PostgreSQL store contract", () => {});
}
