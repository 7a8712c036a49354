// The dashboard: one page app under /apps/:appId/…, served by trackd (src/dashboard/index.ts).
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { loadSession, useSession, type SessionInfo } from "./api";
import { CustomerPage } from "./pages/customer";
import { CustomersPage } from "./pages/customers";
import { EventsPage } from "./pages/events";
import { LivePage } from "./pages/live";
import { OverviewPage } from "./pages/overview";
import { SettingsPage } from "./pages/settings";
import { ErrorBox, Link, navigate, useLocation } from "./ui";

interface Route {
  appId: string;
  page: "overview" | "customers" | "customer" | "live" | "events" | "settings";
  customerId?: string;
}

export function parseRoute(path: string): Route | null {
  const [, apps, appId, page, customerId] = new URL(path, location.origin).pathname.split("/").map(decodeURIComponent);
  if (apps !== "apps" || !appId) return null;
  if (!page) return { appId, page: "overview" };
  if (page === "customers" && customerId) return { appId, page: "customer", customerId };
  if (page === "customers" || page === "live" || page === "events" || page === "settings") return { appId, page };
  return null;
}

const NAV: [Route["page"], string, string][] = [
  ["overview", "Overview", ""],
  ["customers", "Customers", "/customers"],
  ["live", "Live", "/live"],
  ["events", "Events", "/events"],
  ["settings", "Settings", "/settings"],
];

function Shell() {
  const path = useLocation();
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    loadSession().then(setSession, setError);
  }, []);
  if (error) return <ErrorBox error={error} />;
  if (!session) return <div class="loading">Loading…</div>;
  const route = parseRoute(path);
  const app = route && session.apps.find((a) => a.appId === route.appId);
  if (!route || !app) {
    const first = session.apps[0];
    if (first && !route) {
      navigate(`/apps/${first.appId}`, true);
      return null;
    }
    return <ErrorBox error={new Error(first ? `no app with id ${route?.appId}: pick one above` : "no app yet: create one with `trackd apps create --name NAME`")} />;
  }
  useSession(session, app.appId);
  const admin = session.user.role === "admin";
  const base = `/apps/${encodeURIComponent(app.appId)}`;
  const active = route.page === "customer" ? "customers" : route.page;
  return (
    <>
      <header class="top">
        <span class="brand">trackd</span>
        <select aria-label="App" value={app.appId} onChange={(e) => navigate(`/apps/${encodeURIComponent((e.target as HTMLSelectElement).value)}`)}>
          {session.apps.map((a) => (
            <option value={a.appId}>{a.name}</option>
          ))}
        </select>
        <nav>
          {NAV.filter(([page]) => page !== "settings" || admin).map(([page, label, suffix]) => (
            <Link href={base + suffix} class={page === active ? "active" : ""}>
              {label}
            </Link>
          ))}
        </nav>
        <form class="who" method="post" action="/logout">
          <span title={session.user.role}>{session.user.email}</span>
          <input type="hidden" name="csrf" value={session.csrf} />
          <button type="submit" class="link">Sign out</button>
        </form>
      </header>
      <main key={app.appId + route.page}>
        <Page route={route} session={session} admin={admin} />
      </main>
    </>
  );
}

function Page(props: { route: Route; session: SessionInfo; admin: boolean }) {
  const { route, admin } = props;
  switch (route.page) {
    case "overview":
      return <OverviewPage appId={route.appId} />;
    case "customers":
      return <CustomersPage appId={route.appId} />;
    case "customer":
      return <CustomerPage appId={route.appId} customerId={route.customerId!} admin={admin} />;
    case "live":
      return <LivePage appId={route.appId} />;
    case "events":
      return <EventsPage appId={route.appId} />;
    case "settings":
      return admin ? <SettingsPage appId={route.appId} session={props.session} /> : <ErrorBox error={new Error("Settings are for admins")} />;
  }
}

render(<Shell />, document.getElementById("root")!);
