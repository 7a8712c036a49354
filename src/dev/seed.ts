// Generated product events for development and benchmarks: realistic in shape (a few customers
// do most of the activity, a few event names dominate, history builds up towards today) and
// fully determined by the seed. Pure: the caller writes the batches and passes `now`.
import type { NormalizedEvent } from "../ingest/service";

type Rng = () => number;

/** mulberry32: a tiny, fast PRNG with a 32-bit state; plenty for test data. */
function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Most popular first: the weights below follow this order.
const EVENT_NAMES = [
  "Dashboard Viewed", "Report Viewed", "Task Completed", "Search Performed", "Task Created",
  "Comment Added", "Document Edited", "Report Created", "Filter Applied", "File Uploaded",
  "Project Viewed", "Notification Clicked", "Report Exported", "Invoice Sent", "Invoice Created",
  "Document Shared", "Project Created", "Alert Triggered", "Template Used", "Export Downloaded",
  "Integration Connected", "Team Member Invited", "Settings Updated", "Workspace Created",
  "API Key Created", "Payment Method Added", "Plan Upgraded", "Support Ticket Opened",
  "Feedback Submitted", "Integration Disconnected", "Report Deleted", "Project Archived",
  "Plan Downgraded", "Subscription Renewed", "Onboarding Completed", "Account Exported",
] as const;

const B2B_SHARE = 0.2;
const PLATFORMS = ["web", "web", "web", "ios", "android", "api"];
const COMPANY_WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne",
  "Soylent", "Vandelay", "Pied Piper", "Gringotts", "Aperture", "Black Mesa", "Monarch", "Oscorp", "Dunder", "Prestige",
  "Nakatomi", "Massive", "Virtucon", "Vehement", "Sterling", "Bluth", "Kramerica", "Gekko", "Lumon", "Wernham"];
const COMPANY_KINDS = ["Labs", "Inc", "Systems", "Analytics", "Group", "Software", "Studio", "Partners", "Logistics", "Health"];
const TLDS = ["com", "io", "co", "dev"];

const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)];
const between = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));

/** A few fields per object noun; every event also says where it came from. */
const OBJECT_DATA: Record<string, (rng: Rng) => Record<string, unknown>> = {
  Report: (rng) => ({ reportType: pick(rng, ["revenue", "churn", "usage", "cohort"]), rows: between(rng, 10, 5000) }),
  Dashboard: (rng) => ({ widgets: between(rng, 1, 24) }),
  Invoice: (rng) => ({ amount: between(rng, 20, 9000), currency: pick(rng, ["USD", "USD", "EUR", "GBP"]) }),
  Task: (rng) => ({ priority: pick(rng, ["low", "medium", "high"]) }),
  File: (rng) => ({ sizeKb: between(rng, 1, 50_000), type: pick(rng, ["pdf", "png", "csv", "docx"]) }),
  Search: (rng) => ({ results: between(rng, 0, 200) }),
  Plan: (rng) => ({ seats: between(rng, 1, 50) }),
};
const dataMakers = EVENT_NAMES.map((name) => OBJECT_DATA[name.slice(0, name.lastIndexOf(" "))]);

/** Cumulative Zipf weights (1/rank^exponent) over `n` ranks, normalised to end at 1. */
function zipfCdf(n: number, exponent: number): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let rank = 0; rank < n; rank++) {
    sum += 1 / (rank + 1) ** exponent;
    cdf[rank] = sum;
  }
  for (let rank = 0; rank < n; rank++) cdf[rank] /= sum;
  return cdf;
}

/**
 * Events per customer: one each, the rest shared by Zipf weight (exponent 1, as for word
 * frequencies), so customer 0 is the busiest. Exact: the counts add up to `events`.
 */
function eventsPerCustomer(events: number, customers: number): Int32Array {
  const cdf = zipfCdf(customers, 1);
  const counts = new Int32Array(customers);
  const extra = events - customers;
  let given = 0;
  for (let c = 0; c < customers; c++) {
    counts[c] = 1 + Math.floor(extra * (cdf[c] - (c ? cdf[c - 1] : 0)));
    given += counts[c] - 1;
  }
  for (let c = 0; given < extra; c = (c + 1) % customers, given++) counts[c]++; // rounding leftovers
  return counts;
}

/** A bijection on 32-bit integers (lowbias32): distinct indexes give distinct, random-looking ids. */
function scramble(index: number, salt: number): number {
  let x = (index ^ salt) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

export interface SeedPlan {
  events: number;
  customers: number;
  days: number;
  seed: number;
  /** The history ends just before this (ms). */
  now: number;
}

// Each event is first one number, (second of the window) × 2^24 + customer, so that one numeric
// sort puts the whole history in time order. Exact as long as it stays below 2^53: hence at most
// 2^29 seconds (over 16 years) and 2^24 customers.
const CUSTOMER_SPACE = 2 ** 24;
const MAX_WINDOW_S = 2 ** 29;

export function createSeeder({ events, customers, days, seed, now }: SeedPlan) {
  if (customers > events) throw new RangeError("every customer needs at least one event");
  const windowS = days * 86_400;
  if (customers > CUSTOMER_SPACE || windowS > MAX_WINDOW_S) throw new RangeError("too many customers or days");
  const windowStart = now - windowS * 1000;
  const rng = mulberry32(seed);
  const salt = (rng() * 2 ** 32) >>> 0;
  const eventCdf = zipfCdf(EVENT_NAMES.length, 1.1);

  // Per customer: how far back its history goes and, for B2B accounts, its users.
  const historyS = new Uint32Array(customers);
  const userCount = new Uint8Array(customers);
  const firstUser = new Int32Array(customers);
  let totalUsers = 0;
  for (let c = 0; c < customers; c++) {
    // Most customers predate the window; the others joined during it (at the latest in its last
    // fifth), so activity grows towards today, as for a product that is gaining customers.
    historyS[c] = windowS * (rng() < 0.6 ? 1 : 0.2 + 0.8 * rng());
    if (rng() < B2B_SHARE) userCount[c] = between(rng, 2, 20);
    firstUser[c] = totalUsers;
    totalUsers += userCount[c];
  }

  // Oldest first, as the events would have arrived: the indexes on event dates are then
  // appended to, as in production. In random date order a million events took 1.6× as long.
  const counts = eventsPerCustomer(events, customers);
  const timeline = new Float64Array(events);
  for (let c = 0, i = 0; c < customers; c++) {
    for (let k = 0; k < counts[c]; k++) {
      timeline[i++] = (windowS - 1 - Math.floor(rng() * historyS[c])) * CUSTOMER_SPACE + c;
    }
  }
  timeline.sort();

  const customerSeen = new Uint8Array(customers);
  const userSeen = new Uint8Array(totalUsers);
  let position = 0;
  let usersSeen = 0;

  const customerId = (c: number) => `cus_${scramble(c, salt).toString(36).padStart(7, "0")}`;

  function attributes(c: number): Pick<NormalizedEvent, "customerData" | "customerEmail"> {
    const name = `${pick(rng, COMPANY_WORDS)} ${pick(rng, COMPANY_KINDS)}`;
    const email = `billing@${name.toLowerCase().replaceAll(" ", "-")}.${pick(rng, TLDS)}`;
    const plan = userCount[c] ? pick(rng, ["pro", "business", "enterprise"]) : pick(rng, ["free", "free", "starter", "pro"]);
    return { customerData: { name, plan, email }, customerEmail: email };
  }

  function nextEvent(): NormalizedEvent {
    const key = timeline[position++];
    const c = key % CUSTOMER_SPACE;
    const r = rng();
    let e = 0;
    while (eventCdf[e] < r) e++;
    const data = dataMakers[e]?.(rng);
    const event: NormalizedEvent = {
      event: EVENT_NAMES[e],
      customerId: customerId(c),
      eventDate: windowStart + ((key - c) / CUSTOMER_SPACE) * 1000 + Math.floor(rng() * 1000),
      eventData: JSON.stringify({ platform: pick(rng, PLATFORMS), ...data }),
      verified: true,
    };
    if (!customerSeen[c]) {
      customerSeen[c] = 1;
      Object.assign(event, attributes(c));
    }
    if (userCount[c]) {
      // Squaring skews activity towards each account's first few users, like a team's admins.
      const u = firstUser[c] + Math.floor(rng() ** 2 * userCount[c]);
      if (!userSeen[u]) {
        userSeen[u] = 1;
        usersSeen++;
      }
      event.user = { uid: `usr_${scramble(u, ~salt).toString(36).padStart(7, "0")}` };
    }
    return event;
  }

  return {
    /** The next `size` events, oldest first (fewer at the end); a customer's first event carries its attributes. */
    next(size: number): NormalizedEvent[] {
      const batch: NormalizedEvent[] = [];
      while (batch.length < size && position < events) batch.push(nextEvent());
      return batch;
    },
    get done(): number {
      return position;
    },
    /** Users that have had an event so far. */
    get users(): number {
      return usersSeen;
    },
  };
}
