import { Elysia } from "elysia";
import type { DatabaseProbe } from "../store/types";

/** 200 when the database answers; load balancers and `docker` health checks poll this. */
export function healthRoutes(probe: DatabaseProbe) {
  return new Elysia({ name: "health" }).get("/healthz", async ({ set }) => {
    try {
      await probe.ping();
      return { ok: true };
    } catch {
      set.status = 503;
      return { ok: false, error: { code: "SERVICE_UNAVAILABLE", message: "database is not answering" } };
    }
  });
}
