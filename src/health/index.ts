import { Elysia } from "elysia";
import type { Db } from "../db";

/** 200 when the database answers; load balancers and `docker` health checks poll this. */
export function healthRoutes(db: Db) {
  const ping = db.$client.prepare("select 1 as ok");
  return new Elysia({ name: "health" }).get("/healthz", ({ set }) => {
    try {
      ping.get();
      return { ok: true };
    } catch {
      set.status = 503;
      return { ok: false, error: { code: "SERVICE_UNAVAILABLE", message: "database is not answering" } };
    }
  });
}
