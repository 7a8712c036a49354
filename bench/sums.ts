// The counts' bookkeeping alone (src/store/counts.ts countEvent and Sums), in process: ns per
// event for Zipf/runs/uniform events in batches of 64, each batch drained as the writer does,
// against leaner forms of the same sums, to price lever 3's "in-memory sums" (bench/README.md).
// `taskset -c 0 bun bench/sums.ts [--traffic zipf|runs|uniform]`.
import { parseArgs } from "node:util";
import { dayOf } from "../src/periods";
import { countEvent, newCountSums, type Counted, type Sum } from "../src/store/counts";
import { customerSequence, EVENT_NAMES } from "./lua";

const { values: flags } = parseArgs({
  options: { traffic: { type: "string", default: "zipf" }, rounds: { type: "string", default: "7" } },
});
const N = 640_000;
const traffic = flags.traffic === "uniform" ? undefined : customerSequence(flags.traffic === "runs" ? "runs" : "zipf");
const now = Date.now();
const events: Counted[] = Array.from({ length: N }, (_, i) => {
  const n = i + 1;
  const customer = traffic ? traffic[n % traffic.length]! : (n * 7919) % 10_000;
  return {
    appPk: 1,
    customerPk: customer + 1,
    userPk: n % 3 === 0 ? 100_000 + customer * 4 + (n % 4) : null,
    event: EVENT_NAMES[n % EVENT_NAMES.length]!,
    eventDate: now - (n % 1000) * 100_000,
  };
});

let sink = 0;
const write = (row: Sum) => void (sink += row.count);

function current(): void {
  const sums = newCountSums();
  for (let i = 0; i < N; i += 64) {
    for (let j = i; j < i + 64; j++) countEvent(sums, events[j]!);
    for (const s of Object.values(sums)) (s as { drain(w: (r: Sum) => void): void }).drain(write);
  }
}

// Leaner: no closure per add, one or two levels (numbers first, the event's name second).
type Row = Sum & Record<string, unknown>;
function bump(row: Sum, at: number): void {
  row.count += 1;
  if (row.firstSeen !== undefined && at < row.firstSeen) row.firstSeen = at;
  if (row.lastSeen !== undefined && at > row.lastSeen) row.lastSeen = at;
}
class One {
  rows = new Map<number, Row>();
  drain(w: (r: Sum) => void) {
    for (const r of this.rows.values()) w(r);
    this.rows.clear();
  }
}
class Two {
  rows = new Map<number, Map<string, Row>>();
  get(a: number, b: string): Row | undefined {
    return this.rows.get(a)?.get(b);
  }
  set(a: number, b: string, r: Row): void {
    let m = this.rows.get(a);
    if (!m) this.rows.set(a, (m = new Map()));
    m.set(b, r);
  }
  drain(w: (r: Sum) => void) {
    for (const m of this.rows.values()) for (const r of m.values()) w(r);
    this.rows.clear();
  }
}
function lean(): void {
  const s = { ca: new One(), ua: new One(), ce: new Two(), ae: new Two(), cde: new Two(), cd: new One(), ad: new Two() };
  for (let i = 0; i < N; i += 64) {
    for (let j = i; j < i + 64; j++) {
      const { appPk, customerPk, userPk, event, eventDate: at } = events[j]!;
      const day = dayOf(at);
      const ofDay = customerPk * 4_194_304 + day;
      let r = s.ca.rows.get(customerPk);
      if (r) bump(r, at);
      else s.ca.rows.set(customerPk, { pk: customerPk, count: 1, firstSeen: at, lastSeen: at });
      if (userPk !== null) {
        r = s.ua.rows.get(userPk);
        if (r) bump(r, at);
        else s.ua.rows.set(userPk, { pk: userPk, count: 1, firstSeen: at, lastSeen: at });
      }
      r = s.ce.get(customerPk, event);
      if (r) bump(r, at);
      else s.ce.set(customerPk, event, { appPk, customerPk, event, count: 1, firstSeen: at, lastSeen: at });
      r = s.ae.get(appPk, event);
      if (r) bump(r, at);
      else s.ae.set(appPk, event, { appPk, event, count: 1, firstSeen: at, lastSeen: at });
      r = s.cde.get(ofDay, event);
      if (r) r.count += 1;
      else s.cde.set(ofDay, event, { appPk, customerPk, day, event, count: 1 });
      r = s.cd.rows.get(ofDay);
      if (r) r.count += 1;
      else s.cd.rows.set(ofDay, { appPk, customerPk, day, count: 1 });
      const appDay = appPk * 4_194_304 + day;
      r = s.ad.get(appDay, event);
      if (r) r.count += 1;
      else s.ad.set(appDay, event, { appPk, day, event, count: 1 });
    }
    for (const t of Object.values(s)) t.drain(write);
  }
}

// Flat: one Map per table, a string key for the two-part ones (what the nested maps replaced).
function flat(): void {
  const s = Array.from({ length: 7 }, () => new Map<number | string, Row>());
  const add = (m: Map<number | string, Row>, k: number | string, at: number, make: () => Row) => {
    const r = m.get(k);
    if (r) bump(r, at);
    else m.set(k, make());
  };
  for (let i = 0; i < N; i += 64) {
    for (let j = i; j < i + 64; j++) {
      const { appPk, customerPk, userPk, event, eventDate: at } = events[j]!;
      const day = dayOf(at);
      const ofDay = customerPk * 4_194_304 + day;
      add(s[0]!, customerPk, at, () => ({ pk: customerPk, count: 1, firstSeen: at, lastSeen: at }));
      if (userPk !== null) add(s[1]!, userPk, at, () => ({ pk: userPk, count: 1, firstSeen: at, lastSeen: at }));
      add(s[2]!, `${customerPk}|${event}`, at, () => ({ appPk, customerPk, event, count: 1, firstSeen: at, lastSeen: at }));
      add(s[3]!, `${appPk}|${event}`, at, () => ({ appPk, event, count: 1, firstSeen: at, lastSeen: at }));
      add(s[4]!, `${ofDay}|${event}`, at, () => ({ appPk, customerPk, day, event, count: 1 }));
      add(s[5]!, ofDay, at, () => ({ appPk, customerPk, day, count: 1 }));
      add(s[6]!, `${appPk}|${day}|${event}`, at, () => ({ appPk, day, event, count: 1 }));
    }
    for (const m of s) {
      for (const r of m.values()) write(r);
      m.clear();
    }
  }
}

const variants = { current, lean, flat };
for (const f of Object.values(variants)) f(); // warm-up
const results: Record<string, number[]> = { current: [], lean: [], flat: [] };
for (let round = 0; round < Number(flags.rounds); round++) {
  for (const [name, f] of Object.entries(variants)) {
    const t = process.cpuUsage();
    f();
    const c = process.cpuUsage(t);
    results[name]!.push(((c.user + c.system) * 1000) / N);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
for (const [name, xs] of Object.entries(results))
  console.log(
    `${name}: median ${median(xs).toFixed(0)} ns of CPU per event (${xs.map((x) => x.toFixed(0)).join(", ")}) [${flags.traffic}]`,
  );
if (sink === 0) console.log("nothing summed");
