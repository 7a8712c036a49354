import { Elysia } from "elysia";
import type { Db } from "../db";
import { createDatabaseProbe } from "../store/database";

/** 200 when the database answers; load balancers and `docker` health checks poll this. */
export function healthRoutes(db: Db) {
  const probe = createDatabaseProbe(db);
  return new Elysia({ name: "health" }).get("/healthz", ({ set }) => {
    try {
      probe.ping();
      return { ok: true };
    } catch {
      set.status = 503;
      return { ok: false, error: { code: "SERVICE_UNAVAILABLE", message: "database is not answering" } };
    }
  });
}
