// One customer: header, health factors (biggest risk first), 90-day activity by event, feature
// adoption, B2B users, the timeline, attributes, subscriptions; admins can download the DSAR
// document and erase the customer.
import { useMemo, useState } from "preact/hooks";
import { api, ApiError, currentApp, qs, type Activity, type Erased, type Profile, type Timeline } from "../api";
import { Chart } from "../chart";
import { day, money, num, when } from "../format";
import { Card, ErrorBox, Grade, navigate, Show, Stat, Time, useLoad, useLocation } from "../ui";
import { daysAgo } from "./overview";

export function CustomerPage(props: { appId: string; customerId: string; admin: boolean }) {
  const path = useLocation();
  const by = new URL(path, location.origin).searchParams.get("by") ?? undefined;
  const base = `/v1/api/customers/${encodeURIComponent(props.customerId)}`;
  const [loaded] = useLoad(() => api<Profile>(`${base}${qs({ by })}`), [props.appId, props.customerId, by]);
  return (
    <Show loaded={loaded}>
      {(c) => {
        const name = typeof c.data.name === "string" ? c.data.name : (c.email ?? c.customerId ?? c.uid ?? "");
        const sub = c.subscription;
        return (
          <>
            <div class="page-head">
              <div>
                <h1>{name}</h1>
                <div class="ids muted">
                  {c.customerId && <code>customerId {c.customerId}</code>} {c.uid && <code>uid {c.uid}</code>} {c.email && <span>{c.email}</span>}
                </div>
              </div>
              {props.admin && <AdminActions base={base} by={by} name={name} appId={props.appId} />}
            </div>
            <div class="stats">
              <Stat label="Health" value={<Grade grade={c.health.grade} score={c.health.score} />} />
              <Stat label="Subscription" value={sub?.status ?? "none"} note={sub ? (sub.planName ?? sub.plan ?? "") : undefined} />
              <Stat label="MRR" value={sub ? money(sub.mrr, sub.currency) : "—"} />
              <Stat label="Customer since" value={day(sub?.startedAt ?? c.firstSeen ?? c.createdAt)} />
              <Stat label="Last seen" value={<Time iso={c.lastSeen} />} />
              <Stat label="Events, 30 days" value={num(c.eventsLast30d)} note={`${num(c.eventCount)} in all`} />
            </div>
            <div class="grid2">
              <Card title="Health factors, biggest risk first">
                <ul class="factors">
                  {[...c.health.factors]
                    .sort((a, b) => a.impact - b.impact)
                    .map((f) => (
                      <li class={f.impact < 0 ? "risk" : f.impact > 0 ? "good" : ""}>
                        <span class="impact">{f.value === null ? "n/a" : `${f.impact > 0 ? "+" : ""}${f.impact}`}</span>
                        <strong>{f.name}</strong> <span class="muted">weight {f.weight}</span>
                        <div>{f.explanation}</div>
                      </li>
                    ))}
                </ul>
              </Card>
              <ActivityCard base={base} by={by} names={c.eventCounts.map((e) => e.event)} />
            </div>
            <Card title="Feature adoption">
              {c.eventCounts.length === 0 ? (
                <p class="muted">No events from this customer yet.</p>
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th>Event</th>
                      <th class="num">7 days</th>
                      <th class="num">30 days</th>
                      <th class="num">All time</th>
                      <th>First seen</th>
                      <th>Last seen</th>
                    </tr>
                  </thead>
                  <tbody>
                    {c.eventCounts.map((e) => (
                      <tr>
                        <td>{e.event}</td>
                        <td class="num">{num(e.last7d)}</td>
                        <td class="num">{num(e.last30d)}</td>
                        <td class="num">{num(e.count)}</td>
                        <td>
                          <Time iso={e.firstSeen} />
                        </td>
                        <td>
                          <Time iso={e.lastSeen} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
            <div class="grid2">
              <Card title={`Users (${num(c.users.length)})`}>
                {c.users.length === 0 ? (
                  <p class="muted">No B2B users: send user.uid with events to see who inside this account is active.</p>
                ) : (
                  <table>
                    <tbody>
                      {c.users.map((u) => (
                        <tr>
                          <td>{typeof u.data.name === "string" ? `${u.data.name} ` : ""}<code>{u.uid}</code></td>
                          <td class="num">{num(u.eventCount)} events</td>
                          <td>
                            <Time iso={u.lastSeen} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </Card>
              <Card title="Attributes">
                {Object.keys(c.data).length === 0 ? (
                  <p class="muted">No attributes: POST /v1/api/events/customer-update sets them.</p>
                ) : (
                  <table>
                    <tbody>
                      {Object.entries(c.data).map(([key, value]) => (
                        <tr>
                          <th>{key}</th>
                          <td>{typeof value === "string" ? value : JSON.stringify(value)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </Card>
            </div>
            <Card title="Subscriptions and payments">
              {c.subscriptions.length === 0 ? (
                <p class="muted">No subscription known for this customer.</p>
              ) : (
                <table>
                  <thead>
                    <tr>
                      <th>Subscription</th>
                      <th>Status</th>
                      <th>Plan</th>
                      <th class="num">Seats</th>
                      <th class="num">MRR</th>
                      <th>Started</th>
                      <th>Renews / ends</th>
                    </tr>
                  </thead>
                  <tbody>
                    {c.subscriptions.map((s) => (
                      <tr>
                        <td>
                          <code>{s.subscriptionId}</code> <span class="muted small">{s.provider}</span>
                        </td>
                        <td>
                          {s.status}
                          {s.cancelAtPeriodEnd ? " (cancels at period end)" : ""}
                        </td>
                        <td>{s.planName ?? s.plan ?? "—"}</td>
                        <td class="num">{num(s.quantity)}</td>
                        <td class="num">{money(s.mrr, s.currency)}</td>
                        <td>{day(s.startedAt)}</td>
                        <td>{day(s.endedAt ?? s.currentPeriodEnd)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
            <TimelineCard base={base} by={by} names={c.eventCounts.map((e) => e.event)} />
          </>
        );
      }}
    </Show>
  );
}

function ActivityCard(props: { base: string; by?: string; names: string[] }) {
  const [event, setEvent] = useState("");
  const [loaded] = useLoad(() => api<Activity>(`${props.base}/activity${qs({ by: props.by, interval: "day", from: daysAgo(89), event })}`), [props.base, event]);
  const picker = (
    <select aria-label="Event" value={event} onChange={(e) => setEvent((e.target as HTMLSelectElement).value)}>
      <option value="">All events</option>
      {props.names.map((n) => (
        <option value={n}>{n}</option>
      ))}
    </select>
  );
  return (
    <Card title="Activity per day, 90 days" actions={picker}>
      <Show loaded={loaded}>{(activity) => <ActivityChart activity={activity} />}</Show>
    </Card>
  );
}

function ActivityChart(props: { activity: Activity }) {
  const { series, total } = props.activity;
  const data = useMemo(() => ({ times: series.map((p) => Date.parse(p.start)), series: [{ label: "Events", values: series.map((p) => p.count), color: "#2f5bea", bars: true }] }), [series]);
  return (
    <>
      <Chart times={data.times} series={data.series} height={200} />
      <div class="muted small">{num(total)} events in 90 days</div>
    </>
  );
}

function TimelineCard(props: { base: string; by?: string; names: string[] }) {
  const [range, setRange] = useState<{ from?: string; to?: string }>({});
  // "" everything, "kind:billing" billing changes only, or "event:NAME" (prefixed: an event may be called "billing").
  const [shown, setShown] = useState("");
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const narrow = shown === "kind:billing" ? { kind: "billing" } : shown.startsWith("event:") ? { event: shown.slice("event:".length) } : {};
  const [loaded] = useLoad(
    () => api<Timeline>(`${props.base}/timeline${qs({ by: props.by, limit: 25, cursor, ...range, ...narrow })}`),
    [props.base, cursor, range.from, range.to, shown],
  );
  const filters = (
    <span class="filters inline">
      <select aria-label="Show" value={shown} onChange={(e) => (setCursors([]), setShown((e.target as HTMLSelectElement).value))}>
        <option value="">Everything</option>
        <option value="kind:billing">Billing changes</option>
        {props.names.map((name) => (
          <option value={`event:${name}`}>{name}</option>
        ))}
      </select>
      <label class="inline">
        From <input type="date" value={range.from ?? ""} onChange={(e) => (setCursors([]), setRange({ ...range, from: (e.target as HTMLInputElement).value || undefined }))} />
      </label>
      <label class="inline">
        To <input type="date" value={range.to ?? ""} onChange={(e) => (setCursors([]), setRange({ ...range, to: (e.target as HTMLInputElement).value || undefined }))} />
      </label>
    </span>
  );
  return (
    <Card title="Timeline" actions={filters}>
      <Show loaded={loaded}>
        {(page) =>
          page.items.length === 0 ? (
            <p class="muted">Nothing in this range.</p>
          ) : (
            <>
              <table class="timeline">
                <tbody>
                  {page.items.map((item) =>
                    item.type === "event" ? (
                      <tr>
                        <td title={when(item.at)}>{when(item.at)}</td>
                        <td>
                          <strong>{item.event.event}</strong>
                          {item.event.user && <span class="muted"> by {item.event.user}</span>}
                        </td>
                        <td class="muted small">
                          {item.event.source}
                          {item.event.verified ? "" : ", unverified"}
                        </td>
                        <td class="small data">{Object.keys(item.event.eventData ?? {}).length > 0 ? JSON.stringify(item.event.eventData) : ""}</td>
                      </tr>
                    ) : (
                      <tr class="billing">
                        <td>{when(item.at)}</td>
                        <td>
                          <strong>{item.billing.movement ?? item.billing.kind}</strong>
                        </td>
                        <td class="muted small">{item.billing.provider}</td>
                        <td class="small">
                          {money(item.billing.mrrBefore, item.billing.currency)} → {money(item.billing.mrrAfter, item.billing.currency)}
                        </td>
                      </tr>
                    ),
                  )}
                </tbody>
              </table>
              <div class="pager">
                <button disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
                  ← Newer
                </button>
                <button disabled={!page.nextCursor} onClick={() => page.nextCursor && setCursors([...cursors, page.nextCursor])}>
                  Older →
                </button>
              </div>
            </>
          )
        }
      </Show>
    </Card>
  );
}

/** Download the DSAR document; erase behind a confirmation that names the customer. */
function AdminActions(props: { base: string; by?: string; name: string; appId: string }) {
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  async function download() {
    setError(null);
    try {
      // A plain link can't carry x-ck-app; the session cookie goes along with fetch.
      const response = await fetch(`${props.base}/export${qs({ by: props.by })}`, { headers: { "x-ck-app": currentApp() } });
      if (!response.ok) {
        const body = (await response.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
        throw new ApiError(response.status, body?.error?.code ?? "HTTP", body?.error?.message ?? response.statusText);
      }
      const url = URL.createObjectURL(await response.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = `customer-${props.name.replace(/[^\w.-]+/g, "_")}.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(e as Error);
    }
  }

  async function erase() {
    setBusy(true);
    setError(null);
    try {
      const result = await api<Erased>(`${props.base}${qs({ by: props.by })}`, { method: "DELETE" });
      navigate(`/apps/${encodeURIComponent(props.appId)}/customers${qs({ erased: props.name, events: result.removed.events })}`);
    } catch (e) {
      setError(e as Error);
      setBusy(false);
    }
  }

  return (
    <div class="actions">
      <button onClick={download}>Download data (DSAR)</button>
      <button class="danger" onClick={() => setConfirming(true)}>
        Erase customer…
      </button>
      {confirming && (
        <div class="dialog" role="dialog" aria-label="Erase customer">
          <p>
            Erase <strong>{props.name}</strong>: the customer, its users, all its events and subscriptions, for good. Type <code>{props.name}</code> to confirm.
          </p>
          <input aria-label="Type the customer's name to confirm" value={typed} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} />
          <div class="actions">
            <button class="danger" disabled={typed !== props.name || busy} onClick={erase}>
              Erase {props.name}
            </button>
            <button class="link" onClick={() => (setConfirming(false), setTyped(""))}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {error && <ErrorBox error={error} />}
    </div>
  );
}

