// The read half of the Store (../../types.ts) on PostgreSQL: one module per table group, each
// saying its SQL style. The final PostgreSQL store is the applier (../applier.ts) plus these,
// with a cross-node cache in front of the credentials reads.
import type { PgDb } from "../../../db/postgres";
import type { Store } from "../../types";
import { createPgAccountReads } from "./accounts";
import { createPgBillingReads } from "./billing";
import { createPgCountReads } from "./counts";
import { createPgCredentialsReads } from "./credentials";
import { createPgCustomerListReads } from "./customer-list";
import { createPgCustomerReads } from "./customers";
import { createPgEventReads } from "./events";
import { createPgExportReads } from "./export";
import { createPgDatabaseProbe } from "./probe";
import { createPgRetentionReads } from "./retention";
import { createPgScoreReads } from "./scores";

export type StoreReads = Omit<Store, "apply" | "queue">;

export function createPgReads(db: PgDb): StoreReads {
  const sql = db.$client;
  return {
    credentials: createPgCredentialsReads(db),
    accounts: createPgAccountReads(db),
    customers: createPgCustomerReads(db),
    customerList: createPgCustomerListReads(db),
    events: createPgEventReads(db),
    counts: createPgCountReads(db),
    billing: createPgBillingReads(db),
    scores: createPgScoreReads(sql),
    export: createPgExportReads(sql),
    retention: createPgRetentionReads(sql),
    database: createPgDatabaseProbe(sql),
  };
}
