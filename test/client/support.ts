// Shared by the browser-route tests: signing done independently of src/ (node:crypto directly),
// and a caller that sends what a browser sends (text/plain, an Origin).
import { createHmac } from "node:crypto";
import type { Harness, Tenant } from "../helpers";

export const CLIENT = "/v1/api/events/client";
export const PAGE_ORIGIN = "https://app.acme.test";

export function sign(tenant: Tenant, identity: string): string {
  return createHmac("sha256", tenant.signingSecret).update(identity).digest("hex");
}

export function sendClient(h: Harness, body: unknown, headers: Record<string, string> = {}) {
  return h.call("POST", CLIENT, { body, headers: { "content-type": "text/plain;charset=UTF-8", origin: PAGE_ORIGIN, ...headers } });
}

/** The stored events; `verified` as 0/1 on both backends (a boolean column on PostgreSQL). */
export async function storedEvents(h: Harness) {
  const rows = await h.sql.all<{ event: string; source: string; verified: number | boolean; messageId: string | null }>('select event, source, verified, message_id as "messageId" from events order by seq');
  return rows.map((row) => ({ ...row, verified: Number(row.verified) }));
}
