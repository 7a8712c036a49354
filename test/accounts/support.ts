// Signing in to the dashboard through the real routes, as a browser on the same origin does.
import { createAccountsService } from "../../src/accounts/service";
import type { Harness } from "../helpers";

export const PASSWORD = "correct horse battery";
/** What Chromium sends with a form post or fetch from one of our own pages. */
export const SAME_ORIGIN = { "sec-fetch-site": "same-origin", origin: "http://localhost" };

export async function createUser(h: Harness, email: string, role: "admin" | "viewer", password = PASSWORD) {
  return createAccountsService(h.store, () => h.clock.now).createUser(email, role, password);
}

export function login(h: Harness, email: string, password = PASSWORD, headers: Record<string, string> = SAME_ORIGIN) {
  return h.app.handle(
    new Request("http://localhost/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams({ email, password, next: "/apps/x/customers?q=a" }),
    }),
  );
}

/** The session cookie (name=value) after a successful sign-in, and its CSRF token. */
export async function signIn(h: Harness, email: string, role: "admin" | "viewer") {
  await createUser(h, email, role);
  const response = await login(h, email);
  if (response.status !== 303) throw new Error(`sign-in failed: ${response.status}`);
  const cookie = response.headers.get("set-cookie")!.split(";")[0]!;
  const me = await h.app.handle(new Request("http://localhost/dashboard/api/session", { headers: { cookie } }));
  const { csrf } = (await me.json()) as { csrf: string };
  return { cookie, csrf };
}
