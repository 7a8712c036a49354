// The Store contract (contract.ts) on PostgreSQL: a fresh migrated database per case (a copy of
// the migrated template, test/support/postgres.ts), the store as the server builds it. Skipped
// without a cluster (TRACKD_TEST_PG_URL).
import { openPostgres } from "../../src/db/postgres";
import { createPgStore } from "../../src/store/pg/store";
import { describePg, freshDatabase } from "../support/postgres";
import { describeStoreContract } from "./contract";

describeStoreContract(
  "PostgreSQL",
  async () => {
    const { url, drop } = await freshDatabase({ migrated: true });
    const store = await createPgStore({ db: openPostgres(url, { max: 4 }), clock: () => Date.UTC(2026, 0, 15, 12) });
    return {
      store,
      async close() {
        await store.close();
        await drop();
      },
    };
  },
  describePg,
);
