// The browser snippet served at /sdk.js: window.churnkey.event({...}) as in the Churnkey docs.
// Built (minified, as an IIFE) into the binary by ./bundle.ts. Rules it lives by:
// - never throw into the host page, and never clobber other members of window.churnkey (other
//   Churnkey-style widgets share that global; a foreign `init` keeps working);
// - never lose an event it could still deliver: events wait in localStorage until the server
//   has accepted them, and each carries a messageId so that re-sending can't duplicate it;
// - stop retrying what the server refused (a 4xx other than 429): say why, once, in the console.

interface EventProps {
  event: string;
  appId?: string;
  customerId?: string;
  customerEmail?: string;
  authHash?: string;
  uid?: string;
  eventData?: Record<string, unknown>;
}

interface Pending extends EventProps {
  appId: string;
  eventDate: string;
  messageId: string;
}

type Settle = [resolve: (value: { id: string }) => void, reject: (reason: Error) => void];
/** What the queue stub (README) records for a call made before this script loaded. */
type StubCall = [method: string, args: unknown[], resolve: (value: unknown) => void, reject: (reason: unknown) => void];

const STORAGE_KEY = "trackd:queue";
const MAX_QUEUED = 500;
const BATCH_SIZE = 10;
const BATCH_DELAY_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
// The route takes 64 KB and 100 events; keepalive and beacons allow 64 KB in flight.
const MAX_REQUEST_BYTES = 60_000;
const MAX_REQUEST_EVENTS = 100;

(() => {
  const w = window as unknown as { churnkey?: Record<string, any> };
  const ck = (w.churnkey = w.churnkey || {});
  if (ck.__trackd) return; // loaded twice: the first copy keeps running
  ck.__trackd = 1;

  const script = document.currentScript as HTMLScriptElement | null;
  const config = {
    appId: script?.dataset.appId,
    endpoint: script?.dataset.endpoint || (script?.src ? new URL(script.src).origin : location.origin),
  };
  const settlers = new Map<string, Settle>();
  const finished = new Set<string>(); // messageIds accepted or refused while this page lived
  const warned = new Set<string>();
  const beaconed = new Set<string>();
  let queue: Pending[] = readStored();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sending = false;
  let attempt = 0;
  let retryAt = 0;

  const warn = (message: string) => {
    if (!warned.has(message)) {
      warned.add(message);
      console.warn(`trackd: ${message}`);
    }
  };
  const url = () => `${config.endpoint.replace(/\/$/, "")}/v1/api/events/client`;
  const bytes = (text: string) => new TextEncoder().encode(text).length;

  function readStored(): Pending[] {
    try {
      const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) || "[]");
      return Array.isArray(stored) ? stored : [];
    } catch {
      return [];
    }
  }

  // Other tabs share the key: keep what they added, drop what this page has finished.
  function save() {
    try {
      const mine = new Set(queue.map((item) => item.messageId));
      const others = readStored().filter((item) => !mine.has(item.messageId) && !finished.has(item.messageId));
      localStorage.setItem(STORAGE_KEY, JSON.stringify(others.concat(queue).slice(-MAX_QUEUED)));
    } catch {
      // storage full or disabled: events still go out from memory
    }
  }

  function finish(item: Pending, outcome: { id: string } | Error) {
    if (finished.size > 1000) finished.clear();
    finished.add(item.messageId);
    queue = queue.filter((queued) => queued !== item);
    const settle = settlers.get(item.messageId);
    settlers.delete(item.messageId);
    if (settle) outcome instanceof Error ? settle[1](outcome) : settle[0](outcome);
  }

  /** A request's events: the first of `items`, of one app, up to 100 and 60 KB. */
  function batchOf(items: Pending[]): Pending[] {
    const batch: Pending[] = [];
    let size = 2;
    for (const item of items) {
      size += bytes(JSON.stringify(item)) + 1;
      if (batch.length === MAX_REQUEST_EVENTS || (batch.length > 0 && (size > MAX_REQUEST_BYTES || item.appId !== batch[0].appId))) break;
      batch.push(item);
    }
    return batch;
  }

  function schedule() {
    if (sending || queue.length === 0) return;
    const wait = retryAt - Date.now();
    if (wait > 0) return setTimer(wait);
    if (queue.length >= BATCH_SIZE) {
      clearTimeout(timer);
      timer = undefined;
      void send();
    } else if (timer === undefined) setTimer(BATCH_DELAY_MS);
  }

  function setTimer(ms: number) {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      retryAt = 0;
      void send();
    }, ms);
  }

  async function send() {
    const batch = batchOf(queue);
    if (sending || batch.length === 0) return;
    sending = true;
    let retryAfterSeconds = 0;
    let retry = false;
    try {
      const body = JSON.stringify(batch);
      const response = await fetch(url(), {
        method: "POST",
        body,
        headers: { "content-type": "text/plain" }, // a "simple" request: no preflight
        credentials: "omit",
        keepalive: true, // batchOf keeps every request within keepalive's 64 KB
      });
      const reply = await response.json().catch(() => ({}));
      if (response.ok) batch.forEach((item, index) => finish(item, { id: reply.ids?.[index] }));
      else if (response.status === 429 || response.status >= 500) {
        retry = true;
        retryAfterSeconds = Number(response.headers.get("retry-after")) || 0;
      } else refuse(batch, reply.error);
    } catch {
      retry = true; // offline or server down (trackd grants every refusal to any origin, so a 403 is readable)
    }
    sending = false;
    if (retry) {
      const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt++) * (0.8 + Math.random() * 0.4);
      retryAt = Date.now() + Math.max(backoff, retryAfterSeconds * 1000);
    } else attempt = 0;
    save();
    schedule();
  }

  /**
   * A 4xx. The route stores all of a request or none of it, so nothing of this batch was stored:
   * the events a detail names (by index) are dropped with that detail's reason, and the others
   * go again (their messageIds make that safe); a refusal that names no event drops them all.
   */
  function refuse(batch: Pending[], error?: { message?: string; details?: { index?: number; message: string }[] }) {
    const message = error?.message || "the server refused these events";
    const reasons = new Map<number, string>();
    for (const detail of error?.details || []) {
      if (detail.index !== undefined && !reasons.has(detail.index)) reasons.set(detail.index, detail.message);
    }
    if (reasons.size === 0) warn(message);
    batch.forEach((item, index) => {
      const reason = reasons.size === 0 ? message : reasons.get(index);
      if (reason === undefined) return;
      if (reasons.size > 0) warn(`event "${item.event}" dropped: ${reason}`);
      finish(item, new Error(reason));
    });
  }

  function event(props: EventProps): Promise<{ id: string }> {
    const promise = new Promise<{ id: string }>((resolve, reject) => {
      const appId = props?.appId || config.appId;
      const problem =
        !props || typeof props.event !== "string" || !props.event ? "event({ event }) needs an event name"
        : !props.customerId && !props.customerEmail ? "event() needs a customerId or a customerEmail"
        : !appId ? "no appId: pass it to event(), to init(), or as data-app-id on the script tag"
        : "";
      if (problem) {
        warn(problem);
        return reject(new Error(problem));
      }
      const item: Pending = {
        ...props,
        appId: appId!,
        eventDate: new Date().toISOString(),
        messageId: Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join(""),
      };
      if (bytes(JSON.stringify(item)) > MAX_REQUEST_BYTES) return reject(new Error("event too large"));
      settlers.set(item.messageId, [resolve, reject]);
      queue.push(item);
      while (queue.length > MAX_QUEUED) finish(queue[0], new Error("dropped: more than 500 events waiting"));
      save();
      schedule();
    });
    promise.catch(() => {}); // a caller that doesn't await must not get an unhandled rejection
    return promise;
  }

  // Leaving the page: hand everything waiting to the browser, which sends it even as the page
  // goes away. The events stay stored until a reply says otherwise, so a lost beacon is re-sent
  // by the next page (the messageId makes that harmless).
  // Leaving fires both visibilitychange and pagehide: each event is handed over once.
  function beacon() {
    for (let rest = queue.filter((item) => !beaconed.has(item.messageId)), batch; (batch = batchOf(rest)).length > 0; rest = rest.slice(batch.length)) {
      batch.forEach((item) => beaconed.add(item.messageId));
      const body = JSON.stringify(batch);
      if (!navigator.sendBeacon?.(url(), body)) {
        fetch(url(), { method: "POST", body, keepalive: true, credentials: "omit", headers: { "content-type": "text/plain" } }).catch(() => {});
      }
    }
  }

  const foreignInit = typeof ck.init === "function" && !ck.init.stub ? ck.init : undefined;
  ck.init = function (this: unknown, options?: unknown, ...rest: unknown[]) {
    try {
      if (options && typeof options === "object" && ("appId" in options || "endpoint" in options)) {
        const { appId, endpoint } = options as { appId?: string; endpoint?: string };
        if (appId) config.appId = appId;
        if (endpoint) config.endpoint = endpoint;
        return schedule();
      }
      return foreignInit?.call(this, options, ...rest);
    } catch (error) {
      warn(String(error));
    }
  };
  ck.event = event;

  addEventListener("pagehide", beacon);
  addEventListener("visibilitychange", () => document.visibilityState === "hidden" && beacon());
  addEventListener("online", () => {
    retryAt = 0;
    schedule();
  });

  // Calls made before this script loaded, in order; later pushes (a stub kept by someone) too.
  const run = ([method, args, resolve, reject]: StubCall) => {
    try {
      if (method !== "init" && method !== "event") throw new Error(`trackd: unknown method ${method}`);
      Promise.resolve(ck[method](...args)).then(resolve, reject);
    } catch (error) {
      reject(error);
    }
  };
  const early: StubCall[] = Array.isArray(ck.q) ? ck.q : [];
  ck.q = { push: run };
  early.forEach(run);
  schedule();
})();
