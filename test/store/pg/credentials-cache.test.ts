// The PostgreSQL store's credentials cache (src/store/pg/credentials-cache.ts), on its own: what
// it keeps, what it drops, and the load that straddles a drop.
import { expect, test } from "bun:test";
import { AsyncCredentialsCache } from "../../../src/store/pg/credentials-cache";

function harness() {
  const source = { current: 0, version: () => source.current };
  const cache = new AsyncCredentialsCache(source);
  let loads = 0;
  const load = (value: string | undefined) => async () => {
    loads += 1;
    return value;
  };
  return { source, cache, load, loads: () => loads };
}

test("a hit is the same settled promise without a load; a miss is not kept", async () => {
  const h = harness();
  expect(await h.cache.get("key:a", h.load("A"))).toBe("A");
  const hit = h.cache.get("key:a", h.load("other"));
  expect(h.cache.get("key:a", h.load("other"))).toBe(hit);
  expect(await hit).toBe("A");
  expect(await h.cache.get("key:none", h.load(undefined))).toBeUndefined();
  expect(await h.cache.get("key:none", h.load("created since"))).toBe("created since");
  expect(h.loads()).toBe(3);
});

test("a moved version (another node's change) or clear() (this node's) drops what is kept", async () => {
  const h = harness();
  await h.cache.get("key:a", h.load("old"));
  h.source.current += 1;
  expect(await h.cache.get("key:a", h.load("new"))).toBe("new");
  h.cache.clear();
  expect(await h.cache.get("key:a", h.load("newer"))).toBe("newer");
});

test("concurrent misses share one load; a load running when the cache is dropped is answered but not kept", async () => {
  const h = harness();
  const gate = Promise.withResolvers<string>();
  let slowLoads = 0;
  const slow = () => {
    slowLoads += 1;
    return gate.promise;
  };
  const first = h.cache.get("key:a", slow);
  const second = h.cache.get("key:a", slow);
  expect(slowLoads).toBe(1);
  h.source.current += 1; // the change commits while the read that began before it is in flight
  gate.resolve("read before the change");
  expect(await first).toBe("read before the change");
  expect(await second).toBe("read before the change");
  expect(await h.cache.get("key:a", h.load("read after"))).toBe("read after");
});
