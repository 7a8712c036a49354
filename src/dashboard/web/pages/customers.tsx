// Customers: the list with the API's search, sorts and filters, one page at a time. The filters
// live in the URL, so a filtered list can be linked to and survives a reload.
import { useState } from "preact/hooks";
import { api, qs, type CustomerList } from "../api";
import { money, num } from "../format";
import { Empty, Grade, navigate, Show, Time, useLoad, useLocation } from "../ui";
import { CustomerLink, FirstEvent } from "./overview";

const FILTERS = ["q", "sort", "health", "status", "plan", "activeSince", "inactiveSince", "event"] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

const SORTS: [string, string][] = [
  ["-lastSeen", "Last seen, newest"],
  ["lastSeen", "Last seen, oldest"],
  ["-eventCount", "Most events"],
  ["health", "Health, worst first"],
  ["-health", "Health, best first"],
  ["-mrr", "MRR, highest"],
  ["-firstSeen", "Newest customers"],
  ["customerId", "Customer id"],
];
const STATUSES = ["active", "trialing", "past_due", "unpaid", "paused", "incomplete", "canceled", "incomplete_expired"];

function filtersOf(search: string): Filters {
  const params = new URLSearchParams(search);
  const filters: Filters = {};
  for (const key of FILTERS) {
    const value = params.get(key);
    if (value) filters[key] = value;
  }
  return filters;
}

export function CustomersPage(props: { appId: string }) {
  const path = useLocation();
  const filters = filtersOf(new URL(path, location.origin).search);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const key = JSON.stringify(filters);
  const [loaded] = useLoad(() => api<CustomerList>(`/v1/api/customers${qs({ ...filters, limit: 50, cursor })}`), [props.appId, key, cursor]);
  const set = (change: Filters) => {
    setCursors([]);
    const next = { ...filters, ...change };
    navigate(`/apps/${encodeURIComponent(props.appId)}/customers${qs(next)}`, true);
  };
  const filtered = Object.keys(filters).some((k) => k !== "sort");
  const params = new URL(path, location.origin).searchParams;
  const erased = params.get("erased");
  return (
    <>
      <div class="page-head">
        <h1>Customers</h1>
      </div>
      {erased && (
        <div class="notice" role="status">
          Erased {erased} and its {num(Number(params.get("events")))} events.
        </div>
      )}
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          set(Object.fromEntries(FILTERS.map((k) => [k, String(form.get(k) ?? "") || undefined])) as Filters);
        }}
      >
        <input name="q" type="search" placeholder="Search id, email or name" value={filters.q ?? ""} aria-label="Search" />
        <select name="sort" aria-label="Sort" value={filters.sort ?? "-lastSeen"} onChange={(e) => set({ sort: (e.target as HTMLSelectElement).value })}>
          {SORTS.map(([value, label]) => (
            <option value={value}>{label}</option>
          ))}
        </select>
        <select name="health" aria-label="Health" value={filters.health ?? ""} onChange={(e) => set({ health: (e.target as HTMLSelectElement).value || undefined })}>
          <option value="">Any health</option>
          <option value="healthy">Healthy</option>
          <option value="watch">Watch</option>
          <option value="at_risk">At risk</option>
        </select>
        <select name="status" aria-label="Subscription status" value={filters.status ?? ""} onChange={(e) => set({ status: (e.target as HTMLSelectElement).value || undefined })}>
          <option value="">Any subscription</option>
          {STATUSES.map((s) => (
            <option value={s}>{s.replace("_", " ")}</option>
          ))}
        </select>
        <input name="plan" placeholder="Plan (price id)" value={filters.plan ?? ""} aria-label="Plan" />
        <input name="event" placeholder="Did event…" value={filters.event ?? ""} aria-label="Did event" />
        <label class="inline">
          Active since <input name="activeSince" type="date" value={filters.activeSince ?? ""} />
        </label>
        <label class="inline">
          Inactive since <input name="inactiveSince" type="date" value={filters.inactiveSince ?? ""} />
        </label>
        <button type="submit">Apply</button>
        {filtered && (
          <button type="button" class="link" onClick={() => set(Object.fromEntries(FILTERS.filter((k) => k !== "sort").map((k) => [k, undefined])))}>
            Clear filters
          </button>
        )}
      </form>
      <Show loaded={loaded}>
        {(page) =>
          page.customers.length === 0 ? (
            filtered || cursor ? (
              <Empty title="No customer matches">Loosen a filter, or clear them all.</Empty>
            ) : (
              <FirstEvent appId={props.appId} />
            )
          ) : (
            <>
              <table class="list">
                <thead>
                  <tr>
                    <th>Customer</th>
                    <th>Plan</th>
                    <th class="num">MRR</th>
                    <th>Health</th>
                    <th>Last seen</th>
                    <th class="num">Events, 30 days</th>
                    <th class="num">Users</th>
                  </tr>
                </thead>
                <tbody>
                  {page.customers.map((c) => (
                    <tr>
                      <td>
                        <CustomerLink appId={props.appId} row={c} />
                      </td>
                      <td>{c.plan ?? <span class="muted">—</span>}</td>
                      <td class="num">{money(c.mrr, c.currency)}</td>
                      <td>
                        <Grade grade={c.health?.grade} score={c.health?.score} />
                      </td>
                      <td>
                        <Time iso={c.lastSeen} />
                      </td>
                      <td class="num">{num(c.eventsLast30d)}</td>
                      <td class="num">{num(c.userCount)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div class="pager">
                <button disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
                  ← Previous
                </button>
                <span class="muted">Page {cursors.length + 1}</span>
                <button disabled={!page.nextCursor} onClick={() => page.nextCursor && setCursors([...cursors, page.nextCursor])}>
                  Next →
                </button>
              </div>
            </>
          )
        }
      </Show>
    </>
  );
}
