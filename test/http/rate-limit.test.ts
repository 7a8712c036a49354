import { describe, expect, test } from "bun:test";
import { RateLimiter } from "../../src/http/rate-limit";

function limiter(rate: number, burst: number, maxKeys?: number) {
  const clock = { now: 0 };
  return { clock, limiter: new RateLimiter({ rate, burst }, () => clock.now, maxKeys) };
}

describe("RateLimiter", () => {
  test("allows a burst, then refuses with the seconds until the next token", () => {
    const { limiter: l } = limiter(2, 5);
    for (let i = 0; i < 5; i++) expect(l.take("ip")).toBe(0);
    expect(l.take("ip")).toBe(1);
  });

  test("refills at the rate: half a second at 2/s buys one more request", () => {
    const { clock, limiter: l } = limiter(2, 2);
    l.take("ip");
    l.take("ip");
    expect(l.take("ip")).toBeGreaterThan(0);
    clock.now += 500;
    expect(l.take("ip")).toBe(0);
    expect(l.take("ip")).toBeGreaterThan(0);
  });

  test("a slow rate asks for a longer wait", () => {
    const { limiter: l } = limiter(0.1, 1);
    expect(l.take("ip")).toBe(0);
    expect(l.take("ip")).toBe(10);
  });

  test("never holds more than the burst, however long it was idle", () => {
    const { clock, limiter: l } = limiter(10, 3);
    clock.now += 3_600_000;
    for (let i = 0; i < 3; i++) expect(l.take("ip")).toBe(0);
    expect(l.take("ip")).toBeGreaterThan(0);
  });

  test("keys are independent", () => {
    const { limiter: l } = limiter(1, 1);
    expect(l.take("a")).toBe(0);
    expect(l.take("a")).toBeGreaterThan(0);
    expect(l.take("b")).toBe(0);
  });

  test("memory stays bounded: idle full buckets are forgotten first, then all", () => {
    const { clock, limiter: l } = limiter(1, 1, 100);
    for (let i = 0; i < 100; i++) l.take(`ip${i}`);
    expect(l.size).toBe(100);
    clock.now += 1000; // all refilled: forgetting them loses nothing
    l.take("new");
    expect(l.size).toBe(1);
    for (let i = 0; i < 99; i++) l.take(`busy${i}`);
    l.take("one-too-many"); // none is full yet: the cap still holds
    expect(l.size).toBeLessThanOrEqual(100);
  });
});
