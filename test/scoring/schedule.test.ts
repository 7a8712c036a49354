// The server's schedule: a pass at start, then one per interval, never two at once; a failed
// pass is logged and the next one still runs; stop() ends it cleanly.
import { describe, expect, test } from "bun:test";
import type { Logger } from "../../src/log";
import type { HealthPass, PassResult } from "../../src/scoring/pass";
import { scheduleHealthPasses } from "../../src/scoring/schedule";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits for what the schedule should do, however slow the machine: no fixed sleep decides the outcome. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await sleep(2);
}
const RESULT: PassResult = { appId: "app_1", customersScored: 3, changed: 1, medianBreadth: 2, durationMs: 5 };

function recorder() {
  const lines: string[] = [];
  const logger: Logger = {
    debug: (message) => lines.push(`debug ${message}`),
    info: (message) => lines.push(`info ${message}`),
    warn: (message) => lines.push(`warn ${message}`),
    error: (message) => lines.push(`error ${message}`),
  };
  return { lines, logger };
}

describe("scheduleHealthPasses", () => {
  test("runs at once, then again after each interval, one pass at a time", async () => {
    let running = 0;
    let overlapped = false;
    const starts: number[] = [];
    const pass = {
      async run() {
        starts.push(performance.now());
        overlapped ||= running > 0;
        running++;
        await sleep(15); // longer than the interval: the next waits for this one
        running--;
        return [RESULT];
      },
    } as unknown as HealthPass;
    const { lines, logger } = recorder();
    const schedule = scheduleHealthPasses({ pass, intervalMs: 5, logger });
    await until(() => starts.length >= 3);
    await schedule.stop();
    const count = starts.length;
    expect(overlapped).toBe(false);
    expect(lines[0]).toBe("info health scores updated");
    await sleep(30);
    expect(starts.length).toBe(count); // nothing after stop()
  });

  test("a failing pass is logged and the next one still runs", async () => {
    let calls = 0;
    const pass = {
      async run() {
        calls++;
        if (calls === 1) throw new Error("database is locked");
        return [RESULT];
      },
    } as unknown as HealthPass;
    const { lines, logger } = recorder();
    const schedule = scheduleHealthPasses({ pass, intervalMs: 5, logger });
    await until(() => lines.length >= 2);
    await schedule.stop();
    expect(lines[0]).toBe("error health scoring pass failed; the next one retries");
    expect(lines).toContain("info health scores updated");
  });

  test("stop() aborts the pass in progress and waits for it to return", async () => {
    let finished = false;
    const pass = {
      async run({ signal }: { signal: AbortSignal }) {
        while (!signal.aborted) await sleep(1);
        finished = true;
        return [];
      },
    } as unknown as HealthPass;
    const { lines, logger } = recorder();
    const schedule = scheduleHealthPasses({ pass, intervalMs: 60_000, logger });
    await sleep(10);
    await schedule.stop();
    expect(finished).toBe(true);
    expect(lines).toEqual([]); // an interrupted pass reports nothing
  });
});
