// The dashboard's only way to the server: the same read routes API keys use, authorised by the
// session cookie (HttpOnly: this code never sees it) plus the app id. Response types come from
// the server's own route definitions, so a changed field breaks `bun run typecheck` here.
import type { App } from "../../app";

type Routes = App["~Routes"];
type Api = Routes["v1"]["api"];
export type CustomerList = Api["customers"]["get"]["response"][200];
export type CustomerRow = CustomerList["customers"][number];
export type Profile = Api["customers"][":customerId"]["get"]["response"][200];
export type Timeline = Api["customers"][":customerId"]["timeline"]["get"]["response"][200];
export type Activity = Api["customers"][":customerId"]["activity"]["get"]["response"][200];
export type EventMetrics = Api["metrics"]["events"]["get"]["response"][200];
export type BillingMetrics = Api["metrics"]["billing"]["get"]["response"][200];
export type EventNames = Api["events"]["names"]["get"]["response"][200];
export type Erased = Api["customers"][":customerId"]["delete"]["response"][200];
export type Settings = Api["settings"]["get"]["response"][200];
export type KeyList = Api["keys"]["get"]["response"][200];
export type CreatedKey = Api["keys"]["post"]["response"][200];
export type UserList = Routes["dashboard"]["api"]["users"]["get"]["response"][200];
export type CreatedApp = Routes["dashboard"]["api"]["apps"]["post"]["response"][200];
export type SessionInfo = Routes["dashboard"]["api"]["session"]["get"]["response"][200];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

let csrf = "";
let appId = "";

export function useSession(session: SessionInfo, app: string): void {
  csrf = session.csrf;
  appId = app;
}

export function currentApp(): string {
  return appId;
}

/** The query string of the defined values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { "x-ck-app": appId, accept: "application/json" };
  if (init.method && init.method !== "GET") headers["x-csrf-token"] = csrf;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), credentials: "same-origin" });
  if (response.status === 401) {
    // The session ended (idle, signed out elsewhere): back to the sign-in page, then here again.
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, "UNAUTHORIZED", "signed out");
  }
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const error = (body as { error?: { code: string; message: string; details?: { path: string; message: string }[] } } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? "HTTP", error?.message ?? `${response.status} ${response.statusText}`, error?.details);
  }
  return body as T;
}

export async function loadSession(): Promise<SessionInfo> {
  // The page shell carries it; asked for only if it is missing.
  const inline = document.getElementById("session")?.textContent;
  if (inline) return JSON.parse(inline) as SessionInfo;
  const response = await fetch("/dashboard/api/session", { credentials: "same-origin" });
  if (response.status === 401) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, "UNAUTHORIZED", "signed out");
  }
  return (await response.json()) as SessionInfo;
}
