// Small shared pieces: links that stay in the page, the loading/error/empty states, badges.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "./api";
import { ago, GRADE_LABEL, when } from "./format";

const listeners = new Set<() => void>();

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  for (const listener of listeners) listener();
}

export function useLocation(): string {
  const [path, setPath] = useState(location.pathname + location.search);
  useEffect(() => {
    const update = () => setPath(location.pathname + location.search);
    listeners.add(update);
    addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      removeEventListener("popstate", update);
    };
  }, []);
  return path;
}

export function Link(props: { href: string; class?: string; children: ComponentChildren }) {
  return (
    <a
      href={props.href}
      class={props.class}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
        event.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

export type Loaded<T> = { state: "loading" } | { state: "error"; error: Error } | { state: "ok"; data: T };

/** Runs `load` whenever `deps` change; a stale answer (deps moved on) is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Loaded<T>, () => void] {
  const [result, setResult] = useState<Loaded<T>>({ state: "loading" });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    setResult({ state: "loading" });
    load().then(
      (data) => current && setResult({ state: "ok", data }),
      (error: Error) => current && setResult({ state: "error", error }),
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  return [result, () => setTick((n) => n + 1)];
}

export function Show<T>(props: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  const { loaded } = props;
  if (loaded.state === "loading") return <div class="loading" aria-busy="true">Loading…</div>;
  if (loaded.state === "error") return <ErrorBox error={loaded.error} />;
  return <>{props.children(loaded.data)}</>;
}

export function ErrorBox(props: { error: Error }) {
  const { error } = props;
  const details = error instanceof ApiError ? error.details : [];
  return (
    <div class="error" role="alert">
      <strong>{error instanceof ApiError ? `${error.status} ${error.code}` : "Error"}</strong>: {error.message}
      {details.length > 0 && (
        <ul>
          {details.map((d) => (
            <li>
              <code>{d.path}</code> {d.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Empty(props: { title: string; children: ComponentChildren }) {
  return (
    <div class="empty">
      <strong>{props.title}</strong>
      <div>{props.children}</div>
    </div>
  );
}

export function Grade(props: { grade: string | null | undefined; score?: number | null }) {
  if (!props.grade) return <span class="muted">not scored</span>;
  return (
    <span class={`grade grade-${props.grade}`}>
      {GRADE_LABEL[props.grade] ?? props.grade}
      {props.score !== undefined && props.score !== null ? ` ${props.score}` : ""}
    </span>
  );
}

export function Time(props: { iso: string | null | undefined }) {
  return props.iso ? <time dateTime={props.iso} title={when(props.iso)}>{ago(props.iso)}</time> : <span class="muted">never</span>;
}

export function Stat(props: { label: string; value: ComponentChildren; note?: ComponentChildren }) {
  return (
    <div class="stat">
      <div class="stat-label">{props.label}</div>
      <div class="stat-value">{props.value}</div>
      {props.note && <div class="stat-note">{props.note}</div>}
    </div>
  );
}

export function Card(props: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="card">
      <header>
        <h2>{props.title}</h2>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}
