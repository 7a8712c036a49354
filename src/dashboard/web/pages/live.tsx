// Live: events as they are stored and requests as they are rejected (why, and which field),
// from the server-sent stream GET /v1/api/live. The page keeps the newest 200 rows.
import { useEffect, useState } from "preact/hooks";
import { currentApp, qs } from "../api";
import { when } from "../format";
import { Empty } from "../ui";
import type { LiveItem } from "../../../live/service";

const KEEP = 200;

type Row = LiveItem & { key: number };
type Status = "connecting" | "live" | "reconnecting";

let nextKey = 0;

export function LivePage(props: { appId: string }) {
  const [rows, setRows] = useState<Row[]>([]);
  const [status, setStatus] = useState<Status>("connecting");
  const [lost, setLost] = useState(0);
  const [filter, setFilter] = useState<{ customerId?: string; event?: string }>({});

  useEffect(() => {
    const abort = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    const add = (items: LiveItem[]) => setRows((old) => [...items.reverse().map((item) => ({ ...item, key: nextKey++ })), ...old].slice(0, KEEP));

    async function connect() {
      try {
        // fetch, not EventSource: it can send x-ck-app like every other call.
        const response = await fetch(`/v1/api/live${qs(filter)}`, { headers: { "x-ck-app": currentApp() }, signal: abort.signal });
        if (response.status === 401) return location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        setStatus("live");
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          text += value;
          const frames = text.split("\n\n");
          text = frames.pop()!;
          const items: LiveItem[] = [];
          for (const frame of frames) {
            if (frame.startsWith("event: dropped")) setLost((n) => n + Number(frame.split("data: ")[1]));
            else if (frame.startsWith("data: ")) items.push(JSON.parse(frame.slice(6)) as LiveItem);
          }
          if (items.length > 0) add(items);
        }
      } catch (error) {
        if (abort.signal.aborted) return;
      }
      setStatus("reconnecting");
      retry = setTimeout(connect, 2000);
    }
    void connect();
    return () => {
      abort.abort();
      clearTimeout(retry);
    };
  }, [props.appId, filter.customerId, filter.event]);

  return (
    <>
      <div class="page-head">
        <h1>Live</h1>
        <span class={`live-status ${status}`} role="status">
          {status === "live" ? "● Live" : status === "connecting" ? "Connecting…" : "Reconnecting…"}
        </span>
      </div>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          setRows([]);
          setFilter({ customerId: String(form.get("customerId") || "") || undefined, event: String(form.get("event") || "") || undefined });
        }}
      >
        <input name="customerId" placeholder="Customer id or uid" aria-label="Customer" />
        <input name="event" placeholder="Event name" aria-label="Event name" />
        <button type="submit">Filter</button>
        {filter.customerId || filter.event ? <span class="muted">Rejected requests are shown only without a filter.</span> : null}
      </form>
      {lost > 0 && <div class="error">{lost} items were skipped because this tab fell behind.</div>}
      {rows.length === 0 ? (
        <Empty title="Waiting for events">
          Events appear here within a second of being stored, and requests trackd refused appear with the reason. Send one with curl, or from your app, to see it land.
        </Empty>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th>Time</th>
              <th>Event / error</th>
              <th>Customer</th>
              <th>User</th>
              <th>Source</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) =>
              row.type === "event" ? (
                <tr class="live-row" key={row.key}>
                  <td title={when(row.receivedAt)}>{new Date(row.receivedAt).toLocaleTimeString()}</td>
                  <td>
                    <strong>{row.event}</strong>
                  </td>
                  <td>{row.customerId ?? row.uid ?? row.email}</td>
                  <td>{row.user ?? <span class="muted">—</span>}</td>
                  <td>
                    {row.source} {row.verified ? <span class="ok">verified</span> : <span class="flag">unverified</span>}
                  </td>
                </tr>
              ) : (
                <tr class="live-row rejected" key={row.key}>
                  <td title={when(row.at)}>{new Date(row.at).toLocaleTimeString()}</td>
                  <td colSpan={4}>
                    <strong class="rejected-code">
                      Rejected {row.status} {row.code}
                    </strong>{" "}
                    <code>
                      {row.method} {row.path}
                    </code>
                    : {row.message}
                    {row.details.map((d) => (
                      <div class="small">
                        field <code>{d.path || "(body)"}</code>: {d.message}
                      </div>
                    ))}
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      )}
    </>
  );
}
