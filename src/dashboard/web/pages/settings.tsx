// Settings (admins): keys, the signing secret, browser-event rules, Stripe, health weights,
// dashboard users, and a new app. Every change goes through the server, which checks the role.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { api, qs, type CreatedApp, type CreatedKey, type KeyList, type SessionInfo, type Settings, type UserList } from "../api";
import { Card, ErrorBox, Show, Time, useLoad } from "../ui";

/** Runs an action, showing its error (never swallowed) and a busy state. */
function useAction() {
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  async function run(action: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  }
  return { error, busy, run, errorBox: error ? <ErrorBox error={error} /> : null };
}

function Secret(props: { label: string; value: string; children?: ComponentChildren }) {
  return (
    <div class="notice" role="status">
      <div>{props.label}</div>
      <div class="secret">{props.value}</div>
      {props.children}
    </div>
  );
}

/** What the settings cards share: the app's settings, loaded once, and a change to them. */
interface SettingsProps {
  settings: Settings;
  /** PATCH /v1/api/settings; the page then shows the settings as the server answered. */
  change: (change: Record<string, unknown>) => Promise<void>;
}

export function SettingsPage(props: { appId: string; session: SessionInfo }) {
  const [loaded] = useLoad(() => api<Settings>("/v1/api/settings"), [props.appId]);
  // A change answers with the settings as they are now: shown at once, without a reload that
  // would reset the cards (and hide their "Saved." notes).
  const [changed, setChanged] = useState<{ appId: string; settings: Settings } | null>(null);
  const change = async (body: Record<string, unknown>) => {
    setChanged({ appId: props.appId, settings: await api<Settings>("/v1/api/settings", { method: "PATCH", body }) });
  };
  return (
    <>
      <div class="page-head">
        <h1>Settings</h1>
      </div>
      <KeysCard appId={props.appId} />
      <Show loaded={loaded}>
        {(first) => {
          const settings = changed?.appId === props.appId ? changed.settings : first;
          return (
            <>
              <div class="grid2">
                <BrowserCard settings={settings} change={change} />
                <StripeCard settings={settings} change={change} appId={props.appId} publicUrl={props.session.publicUrl} />
              </div>
              <div class="grid2">
                <WeightsCard settings={settings} change={change} />
                <RetentionCard settings={settings} change={change} />
              </div>
            </>
          );
        }}
      </Show>
      <NewAppCard />
      <UsersCard me={props.session.user.email} />
    </>
  );
}

function KeysCard(props: { appId: string }) {
  const [loaded, reload] = useLoad(() => api<KeyList>("/v1/api/keys"), [props.appId]);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const action = useAction();
  return (
    <Card title="API keys">
      <p class="muted">Keys are for your servers, never for a browser. A key's secret is shown once, when it is made.</p>
      {created && <Secret label={`New key ${created.keyId} (${created.scopes.join(", ")}): copy it now, it is not shown again.`} value={created.apiKey} />}
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          void action.run(async () => {
            setCreated(await api<CreatedKey>("/v1/api/keys", { method: "POST", body: { scopes: form.getAll("scope").map(String) } }));
            reload();
          });
        }}
      >
        {(["ingest", "read", "admin"] as const).map((scope) => (
          <label class="inline">
            <input type="checkbox" name="scope" value={scope} checked={scope !== "admin"} /> {scope}
          </label>
        ))}
        <button type="submit" disabled={action.busy}>
          Create key
        </button>
      </form>
      {action.errorBox}
      <Show loaded={loaded}>
        {({ keys }) => (
          <table>
            <thead>
              <tr>
                <th>Key</th>
                <th>Scopes</th>
                <th>Created</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr>
                  <td>
                    <code>{key.keyId}</code>
                  </td>
                  <td>{key.scopes.join(", ")}</td>
                  <td>
                    <Time iso={key.createdAt} />
                  </td>
                  <td>
                    {key.revokedAt ? (
                      <span class="muted">
                        revoked <Time iso={key.revokedAt} />
                      </span>
                    ) : (
                      <button
                        class="link"
                        onClick={() =>
                          confirm(`Revoke ${key.keyId}? Requests with it will get 401 at once.`) &&
                          void action.run(async () => (await api(`/v1/api/keys/${key.keyId}`, { method: "DELETE" }), reload()))
                        }
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Show>
    </Card>
  );
}

function BrowserCard(props: SettingsProps) {
  const { settings, change } = props;
  const [secret, setSecret] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  return (
    <Card title="Browser events">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          void action.run(async () => {
            await change({ requireVerified: form.get("requireVerified") === "on", allowedOrigins: String(form.get("allowedOrigins")) });
            setSaved(true);
          });
        }}
      >
        <label class="inline">
          <input type="checkbox" name="requireVerified" checked={settings.requireVerified} /> Require verified events (refuse those without a valid authHash)
        </label>
        <p>
          <label for="origins">Allowed origins</label>
          <br />
          <input id="origins" name="allowedOrigins" value={settings.allowedOrigins.join(",")} style="width:100%" />
          <span class="muted small">Comma-separated (https://app.example.com), or * for any.</span>
        </p>
        <button type="submit" disabled={action.busy}>
          Save
        </button>
        {saved && <span class="ok"> Saved.</span>}
      </form>
      <h3>Signing secret</h3>
      <p class="muted small">Your server signs customer ids with it (docs/signing.md); it never goes in a page.</p>
      {secret && <Secret label="Signing secret" value={secret} />}
      <div class="actions">
        <button onClick={() => void action.run(async () => setSecret((await api<{ signingSecret: string }>("/v1/api/signing-secret")).signingSecret))}>
          Reveal
        </button>
        <button
          class="danger"
          onClick={() =>
            confirm("Rotate the signing secret? Signatures made with the old one stop verifying at once.") &&
            void action.run(async () => setSecret((await api<{ signingSecret: string }>("/v1/api/signing-secret/rotate", { method: "POST" })).signingSecret))
          }
        >
          Rotate…
        </button>
      </div>
      {action.errorBox}
    </Card>
  );
}

function StripeCard(props: SettingsProps & { appId: string; publicUrl: string | null }) {
  const { settings, change } = props;
  const action = useAction();
  const url = `${props.publicUrl ?? location.origin}/v1/webhooks/stripe/${props.appId}`;
  return (
    <Card title="Stripe">
      <p>In Stripe's dashboard (Developers → Webhooks) add this endpoint:</p>
      <div class="secret" aria-label="Webhook URL">
        {url}
      </div>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const secret = String(new FormData(e.currentTarget).get("secret"));
          void action.run(async () => change({ stripeWebhookSecret: secret }));
        }}
      >
        <p>
          Webhook signing secret: <strong>{settings.stripeWebhook ? "set" : "not set"}</strong>
        </p>
        <input name="secret" placeholder="whsec_…" aria-label="Stripe webhook secret" autocomplete="off" />{" "}
        <button type="submit" disabled={action.busy}>
          Save
        </button>{" "}
        {settings.stripeWebhook && (
          <button type="button" class="link" onClick={() => void action.run(async () => change({ stripeWebhookSecret: null }))}>
            Remove
          </button>
        )}
      </form>
      {action.errorBox}
    </Card>
  );
}

function WeightsCard(props: SettingsProps) {
  const { settings, change } = props;
  const action = useAction();
  return (
    <Card title="Health score weights">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          const text = Object.keys(settings.healthWeights)
            .map((factor) => `${factor}=${String(form.get(factor))}`)
            .join(",");
          void action.run(async () => change({ healthWeights: text }));
        }}
      >
        <div class="weights">
          {Object.entries(settings.healthWeights).map(([factor, weight]) => (
            <label>
              {factor}
              <input name={factor} type="number" min="0" max="100" step="any" value={weight} />
            </label>
          ))}
        </div>
        <div class="actions">
          <button type="submit" disabled={action.busy}>
            Save weights
          </button>
          <button type="button" class="link" onClick={() => void action.run(async () => change({ healthWeights: "default" }))}>
            Back to defaults
          </button>
        </div>
        <p class="muted small">Scores change at the next scoring pass.</p>
      </form>
      {action.errorBox}
    </Card>
  );
}

function RetentionCard(props: SettingsProps) {
  const { settings, change } = props;
  const action = useAction();
  const save = (retentionDays: number | null) => void action.run(async () => change({ retentionDays }));
  return (
    <Card title="Data retention">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save(Number(new FormData(e.currentTarget).get("retentionDays")));
        }}
      >
        <p>
          {settings.retentionDays === null
            ? "Raw events are kept forever."
            : `Raw events older than ${settings.retentionDays} days are deleted in the background.`}
        </p>
        <label>
          Keep raw events for (days)
          <input name="retentionDays" type="number" min="1" step="1" required value={settings.retentionDays ?? ""} />
        </label>
        <div class="actions">
          <button type="submit" disabled={action.busy}>
            Save retention
          </button>
          {settings.retentionDays !== null && (
            <button type="button" class="link" onClick={() => save(null)}>
              Keep forever
            </button>
          )}
        </div>
        <p class="muted small">All-time counts, first and last seen stay; see the README's Data retention.</p>
      </form>
      {action.errorBox}
    </Card>
  );
}

function NewAppCard() {
  const [created, setCreated] = useState<CreatedApp | null>(null);
  const action = useAction();
  return (
    <Card title="New app">
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          const name = String(new FormData(e.currentTarget).get("name"));
          void action.run(async () => setCreated(await api<CreatedApp>("/dashboard/api/apps", { method: "POST", body: { name } })));
        }}
      >
        <input name="name" placeholder="App name" aria-label="App name" required />
        <button type="submit" disabled={action.busy}>
          Create app
        </button>
      </form>
      {created && (
        <Secret label={`Created ${created.name} (${created.appId}). Its API key is shown only now:`} value={created.apiKey}>
          <a href={`/apps/${created.appId}${qs({})}`}>Open {created.name}</a>
        </Secret>
      )}
      {action.errorBox}
    </Card>
  );
}

function UsersCard(props: { me: string }) {
  const [loaded, reload] = useLoad(() => api<UserList>("/dashboard/api/users"), []);
  const action = useAction();
  return (
    <Card title="Dashboard users">
      <Show loaded={loaded}>
        {({ users }) => (
          <table>
            <tbody>
              {users.map((user) => (
                <tr>
                  <td>{user.email}</td>
                  <td>
                    <select
                      aria-label={`Role of ${user.email}`}
                      value={user.role}
                      onChange={(e) =>
                        void action.run(
                          async () => (
                            await api(`/dashboard/api/users/${user.id}`, { method: "PATCH", body: { role: (e.target as HTMLSelectElement).value } }),
                            reload()
                          ),
                        )
                      }
                    >
                      <option value="admin">admin</option>
                      <option value="viewer">viewer</option>
                    </select>
                  </td>
                  <td>
                    <Time iso={user.createdAt} />
                  </td>
                  <td>
                    {user.email !== props.me && (
                      <button
                        class="link"
                        onClick={() =>
                          confirm(`Remove ${user.email}? Their sessions end at once.`) &&
                          void action.run(async () => (await api(`/dashboard/api/users/${user.id}`, { method: "DELETE" }), reload()))
                        }
                      >
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Show>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const data = new FormData(form);
          void action.run(async () => {
            await api("/dashboard/api/users", { method: "POST", body: { email: data.get("email"), role: data.get("role"), password: data.get("password") } });
            form.reset();
            reload();
          });
        }}
      >
        <input name="email" type="email" placeholder="Email" aria-label="New user's email" required />
        <select name="role" aria-label="New user's role">
          <option value="viewer">viewer</option>
          <option value="admin">admin</option>
        </select>
        <input
          name="password"
          type="password"
          placeholder="Password (10+ characters)"
          aria-label="New user's password"
          minLength={10}
          required
          autocomplete="new-password"
        />
        <button type="submit" disabled={action.busy}>
          Add user
        </button>
      </form>
      {action.errorBox}
    </Card>
  );
}
