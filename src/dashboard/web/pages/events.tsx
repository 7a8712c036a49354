// Events: every name the app has seen, with volume, customers, first/last seen and the naming flags.
import { api, type EventNames } from "../api";
import { num } from "../format";
import { Link, Show, Time, useLoad } from "../ui";
import { FirstEvent } from "./overview";

export function EventsPage(props: { appId: string }) {
  const [loaded] = useLoad(() => api<EventNames>("/v1/api/events/names"), [props.appId]);
  return (
    <>
      <div class="page-head">
        <h1>Events</h1>
      </div>
      <Show loaded={loaded}>
        {({ names, nonConventional }) =>
          names.length === 0 ? (
            <FirstEvent appId={props.appId} />
          ) : (
            <>
              <p class="muted">
                {num(names.length)} event names; {nonConventional === 0 ? "all follow" : `${num(nonConventional)} break`} the object-action convention ("Report Created").
              </p>
              <table class="list">
                <thead>
                  <tr>
                    <th>Event</th>
                    <th class="num">Events</th>
                    <th class="num">Customers</th>
                    <th>First seen</th>
                    <th>Last seen</th>
                    <th>Naming</th>
                  </tr>
                </thead>
                <tbody>
                  {names.map((n) => (
                    <tr>
                      <td>
                        <Link href={`/apps/${encodeURIComponent(props.appId)}/customers?event=${encodeURIComponent(n.event)}`}>{n.event}</Link>
                      </td>
                      <td class="num">{num(n.count)}</td>
                      <td class="num">{num(n.customers)}</td>
                      <td>
                        <Time iso={n.firstSeen} />
                      </td>
                      <td>
                        <Time iso={n.lastSeen} />
                      </td>
                      <td>
                        {n.conventional ? <span class="ok">✓ conventional</span> : n.problems.map((p) => <div class="flag" title={p.message}>{p.message}</div>)}
                        {n.similarTo.length > 0 && <div class="flag">also spelt: {n.similarTo.join(", ")}</div>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )
        }
      </Show>
    </>
  );
}
