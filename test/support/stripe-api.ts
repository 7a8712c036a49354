// A local stand-in for Stripe's API, for `trackd stripe sync`: GET /v1/products, /v1/customers
// and /v1/subscriptions in Stripe's list format, paged by `limit` and `starting_after` as Stripe
// pages them, behind a Bearer key, with Stripe's error bodies. It records every request.

type StripeObject = { id: string } & Record<string, unknown>;
export type StripeLists = Record<"products" | "customers" | "subscriptions", StripeObject[]>;

/** What Stripe lists without `status`: every subscription but the canceled and expired ones. */
const listedByDefault = (subscription: StripeObject) => !["canceled", "incomplete_expired"].includes(subscription.status as string);

const stripeError = (status: number, message: string) => Response.json({ error: { type: "invalid_request_error", message } }, { status });

export function fakeStripeApi(lists: StripeLists, apiKey: string) {
  const requests: URL[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(request) {
      const url = new URL(request.url);
      requests.push(url);
      const given = request.headers.get("authorization")?.replace(/^Bearer /, "") ?? "";
      // Stripe masks the key in this message; echoing it whole checks that trackd never prints it.
      if (given !== apiKey) return stripeError(401, `Invalid API Key provided: ${given}`);
      const name = url.pathname.match(/^\/v1\/(products|customers|subscriptions)$/)?.[1] as keyof StripeLists | undefined;
      if (request.method !== "GET" || !name) return stripeError(404, `Unrecognized request URL (${request.method}: ${url.pathname}).`);
      const all = name === "subscriptions" && url.searchParams.get("status") !== "all" ? lists[name].filter(listedByDefault) : lists[name];
      const limit = Number(url.searchParams.get("limit") ?? 10);
      const after = url.searchParams.get("starting_after");
      const start = after === null ? 0 : all.findIndex((object) => object.id === after) + 1;
      return Response.json({ object: "list", data: all.slice(start, start + limit), has_more: start + limit < all.length, url: `/v1/${name}` });
    },
  });
  return {
    base: `http://127.0.0.1:${server.port}`,
    /** The requests for one list, in order. */
    requestsFor: (path: string) => requests.filter((url) => url.pathname === path),
    stop: () => server.stop(true),
  };
}
