// Overview: events and active customers per day, MRR and its movements, customers per health
// grade, the at-risk customers with the most MRR, the most used events.
import { useMemo, useState } from "preact/hooks";
import { api, qs, type BillingMetrics, type CustomerList, type EventMetrics } from "../api";
import { Chart } from "../chart";
import { money, num } from "../format";
import { Card, Empty, Grade, Link, Show, Stat, Time, useLoad } from "../ui";

type Health = { customers: number; grades: { healthy: number; watch: number; at_risk: number }; unscored: number };

const MOVEMENTS = [
  ["new", "New"],
  ["expansion", "Expansion"],
  ["contraction", "Contraction"],
  ["churn", "Churn"],
  ["reactivation", "Reactivation"],
  ["net", "Net"],
] as const;

export const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);

export function OverviewPage(props: { appId: string }) {
  const [days, setDays] = useState(30);
  const [loaded] = useLoad(
    () =>
      Promise.all([
        api<EventMetrics>(`/v1/api/metrics/events${qs({ interval: "day", from: daysAgo(days - 1) })}`),
        api<BillingMetrics>(`/v1/api/metrics/billing${qs({ interval: "month", from: daysAgo(days - 1) })}`),
        api<Health>("/v1/api/metrics/health"),
        api<CustomerList>(`/v1/api/customers${qs({ health: "at_risk", sort: "-mrr", limit: 8 })}`),
      ]),
    [props.appId, days],
  );
  const base = `/apps/${encodeURIComponent(props.appId)}`;
  return (
    <>
      <div class="page-head">
        <h1>Overview</h1>
        <div class="segmented" role="group" aria-label="Range">
          {[30, 90].map((d) => (
            <button class={d === days ? "on" : ""} onClick={() => setDays(d)}>
              {d} days
            </button>
          ))}
        </div>
      </div>
      <Show loaded={loaded}>
        {([events, billing, health, atRisk]) =>
          health.customers === 0 ? (
            <FirstEvent appId={props.appId} />
          ) : (
            <>
              <div class="stats">
                <Stat label={`Events, ${days} days`} value={num(events.total)} />
                <Stat label="Customers" value={num(health.customers)} />
                {billing.currencies.length === 0 ? (
                  <Stat label="MRR" value="—" note="no subscriptions yet" />
                ) : (
                  billing.currencies.map((c) => <Stat label={`MRR (${c.currency.toUpperCase()})`} value={money(c.mrr, c.currency)} note={`${num(c.payingCustomers)} paying`} />)
                )}
                <Stat label="At risk" value={num(health.grades.at_risk)} note={`${num(health.unscored)} not scored yet`} />
              </div>
              <EventsChart metrics={events} />
              <div class="grid2">
                <Card title="MRR movements">
                  {billing.currencies.length === 0 ? (
                    <p class="muted">No billing data: connect Stripe in Settings, or POST /v1/api/subscriptions.</p>
                  ) : (
                    <table>
                      <thead>
                        <tr>
                          <th>Movement</th>
                          {billing.currencies.map((c) => (
                            <th class="num">{c.currency.toUpperCase()}</th>
                          ))}
                        </tr>
                      </thead>
                      <tbody>
                        {MOVEMENTS.map(([m, label]) => (
                          <tr>
                            <td>{label}</td>
                            {billing.currencies.map((c) => (
                              <td class="num">{money(c.movements[m], c.currency, { signed: true })}</td>
                            ))}
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </Card>
                <Card title="Customers per health grade">
                  <div class="grades">
                    {(["healthy", "watch", "at_risk"] as const).map((g) => (
                      <Link href={`${base}/customers?health=${g}`} class="grade-count">
                        <Grade grade={g} />
                        <strong>{num(health.grades[g])}</strong>
                      </Link>
                    ))}
                    <span class="grade-count">
                      <span class="muted">Not scored</span>
                      <strong>{num(health.unscored)}</strong>
                    </span>
                  </div>
                </Card>
                <Card title="At risk, most MRR first">
                  {atRisk.customers.length === 0 ? (
                    <p class="muted">No customer is graded at risk.</p>
                  ) : (
                    <table>
                      <tbody>
                        {atRisk.customers.map((c) => (
                          <tr>
                            <td>
                              <CustomerLink appId={props.appId} row={c} />
                            </td>
                            <td class="num">{money(c.mrr, c.currency)}</td>
                            <td>
                              <Grade grade={c.health?.grade} score={c.health?.score} />
                            </td>
                            <td>
                              <Time iso={c.lastSeen} />
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </Card>
                <Card title="Most used events">
                  <table>
                    <tbody>
                      {Object.entries(events.totals)
                        .sort((a, b) => b[1] - a[1])
                        .slice(0, 8)
                        .map(([name, count]) => (
                          <tr>
                            <td>{name}</td>
                            <td class="num">{num(count)}</td>
                          </tr>
                        ))}
                    </tbody>
                  </table>
                </Card>
              </div>
            </>
          )
        }
      </Show>
    </>
  );
}

function EventsChart(props: { metrics: EventMetrics }) {
  const { series } = props.metrics;
  const data = useMemo(
    () => ({
      times: series.map((p) => Date.parse(p.start)),
      series: [
        { label: "Events", values: series.map((p) => p.events), color: "#2f5bea", bars: true },
        { label: "Active customers", values: series.map((p) => p.activeCustomers), color: "#e0862f" },
      ],
    }),
    [series],
  );
  return (
    <Card title="Events and active customers per day">
      <div class="grid2 charts">
        <Chart times={data.times} series={[data.series[0]!]} label="Events per day" />
        <Chart times={data.times} series={[data.series[1]!]} label="Distinct active customers per day" />
      </div>
    </Card>
  );
}

export function CustomerLink(props: { appId: string; row: { customerId: string | null; uid: string | null; name?: string | null; email: string | null } }) {
  const { row } = props;
  const id = row.customerId ?? row.uid ?? "";
  const href = `/apps/${encodeURIComponent(props.appId)}/customers/${encodeURIComponent(id)}${row.customerId ? "" : "?by=uid"}`;
  return (
    <Link href={href}>
      <span class="name">{row.name || row.email || id}</span>
      {(row.name || row.email) && <span class="muted small"> {id}</span>}
    </Link>
  );
}

/** An app with no customer yet: the first event to send, with this server's address and app id. */
export function FirstEvent(props: { appId: string }) {
  return (
    <Empty title="No events yet">
      <p>Send the first one with the API key printed when the app was created (Settings → Keys makes another):</p>
      <pre>{`curl -X POST ${location.origin}/v1/api/events/new \\
  -H "x-ck-api-key: $API_KEY" -H "x-ck-app: ${props.appId}" \\
  -H "content-type: application/json" \\
  -d '{"event": "Post Created", "customerId": "cus_abc"}'`}</pre>
      <p>It shows up on the Live page as it lands.</p>
    </Empty>
  );
}
