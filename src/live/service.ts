// In-process publish/subscribe for the Live page: events as they are committed and requests
// as they are rejected, per app. Memory is bounded however many tabs are open: at most
// `maxSubscribers` streams, each with a buffer of `bufferSize` items; a reader too slow to keep
// up loses the oldest items, and is told how many (never a silent drop). An item is serialised
// once, whatever the number of subscribers.

export interface LiveEvent {
  type: "event";
  id: string;
  event: string;
  customerId: string | null;
  uid: string | null;
  /** Browser events may name their customer by email only. */
  email: string | null;
  user: string | null;
  source: string;
  verified: boolean;
  eventDate: string;
  receivedAt: string;
}

export interface LiveRejection {
  type: "rejected";
  at: string;
  method: string;
  path: string;
  status: number;
  code: string;
  message: string;
  /** The offending fields, as JSON Pointers, with their messages. */
  details: { path: string; message: string }[];
}

export type LiveItem = LiveEvent | LiveRejection;

export interface LiveFilter {
  customerId?: string;
  event?: string;
}

export interface LiveLimits {
  maxSubscribers: number;
  bufferSize: number;
}

export const DEFAULT_LIVE_LIMITS: LiveLimits = { maxSubscribers: 100, bufferSize: 500 };

export class Subscriber {
  readonly buffer: string[] = [];
  dropped = 0;

  constructor(
    readonly appId: string,
    readonly filter: LiveFilter,
    readonly wake: () => void,
  ) {}

  wants(item: LiveItem): boolean {
    if (item.type === "rejected") return this.filter.customerId === undefined && this.filter.event === undefined;
    return (this.filter.event === undefined || item.event === this.filter.event) && (this.filter.customerId === undefined || item.customerId === this.filter.customerId || item.uid === this.filter.customerId);
  }

  /** Everything buffered, and how many items were lost since the last take. */
  take(): { items: string[]; dropped: number } {
    const taken = { items: this.buffer.splice(0), dropped: this.dropped };
    this.dropped = 0;
    return taken;
  }
}

export class LiveHub {
  private readonly byApp = new Map<string, Set<Subscriber>>();
  private count = 0;

  constructor(readonly limits: LiveLimits = DEFAULT_LIVE_LIMITS) {}

  /** null when the limit of open streams is reached. */
  subscribe(appId: string, filter: LiveFilter, wake: () => void): Subscriber | null {
    if (this.count >= this.limits.maxSubscribers) return null;
    const subscriber = new Subscriber(appId, filter, wake);
    let set = this.byApp.get(appId);
    if (!set) this.byApp.set(appId, (set = new Set()));
    set.add(subscriber);
    this.count++;
    return subscriber;
  }

  unsubscribe(subscriber: Subscriber): void {
    const set = this.byApp.get(subscriber.appId);
    if (!set?.delete(subscriber)) return;
    this.count--;
    if (set.size === 0) this.byApp.delete(subscriber.appId);
  }

  /** Cheap enough for the write path: callers build items only when someone listens. */
  listening(appId: string): boolean {
    return this.byApp.has(appId);
  }

  get subscribers(): number {
    return this.count;
  }

  publish(appId: string, items: LiveItem[]): void {
    const set = this.byApp.get(appId);
    if (!set) return;
    for (const item of items) {
      let text: string | undefined;
      for (const subscriber of set) {
        if (!subscriber.wants(item)) continue;
        text ??= JSON.stringify(item);
        if (subscriber.buffer.length >= this.limits.bufferSize) {
          subscriber.buffer.shift();
          subscriber.dropped++;
        }
        subscriber.buffer.push(text);
      }
    }
    for (const subscriber of set) if (subscriber.buffer.length > 0 || subscriber.dropped > 0) subscriber.wake();
  }
}
