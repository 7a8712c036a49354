// trackd stripe sync: customers and subscriptions read from Stripe's API, for the history that
// predates the webhook (or that a webhook outage missed). Read with the official package's
// auto-pagination and applied through the billing service, as webhook events are.
import Stripe from "stripe";
import { version } from "../../package.json";
import { createBillingService, type BillingService } from "../billing/service";
import { stripeCustomer, stripeSubscription } from "../billing/stripe";
import type { ChangeSource } from "../billing/model";
import { UsageError } from "../config";
import { dbOption, parseCommandArgs } from "./args";
import { openStoreForCommand, requireApp } from "./db";
import { progressBar } from "./progress";

/** Stripe's largest page, and one writer job per page. */
const PAGE = 100;
const STRIPE_API = "https://api.stripe.com";
// A subscription's discounts are ids unless expanded, and so is each discount's coupon: four
// levels, the most Stripe expands.
const EXPAND_DISCOUNTS = ["data.discounts.source.coupon"];

export async function stripeCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub.startsWith("-")) throw new UsageError("stripe needs a command: sync");
  if (sub !== "sync") throw new UsageError(`unknown stripe command "${sub}"`);
  const { values } = parseCommandArgs(rest, { ...dbOption, app: { type: "string" }, "api-key": { type: "string" }, "api-base": { type: "string" } });
  if (!values.app) throw new UsageError("stripe sync needs --app APP_ID");
  const apiKey = values["api-key"] ?? env.STRIPE_API_KEY;
  if (!apiKey) throw new UsageError("stripe sync needs --api-key sk_... (or STRIPE_API_KEY)");
  // A publishable key (pk_) can read neither customers nor subscriptions.
  if (!/^(sk|rk)_/.test(apiKey)) throw new UsageError("the Stripe API key (--api-key or STRIPE_API_KEY) must be a secret key (sk_...) or a restricted key (rk_...)");
  const base = values["api-base"] ?? STRIPE_API;
  const stripe = new Stripe(apiKey, { ...hostOf(base), maxNetworkRetries: 2, telemetry: false, appInfo: { name: "trackd", version } });

  const { store, close } = await openStoreForCommand(values, env, { command: "stripe sync", mustExist: true });
  try {
    await requireApp(store, values.app);
    const billing = createBillingService({ store });
    const started = performance.now();
    const synced = await sync(stripe, billing, values.app);
    console.log(
      `synced ${synced.customers} customers and ${synced.subscriptions} subscriptions from Stripe in ${((performance.now() - started) / 1000).toFixed(1)} s: ${synced.movements} MRR movements recorded`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeError)) throw error;
    // Stripe masks keys in its messages; a proxy or mock in between might not.
    console.error(`trackd: ${describe(error, base).replaceAll(apiKey, "[API key]")}\nWhat was read before this is saved; running the sync again is safe.`);
    return 1;
  } finally {
    await close();
  }
}

async function sync(stripe: Stripe, billing: BillingService, appId: string) {
  // Everything read is applied as true when the sync began. A webhook event created after that
  // wins whenever it arrives, and an older one delivered late is ignored as stale. Taking the
  // start rather than the moment each page was read errs toward the webhook events, which carry
  // every change one by one (and whose `created` comes from Stripe's clock, not this one's).
  const source: ChangeSource = { at: Date.now() };
  const productNames = new Map<string, string>();
  await inPages(stripe.products.list({ limit: PAGE }), "reading products", "products", (page) => {
    for (const product of page) productNames.set(product.id, product.name);
  });
  const customers = await inPages(liveOnly(stripe.customers.list({ limit: PAGE })), "syncing customers", "customers", (page) =>
    billing.apply(appId, page.map((customer) => ({ kind: "customer", customer: stripeCustomer(customer), source }))),
  );
  let movements = 0;
  const subscriptions = await inPages(
    stripe.subscriptions.list({ status: "all", limit: PAGE, expand: EXPAND_DISCOUNTS }),
    "syncing subscriptions",
    "subscriptions",
    async (page) => {
      const changes = page.map((subscription) => ({ kind: "subscription" as const, state: stripeSubscription(subscription, productNames), source }));
      movements += (await billing.apply(appId, changes)).movements;
    },
  );
  return { customers, subscriptions, movements };
}

/** Walks an auto-paginated list a page at a time, counting on a progress line; returns the count. */
async function inPages<T>(list: AsyncIterable<T>, verb: string, unit: string, apply: (page: T[]) => unknown): Promise<number> {
  const progress = progressBar(verb, null, unit);
  let page: T[] = [];
  let done = 0;
  const flush = async () => {
    await apply(page);
    done += page.length;
    page = [];
    progress.update(done);
  };
  // Finished on failure too: the count so far ends the line, and the error starts its own.
  try {
    for await (const item of list) {
      page.push(item);
      if (page.length === PAGE) await flush();
    }
    if (page.length > 0) await flush();
  } finally {
    progress.finish();
  }
  return done;
}

/** A deleted customer is a stub ({ id, deleted: true }) with nothing to sync; trackd keeps its history. */
async function* liveOnly<T>(list: AsyncIterable<T>): AsyncIterable<T> {
  for await (const item of list) if ((item as { deleted?: boolean }).deleted !== true) yield item;
}

/** --api-base (a stripe-mock, a test server) as the package's host, port and protocol. */
function hostOf(base: string): Pick<Stripe.StripeConfig, "host" | "port" | "protocol"> {
  const url = URL.parse(base);
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.pathname !== "/" || url.search || url.hash || url.username || url.password) {
    throw new UsageError(`--api-base must be a URL with only a scheme, host and port, such as http://127.0.0.1:12111; got "${base}"`);
  }
  const protocol = url.protocol === "http:" ? "http" : "https";
  return { protocol, host: url.hostname, port: url.port || (protocol === "http" ? 80 : 443) };
}

function describe(error: InstanceType<typeof Stripe.errors.StripeError>, base: string): string {
  if (error instanceof Stripe.errors.StripeAuthenticationError) return `Stripe refused the API key (${error.statusCode}): ${error.message}`;
  if (error instanceof Stripe.errors.StripePermissionError) return `the API key may not read this (${error.statusCode}): ${error.message}`;
  if (error instanceof Stripe.errors.StripeConnectionError) return `could not reach Stripe at ${base}: ${error.message}`;
  return `Stripe answered ${error.statusCode ?? "with an error"}: ${error.message}`;
}
