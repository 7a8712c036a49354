// Helpers for the Segment routes' tests: Segment's auth, and a poster per route.
import type { Harness, Tenant } from "../helpers";

/** `Authorization: Basic base64("KEY:")`, as Segment's SDKs send the write key. */
export function basicAuth(writeKey: string, password = ""): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${writeKey}:${password}`).toString("base64")}` };
}

export function segment(h: Harness) {
  return {
    /** POST /v1/batch with the tenant's key as the write key. */
    batch: (as: Tenant, batch: unknown[], extra: Record<string, unknown> = {}) =>
      h.call("POST", "/v1/batch", { headers: basicAuth(as.apiKey), body: { batch, ...extra } }),
    /** POST /v1/<route> with one message. */
    send: (as: Tenant, route: string, message: Record<string, unknown>) =>
      h.call("POST", `/v1/${route}`, { headers: basicAuth(as.apiKey), body: message }),
    profile: async (as: Tenant, id: string, by?: "uid") => {
      const res = await h.get(`/v1/api/customers/${encodeURIComponent(id)}${by ? `?by=${by}` : ""}`, as);
      if (res.status !== 200) throw new Error(`profile ${id}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    events: async (as: Tenant) => (await h.get("/v1/api/events?limit=1000", as)).body.events,
  };
}

export const SUCCESS = { success: true };
