// wrk scripts, generated with the credentials of the run. Bodies are realistic: 10,000
// customers, a few dozen event names, eventData of a few fields, some B2B users.
import { createHmac } from "node:crypto";

export const EVENT_NAMES = [
  "Post Created", "Post Published", "Comment Added", "Report Exported", "Dashboard Viewed", "Invite Sent",
  "Seat Added", "Integration Connected", "File Uploaded", "Search Performed", "Settings Changed", "Login Succeeded",
];

/**
 * Which customer each event is for. `uniform`: event n goes to customer (n × 7919) mod 10,000,
 * so no customer repeats within 10,000 events (the worst case for per-batch sums; what every
 * run before 2026-11-29 measured). `zipf`: customers drawn with Zipf weights (exponent 1, as
 * `trackd dev seed` does), so the busiest customer sends thousands of times the median's events,
 * as in real products; its B2B users are that customer's own (u_<customer>_<0..3>). `runs`:
 * Zipf-drawn customers, each sending a run of consecutive events (1 to 40, mean ~10), as a
 * backfill sends each customer's history.
 */
export type Traffic = "uniform" | "zipf" | "runs";

export const CUSTOMERS = 10_000;
const DRAWS = 50_000; // the drawn sequence repeats after this many events

/** Deterministic (mulberry32), so that every run and both binaries of an A/B see the same traffic. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The customer index of each of DRAWS events. */
export function customerSequence(traffic: Exclude<Traffic, "uniform">, seed = 1): number[] {
  const rng = random(seed);
  const cdf = new Float64Array(CUSTOMERS);
  let sum = 0;
  for (let rank = 0; rank < CUSTOMERS; rank++) cdf[rank] = sum += 1 / (rank + 1);
  const draw = () => {
    const target = rng() * sum;
    let lo = 0;
    let hi = CUSTOMERS - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const sequence: number[] = [];
  while (sequence.length < DRAWS) {
    const customer = draw();
    const run = traffic === "runs" ? 1 + Math.floor(rng() * rng() * 40) : 1;
    for (let i = 0; i < run; i++) sequence.push(customer);
  }
  return sequence.slice(0, DRAWS);
}

const common = (appId: string, apiKey: string, traffic: Traffic = "uniform") => `
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["x-ck-api-key"] = "${apiKey}"
wrk.headers["x-ck-app"] = "${appId}"
local names = { ${EVENT_NAMES.map((n) => `"${n}"`).join(", ")} }
local n = 0
${
  traffic === "uniform"
    ? `local function who()
  local user = ""
  if n % 3 == 0 then user = string.format(',"user":{"uid":"u_%d"}', n % 40000) end
  return (n * 7919) % ${CUSTOMERS}, user
end`
    : `local customers = { ${customerSequence(traffic).join(",")} }
local function who()
  local customer = customers[(n % #customers) + 1]
  local user = ""
  if n % 3 == 0 then user = string.format(',"user":{"uid":"u_%d_%d"}', customer, n % 4) end
  return customer, user
end`
}
local function event()
  n = n + 1
  local customer, user = who()
  return string.format('{"event":"%s","customerId":"cus_%d","eventData":{"plan":"pro","size":%d,"source":"web","n":%d}%s}',
    names[(n % #names) + 1], customer, n % 500, n, user)
end
`;

export function singleScript(appId: string, apiKey: string, path = "/v1/api/events/new", traffic: Traffic = "uniform"): string {
  return `${common(appId, apiKey, traffic)}
request = function()
  return wrk.format(nil, "${path}", nil, event())
end
`;
}

export function bulkScript(appId: string, apiKey: string, traffic: Traffic = "uniform"): string {
  return `${common(appId, apiKey, traffic)}
request = function()
  local items = {}
  for i = 1, 100 do items[i] = event() end
  return wrk.format(nil, "/v1/api/events/bulk", nil, "[" .. table.concat(items, ",") .. "]")
end
`;
}

/**
 * POST /v1/batch as @segment/analytics-node sends it (Basic auth, timestamp, messageId,
 * context.library, integrations, _metadata, a batch sentAt), 100 track messages per request
 * like the bulk scenario, over the same 10,000 customers: userId is the customer (B2C), and on
 * every third message a user of that customer (userId, context.groupId). Every message has a
 * messageId, as the SDKs always send one; `run` keeps them unique across wrk runs.
 */
export function segmentBatchScript(apiKey: string): string {
  const basic = Buffer.from(`${apiKey}:`).toString("base64");
  return `
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Basic ${basic}"
local names = { ${EVENT_NAMES.map((n) => `"${n}"`).join(", ")} }
math.randomseed(os.time())
local run = string.format("%d-%d", os.time(), math.random(1, 1000000000))
local n = 0
local function message(now)
  n = n + 1
  local customer = (n * 7919) % 10000
  local who = string.format('"userId":"cus_%d"', customer)
  if n % 3 == 0 then who = string.format('"userId":"u_%d","context":{"groupId":"cus_%d","library":{"name":"@segment/analytics-node","version":"3.1.0"}}', n % 40000, customer)
  else who = who .. ',"context":{"library":{"name":"@segment/analytics-node","version":"3.1.0"}}' end
  return string.format('{"timestamp":"%s","integrations":{},"event":"%s","type":"track","properties":{"plan":"pro","size":%d,"source":"web","n":%d},%s,"messageId":"node-next-%s-%d","_metadata":{"nodeVersion":"v22","jsRuntime":"node"}}',
    now, names[(n % #names) + 1], n % 500, n, who, run, n)
end
request = function()
  local now = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local items = {}
  for i = 1, 100 do items[i] = message(now) end
  return wrk.format(nil, "/v1/batch", nil, '{"batch":[' .. table.concat(items, ",") .. '],"sentAt":"' .. now .. '"}')
end
`;
}

/**
 * Signed browser events as the snippet sends them (text/plain, an Origin, appId and authHash in
 * the body). wrk's Lua has no HMAC, so the signatures of the 10,000 customers are computed here.
 */
export function clientScript(appId: string, signingSecret: string): string {
  const signatures = Array.from({ length: 10_000 }, (_, i) => `"${createHmac("sha256", signingSecret).update(`cus_${i}`).digest("hex")}"`);
  return `
wrk.method = "POST"
wrk.headers["content-type"] = "text/plain;charset=UTF-8"
wrk.headers["origin"] = "https://app.example.com"
local names = { ${EVENT_NAMES.map((n) => `"${n}"`).join(", ")} }
local signatures = { ${signatures.join(",")} }
local n = 0
request = function()
  n = n + 1
  local customer = (n * 7919) % 10000
  return wrk.format(nil, "/v1/api/events/client", nil, string.format(
    '{"appId":"${appId}","event":"%s","customerId":"cus_%d","authHash":"%s","eventData":{"plan":"pro","size":%d,"source":"web","n":%d}}',
    names[(n % #names) + 1], customer, signatures[customer + 1], n % 500, n))
end
`;
}

export function profileReadScript(appId: string, apiKey: string): string {
  return `
wrk.headers["x-ck-api-key"] = "${apiKey}"
wrk.headers["x-ck-app"] = "${appId}"
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", string.format("/v1/api/customers/cus_%d", (n * 7919) % 10000))
end
`;
}

/** Appended to a script, makes wrk print the 95th percentile, which its --latency report lacks. */
const P95_DONE = `
done = function(summary, latency, requests)
  io.write(string.format("p95_us %d\\n", latency:percentile(95)))
end
`;

/**
 * GET requests for the read benchmark. `path` may hold {id}, replaced on each request by a
 * customer id drawn at random from `ids`.
 */
export function readScript(appId: string, apiKey: string, path: string, ids: string[]): string {
  const [before, after = ""] = path.split("{id}");
  const lua = (text: string) => JSON.stringify(text); // a JSON string is a valid Lua string here: ASCII, no control characters
  return `
wrk.headers["x-ck-api-key"] = "${apiKey}"
wrk.headers["x-ck-app"] = "${appId}"
local ids = { ${path.includes("{id}") ? ids.map(lua).join(",") : ""} }
request = function()
  local path = ${path.includes("{id}") ? `${lua(before)} .. ids[math.random(#ids)] .. ${lua(after)}` : lua(path)}
  return wrk.format("GET", path)
end
${P95_DONE}`;
}
