// trackd stripe sync: the real CLI process against a local server that answers as Stripe's API
// does, read through the official stripe package's auto-pagination into a real database.
import { afterEach, describe, expect, test } from "bun:test";
import { createAppJson, queryDb, removeScratches, scratch, trackd, trackdAsync, type Scratch } from "../support/cli";
import { freePort } from "../support/process";
import { customerObject, subscriptionObject } from "../support/stripe";
import { fakeStripeApi, type StripeLists } from "../support/stripe-api";

const KEY = "sk_test_trackdSyncTests0123456789";
const stops: (() => void)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await removeScratches();
});

const pad = (i: number) => String(i).padStart(4, "0");
const product = (id: string, name: string, active = true) => ({ id, object: "product", active, created: 1767225600, livemode: false, metadata: {}, name, type: "service" });
const percentOff = (percent: number) => ({
  id: "di_quarter",
  object: "discount",
  end: null,
  source: { type: "coupon", coupon: { id: "co_quarter", object: "coupon", percent_off: percent, amount_off: null, duration: "forever" } },
});

/** 250 customers (three pages) and a deleted one, 120 subscriptions (two pages), three products. */
function account(): StripeLists {
  const customers = Array.from({ length: 250 }, (_, i) =>
    customerObject({ id: `cus_${pad(i)}`, email: `owner${i}@example.com`, name: `Company ${i}`, metadata: { segment: i % 2 ? "smb" : "enterprise" } }),
  );
  const basic = { id: "price_basic", unitAmount: 2_000, product: "prod_basic" };
  return {
    products: [product("prod_basic", "Basic"), product("prod_team", "Team"), product("prod_legacy", "Legacy", false)],
    customers: [...customers, { id: "cus_gone", object: "customer", deleted: true }],
    subscriptions: [
      subscriptionObject({ id: "sub_yearly", customer: "cus_0000", items: [{ id: "price_basic_yearly", unitAmount: 12_000, interval: "year", product: "prod_basic" }] }),
      subscriptionObject({ id: "sub_seats", customer: "cus_0001", items: [{ id: "price_team", unitAmount: 4_900, quantity: 3, product: "prod_team" }] }),
      subscriptionObject({ id: "sub_discounted", customer: "cus_0002", items: [{ id: "price_team_big", unitAmount: 10_000, product: "prod_team" }], discounts: [percentOff(25)] }),
      subscriptionObject({ id: "sub_trial", customer: "cus_0003", status: "trialing", trialStart: Date.UTC(2026, 0, 1), trialEnd: Date.UTC(2026, 0, 15), items: [basic] }),
      subscriptionObject({ id: "sub_canceled", customer: "cus_0004", status: "canceled", canceledAt: Date.UTC(2025, 5, 1), endedAt: Date.UTC(2025, 5, 1), items: [{ id: "price_legacy", unitAmount: 3_000, product: "prod_legacy" }] }),
      ...Array.from({ length: 115 }, (_, i) => subscriptionObject({ id: `sub_${pad(i)}`, customer: `cus_${pad(100 + i)}`, items: [basic] })),
    ],
  };
}

function stripeServer(lists = account()) {
  const api = fakeStripeApi(lists, KEY);
  stops.push(api.stop);
  return api;
}

const sync = (s: Scratch, args: string[], env?: Record<string, string>) => trackdAsync(["stripe", "sync", ...args, "--db", s.db], { cwd: s.dir, env: { STRIPE_API_KEY: "", ...env } });

/** Reads the scratch database (either backend) with its own connection, closed again before the next run. */
const query = <T>(s: Scratch, sql: string, ...params: string[]) => queryDb<T>(s.db, sql, params);

const count = async (s: Scratch, table: string) => (await query<{ n: number }>(s, `SELECT count(*) AS n FROM ${table}`))[0]!.n;
const SUMMARY = /^synced 250 customers and 120 subscriptions from Stripe in [\d.]+ s: (\d+) MRR movements recorded\n$/;

describe("trackd stripe sync", () => {
  test("pages through every list and stores customers, subscriptions with their MRR, and each customer's summary", async () => {
    const s = await scratch();
    const { appId } = createAppJson(s, "Acme");
    const api = stripeServer();
    const before = Date.now();
    const result = await sync(s, ["--app", appId, "--api-key", KEY, "--api-base", api.base]);
    expect(result.stderr).not.toContain("trackd:");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(SUMMARY);
    expect(result.stdout.match(SUMMARY)![1]).toBe("118"); // the 118 subscriptions that earn: "new" each
    for (const line of ["reading products: 3 products (", "syncing customers: 250 customers (", "syncing subscriptions: 120 subscriptions ("]) {
      expect(result.stderr).toContain(line);
    }

    // Auto-pagination really turned the pages: 100 at a time, each after the last id seen.
    const customerPages = api.requestsFor("/v1/customers");
    expect(customerPages.map((url) => url.searchParams.get("starting_after"))).toEqual([null, "cus_0099", "cus_0199"]);
    expect(customerPages.every((url) => url.searchParams.get("limit") === "100")).toBe(true);
    const subscriptionPages = api.requestsFor("/v1/subscriptions");
    expect(subscriptionPages.map((url) => url.searchParams.get("starting_after"))).toEqual([null, "sub_0094"]);
    expect(subscriptionPages.every((url) => url.searchParams.get("status") === "all")).toBe(true);
    expect(subscriptionPages[0]!.searchParams.get("expand[0]")).toBe("data.discounts.source.coupon");

    expect(await count(s, "customers")).toBe(250); // not the deleted one
    expect(await query(s, "SELECT email, data ->> 'name' AS name, data ->> 'segment' AS segment FROM customers WHERE customer_id = ?", "cus_0007")).toEqual([
      { email: "owner7@example.com", name: "Company 7", segment: "smb" },
    ]);

    const SUBSCRIPTIONS = "SELECT subscription_id AS id, status, mrr, quantity, plan, plan_name AS \"planName\" FROM subscriptions WHERE subscription_id IN ('sub_yearly', 'sub_seats', 'sub_discounted', 'sub_trial', 'sub_canceled') ORDER BY pk";
    expect(await query(s, SUBSCRIPTIONS)).toEqual([
      { id: "sub_yearly", status: "active", mrr: 1_000, quantity: 1, plan: "price_basic_yearly", planName: "Basic" }, // 12,000 a year
      { id: "sub_seats", status: "active", mrr: 14_700, quantity: 3, plan: "price_team", planName: "Team" }, // 3 × 4,900
      { id: "sub_discounted", status: "active", mrr: 7_500, quantity: 1, plan: "price_team_big", planName: "Team" }, // 10,000 less 25%
      { id: "sub_trial", status: "trialing", mrr: 0, quantity: 1, plan: "price_basic", planName: "Basic" },
      { id: "sub_canceled", status: "canceled", mrr: 0, quantity: 1, plan: "price_legacy", planName: "Legacy" }, // an archived product's name
    ]);
    expect(await count(s, "subscriptions")).toBe(120);
    const summaries = "SELECT customer_id AS id, mrr, billing_status AS status, plan FROM customers WHERE customer_id IN ('cus_0000', 'cus_0001', 'cus_0003', 'cus_0004', 'cus_0100', 'cus_0249') ORDER BY customer_id";
    expect(await query(s, summaries)).toEqual([
      { id: "cus_0000", mrr: 1_000, status: "active", plan: "price_basic_yearly" },
      { id: "cus_0001", mrr: 14_700, status: "active", plan: "price_team" },
      { id: "cus_0003", mrr: 0, status: "trialing", plan: "price_basic" },
      { id: "cus_0004", mrr: 0, status: "canceled", plan: "price_legacy" },
      { id: "cus_0100", mrr: 2_000, status: "active", plan: "price_basic" },
      { id: "cus_0249", mrr: null, status: null, plan: null },
    ]);

    // One moment for the whole sync, its start: webhook events created after it win.
    const moments = await query<{ at: number }>(s, "SELECT DISTINCT source_updated_at AS at FROM subscriptions");
    expect(moments).toHaveLength(1);
    expect(moments[0]!.at).toBeGreaterThanOrEqual(before);
    expect(moments[0]!.at).toBeLessThanOrEqual(Date.now());
  });

  test("a second run (key from STRIPE_API_KEY) changes nothing and adds no billing history", async () => {
    const s = await scratch();
    const { appId } = createAppJson(s, "Acme");
    const api = stripeServer();
    expect((await sync(s, ["--app", appId, "--api-key", KEY, "--api-base", api.base])).code).toBe(0);
    const snapshot = async () => ({
      customers: await query(s, "SELECT customer_id, email, data, mrr, currency, billing_status, plan FROM customers ORDER BY pk"),
      subscriptions: await query(s, "SELECT subscription_id, customer_pk, status, plan, plan_name, items, discounts, quantity, mrr FROM subscriptions ORDER BY pk"),
      billingEvents: await query(s, "SELECT * FROM billing_events ORDER BY pk"),
    });
    const first = await snapshot();
    expect(first.billingEvents).toHaveLength(120);

    const again = await sync(s, ["--app", appId, "--api-base", api.base], { STRIPE_API_KEY: KEY });
    expect(again.code).toBe(0);
    expect(again.stdout.match(SUMMARY)?.[1]).toBe("0");
    expect(await snapshot()).toEqual(first);
  });

  test("a wrong API key exits 1 with Stripe's reason, never printing the key, and stores nothing", async () => {
    const s = await scratch();
    const { appId } = createAppJson(s, "Acme");
    const api = stripeServer();
    const wrong = "sk_test_notTheRightOne42";
    const result = await sync(s, ["--app", appId, "--api-key", wrong, "--api-base", api.base]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("trackd: Stripe refused the API key (401): Invalid API Key provided: [API key]");
    expect(result.stderr).not.toContain(wrong);
    expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace
    expect(result.stdout).toBe("");
    expect(api.requestsFor("/v1/products")).toHaveLength(1); // a 401 is not retried
    expect(await count(s, "customers")).toBe(0);
  });

  test("an unreachable API exits 1 naming the address", async () => {
    const s = await scratch();
    const { appId } = createAppJson(s, "Acme");
    const base = `http://127.0.0.1:${freePort()}`;
    const result = await sync(s, ["--app", appId, "--api-key", KEY, "--api-base", base]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`trackd: could not reach Stripe at ${base}: `);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  test("usage errors exit 2 with the reason", async () => {
    const s = await scratch();
    const { appId } = createAppJson(s, "Acme");
    const cases: [string[], string][] = [
      [["stripe"], "stripe needs a command: sync"],
      [["stripe", "--app", appId], "stripe needs a command: sync"],
      [["stripe", "pull"], 'unknown stripe command "pull"'],
      [["stripe", "sync", "--api-key", KEY], "stripe sync needs --app APP_ID"],
      [["stripe", "sync", "--app", appId], "stripe sync needs --api-key sk_... (or STRIPE_API_KEY)"],
      [["stripe", "sync", "--app", appId, "--api-key", "pk_test_123"], "must be a secret key (sk_...) or a restricted key (rk_...)"],
      [["stripe", "sync", "--app", appId, "--api-key", KEY, "--api-base", "ftp://127.0.0.1"], "--api-base must be a URL with only a scheme, host and port"],
      [["stripe", "sync", "--app", appId, "--api-key", KEY, "--api-base", "http://127.0.0.1:12111/v1"], "--api-base must be a URL with only a scheme, host and port"],
    ];
    for (const [args, message] of cases) {
      const result = trackd([...args, "--db", s.db], { cwd: s.dir, env: { STRIPE_API_KEY: "" } });
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(message);
    }
    // Not a usage error: exit 1, as from every command.
    const noApp = trackd(["stripe", "sync", "--app", "app_nope", "--api-key", KEY, "--db", s.db], { cwd: s.dir, env: { STRIPE_API_KEY: "" } });
    expect(noApp.code).toBe(1);
    expect(noApp.stderr).toContain("no app with id app_nope");
  });
});
