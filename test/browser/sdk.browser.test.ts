// The snippet in a real browser: Debian's Chromium driven by playwright-core. trackd runs as a
// real process; the pages come from a second origin (another port), as on a customer's site.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { createHmac } from "node:crypto";
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { createAppsService, type CreatedApp } from "../../src/apps/service";
import { SDK_SOURCE } from "../../src/sdk/index";
import { freePort, startTrackd } from "../support/process";
import { queryDb, removeScratches, scratch, withStoreOn } from "../support/cli";

const CHROMIUM = "/usr/bin/chromium";
// Without the background-networking flags Chromium keeps dialling Google, which this network refuses.
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

// The queue stub from the README, verbatim: calls made before /sdk.js has loaded.
const QUEUE_STUB = `!function(w){var c=w.churnkey=w.churnkey||{};c.q=c.q||[];["init","event"].forEach(function(m){if(!c[m]){c[m]=function(){var a=[].slice.call(arguments);return new Promise(function(r,j){c.q.push([m,a,r,j])})};c[m].stub=1}})}(window);`;

let browser: Browser;
let trackd: Subprocess | undefined;
let pages: ReturnType<typeof Bun.serve>;
/** A database of the suite's backend: a SQLite file or a fresh PostgreSQL database's URL. */
let dbPath: string;
let port: number;
let app: CreatedApp;
let trackdBase: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (see README, Development)`);
  dbPath = (await scratch()).db;
  app = await withStoreOn(dbPath, (store) => createAppsService(store).create("browser"));
  port = freePort();
  trackdBase = `http://127.0.0.1:${port}`;
  trackd = await startTrackd(dbPath, port);
  pages = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: servePage });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  trackd?.kill("SIGKILL");
  pages?.stop(true);
  await trackd?.exited;
  await removeScratches();
});

/** Requests seen by /busy: the first is answered 429, the rest are passed on to trackd. */
const busyArrivals: number[] = [];
const BUSY_RETRY_AFTER_S = 2;

/** The customer's site: a few pages that load the snippet in the documented ways. */
async function servePage(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (pathname === "/busy/v1/api/events/client") {
    // A stand-in for a trackd that is shedding load, on the page's own origin (no CORS needed).
    busyArrivals.push(Date.now());
    if (busyArrivals.length === 1) return new Response("{}", { status: 429, headers: { "retry-after": String(BUSY_RETRY_AFTER_S) } });
    return fetch(`${trackdBase}/v1/api/events/client`, { method: "POST", body: await request.text() });
  }
  const html = (body: string) => new Response(`<!doctype html><html><body>${body}</body></html>`, { headers: { "content-type": "text/html" } });
  const tag = `<script src="${trackdBase}/sdk.js" data-app-id="${app.appId}" async></script>`;
  switch (pathname) {
    case "/":
      return html(tag);
    case "/stub":
      return html(`<script>${QUEUE_STUB}
        churnkey.init({ appId: "${app.appId}" });
        window.early = churnkey.event({ customerId: "cus_stub", event: "Early Called" });
      </script><script src="${trackdBase}/sdk.js" async></script>`);
    case "/foreign":
      return html(`<script>window.churnkey = { version: "cancel-flow", init: function (mode) { window.foreignInit = mode; } };</script>${tag}`);
    case "/busy":
      return html(`<script src="/copy/sdk.js"></script><script>churnkey.init({ appId: "${app.appId}", endpoint: "/busy" });</script>`);
    case "/self-hosted":
      // The snippet from this origin, pointed at trackd: the page loads even while trackd is down.
      return html(`<script src="/copy/sdk.js"></script><script>churnkey.init({ appId: "${app.appId}", endpoint: "${trackdBase}" });</script>`);
    case "/copy/sdk.js":
      return new Response(SDK_SOURCE, { headers: { "content-type": "application/javascript" } });
    case "/other":
      return html("<p>another page</p>");
    default:
      return new Response("not found", { status: 404 });
  }
}

function pageUrl(path: string) {
  return `http://127.0.0.1:${pages.port}${path}`;
}

/** A fresh browser profile (own localStorage) on `path`, with the snippet ready. */
async function openPage(path: string): Promise<{ page: Page; warnings: string[]; errors: string[]; requests: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const warnings: string[] = [];
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (message) => message.type() === "warning" && warnings.push(message.text()));
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("request", (request) => request.url().endsWith("/v1/api/events/client") && requests.push(request.resourceType()));
  await page.goto(pageUrl(path));
  await page.waitForFunction(() => typeof (window as any).churnkey?.event === "function" && (window as any).churnkey.__trackd);
  return { page, warnings, errors, requests };
}

const sign = (identity: string) => createHmac("sha256", app.signingSecret).update(identity).digest("hex");

interface StoredEvent {
  id: string;
  event: string;
  verified: number;
  source: string;
  messageId: string;
}

/** What the database holds for a customer, read through a separate connection (either backend: verified as 0/1). */
function storedFor(customerId: string): Promise<StoredEvent[]> {
  return queryDb<StoredEvent>(
    dbPath,
    `select e.id, e.event, case when e.verified then 1 else 0 end as verified, e.source, e.message_id as "messageId" from events e
     join customers c on c.pk = e.customer_pk where c.customer_id = ? or c.email = ? order by e.seq`,
    [customerId, customerId],
  );
}

async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await Bun.sleep(50);
  }
}

const untilStored = (customerId: string, count: number, timeoutMs?: number) =>
  eventually(async () => {
    const rows = await storedFor(customerId);
    return rows.length >= count ? rows : undefined;
  }, timeoutMs);

/**
 * Through the server's own settings route, so that the change is in force for the very next
 * request on either backend: on PostgreSQL another process's change reaches the server's
 * credentials cache only by NOTIFY or the version poll (within --pg-cache-poll), and a request
 * sent right after it could still be let in.
 */
async function setAllowedOrigins(origins: string) {
  const response = await fetch(`${trackdBase}/v1/api/settings`, {
    method: "PATCH",
    headers: { "x-ck-api-key": app.apiKey, "x-ck-app": app.appId, "content-type": "application/json" },
    body: JSON.stringify({ allowedOrigins: origins }),
  });
  expect(response.status).toBe(200);
}

describe("the snippet in Chromium", () => {
  test("a signed event is stored verified, and the promise resolves with its id", async () => {
    const { page } = await openPage("/");
    const result = await page.evaluate(
      (authHash) =>
        (window as any).churnkey.event({
          customerId: "cus_signed",
          customerEmail: "jane@example.com",
          authHash,
          event: "Post Created",
          eventData: { postType: "image" },
        }),
      sign("cus_signed"),
    );
    const stored = await storedFor("cus_signed");
    expect(stored).toEqual([expect.objectContaining({ id: result.id, event: "Post Created", verified: 1, source: "client" })]);
    await page.context().close();
  });

  test("an unsigned event is stored unverified", async () => {
    const { page } = await openPage("/");
    await page.evaluate(() => (window as any).churnkey.event({ customerId: "cus_unsigned", event: "Page Viewed" }));
    expect(await storedFor("cus_unsigned")).toEqual([expect.objectContaining({ verified: 0 })]);
    await page.context().close();
  });

  test("a forged event is rejected: the promise rejects, the console says why once, nothing is stored or retried", async () => {
    const { page, warnings, requests } = await openPage("/");
    const outcome = await page.evaluate(async () => {
      const forged = { customerId: "cus_forged", authHash: "ab".repeat(32), event: "Plan Upgraded" };
      const results = await Promise.allSettled([(window as any).churnkey.event(forged), (window as any).churnkey.event(forged)]);
      return results.map((result) => (result.status === "rejected" ? String(result.reason.message) : "resolved"));
    });
    expect(outcome).toHaveLength(2);
    for (const message of outcome) expect(message).toContain("signature did not match");
    expect(warnings.filter((text) => text.includes("signature did not match"))).toHaveLength(1);
    await Bun.sleep(1500); // a retry would have happened by now
    expect(requests).toHaveLength(1);
    expect(await storedFor("cus_forged")).toEqual([]);
    await page.context().close();
  });

  test("a 429 is retried after the Retry-After it names, and the event is stored once", async () => {
    const { page } = await openPage("/busy");
    const result = await page.evaluate(() => (window as any).churnkey.event({ customerId: "cus_busy", event: "Report Exported" }));
    expect(busyArrivals).toHaveLength(2);
    // The backoff alone would retry after about 1 s; Retry-After asked for 2.
    expect(busyArrivals[1] - busyArrivals[0]).toBeGreaterThanOrEqual(BUSY_RETRY_AFTER_S * 1000 - 50);
    expect(await storedFor("cus_busy")).toEqual([expect.objectContaining({ id: result.id })]);
    await page.context().close();
  });

  test("a batch of 25 arrives complete and exactly once, in two requests", async () => {
    const { page, requests } = await openPage("/");
    const ids = await page.evaluate(
      (authHash) =>
        Promise.all(
          Array.from({ length: 25 }, (_, i) =>
            (window as any).churnkey.event({ customerId: "cus_batch", authHash, event: `Step ${i} Done` }).then((r: { id: string }) => r.id),
          ),
        ),
      sign("cus_batch"),
    );
    const stored = await storedFor("cus_batch");
    expect(stored.map((row) => row.event)).toEqual(Array.from({ length: 25 }, (_, i) => `Step ${i} Done`));
    expect(stored.map((row) => row.id)).toEqual(ids);
    expect(new Set(stored.map((row) => row.messageId)).size).toBe(25);
    expect(stored.every((row) => row.verified === 1)).toBe(true);
    expect(requests).toHaveLength(2); // the first 10 at once, then the 15 that queued meanwhile
    await page.context().close();
  });

  test("events fired just before navigating away arrive, by beacon", async () => {
    const { page } = await openPage("/");
    await page.evaluate((target) => {
      // Count beacons where the next page (same tab, same origin) can read the count.
      const sendBeacon = navigator.sendBeacon.bind(navigator);
      navigator.sendBeacon = (url, data) => {
        sessionStorage.setItem("beacons", String(Number(sessionStorage.getItem("beacons")) + 1));
        return sendBeacon(url, data);
      };
      for (let i = 0; i < 3; i++) (window as any).churnkey.event({ customerId: "cus_leaving", event: `Link ${i} Clicked` });
      location.href = target; // the 1 s batch timer never fires on this page
    }, pageUrl("/other"));
    await page.waitForURL(pageUrl("/other"));
    const stored = await untilStored("cus_leaving", 3);
    expect(stored.map((row) => row.event)).toEqual(["Link 0 Clicked", "Link 1 Clicked", "Link 2 Clicked"]);
    expect(await page.evaluate(() => sessionStorage.getItem("beacons"))).toBe("1");
    await page.context().close();
  });

  test("the queue stub keeps calls made before the script loaded, and resolves them", async () => {
    const { page } = await openPage("/stub");
    const result = await page.evaluate(() => (window as any).early);
    expect(await storedFor("cus_stub")).toEqual([expect.objectContaining({ id: result.id, event: "Early Called" })]);
    await page.context().close();
  });

  test("other members of window.churnkey survive, and a foreign init keeps working", async () => {
    const { page } = await openPage("/foreign");
    const state = await page.evaluate(async () => {
      const ck = (window as any).churnkey;
      ck.init("show", { customerId: "cus_x" });
      await ck.event({ customerId: "cus_foreign", event: "Page Viewed" });
      return { version: ck.version, foreignInit: (window as any).foreignInit };
    });
    expect(state).toEqual({ version: "cancel-flow", foreignInit: "show" });
    expect(await storedFor("cus_foreign")).toHaveLength(1);
    await page.context().close();
  });

  test("bad calls never throw into the page: they reject, and warn", async () => {
    const { page, errors, warnings } = await openPage("/");
    const outcome = await page.evaluate(async () => {
      const ck = (window as any).churnkey;
      const calls = [() => ck.event(), () => ck.event(null), () => ck.event({ event: "No One Did" }), () => ck.event({ customerId: "c" })];
      const results = [];
      for (const call of calls) {
        try {
          results.push(await call().then(() => "resolved", (error: Error) => `rejected: ${error.message}`));
        } catch (error) {
          results.push(`threw: ${error}`);
        }
      }
      ck.event(); // not awaited, not caught: must not become an unhandled rejection
      await new Promise((resolve) => setTimeout(resolve, 100));
      return results;
    });
    expect(outcome.every((result) => result.startsWith("rejected: "))).toBe(true);
    expect(warnings.length).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  test("CORS in the browser: a preflighted request passes; an origin the app disallows gets nothing through but a readable refusal", async () => {
    const { page } = await openPage("/");
    const send = (body: object, preflighted: boolean) =>
      page.evaluate(
        async ({ url, body, preflighted, appId }) => {
          const headers: Record<string, string> = preflighted ? { "content-type": "application/json", "x-ck-app": appId } : { "content-type": "text/plain" };
          try {
            const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
            const reply = await response.json();
            return `${response.status} ${reply.ok ? "readable" : reply.error.code}`;
          } catch (error) {
            return `blocked: ${(error as Error).name}`;
          }
        },
        { url: `${trackdBase}/v1/api/events/client`, body, preflighted, appId: app.appId },
      );
    expect(await send({ customerId: "cus_cors", event: "Preflight Passed" }, true)).toBe("201 readable");
    await setAllowedOrigins("https://elsewhere.test");
    try {
      // Chromium reuses the preflight granted above (max-age); the POST itself is then refused, readably.
      expect(await send({ customerId: "cus_cors", event: "Preflight Blocked" }, true)).toBe("403 FORBIDDEN");
      // The refusal itself is readable (it reveals nothing), so the snippet can stop retrying.
      expect(await send({ appId: app.appId, customerId: "cus_cors", event: "Simple Blocked" }, false)).toBe("403 FORBIDDEN");
    } finally {
      await setAllowedOrigins("*");
    }
    expect((await storedFor("cus_cors")).map((row) => row.event)).toEqual(["Preflight Passed"]);
    await page.context().close();
  });
});

describe("the snippet and refusals", () => {
  test("an origin the app disallows: the promises reject, the console says why once, the events are dropped and never retried", async () => {
    await setAllowedOrigins("https://elsewhere.test");
    try {
      const { page, warnings, requests } = await openPage("/");
      const outcome = await page.evaluate(async () => {
        const ck = (window as any).churnkey;
        const results = await Promise.allSettled([0, 1, 2].map((i) => ck.event({ customerId: "cus_disallowed", event: `Try ${i} Done` })));
        return {
          results: results.map((result) => (result.status === "rejected" ? String(result.reason.message) : "resolved")),
          queued: JSON.parse(localStorage.getItem("trackd:queue") || "[]").length,
        };
      });
      for (const message of outcome.results) expect(message).toContain("may not send events for this app");
      expect(outcome.queued).toBe(0);
      expect(warnings.filter((text) => text.includes("may not send events"))).toHaveLength(1);
      await Bun.sleep(1500); // a retry would have happened by now
      expect(requests).toHaveLength(1);
      expect(await storedFor("cus_disallowed")).toEqual([]);
      await page.context().close();
    } finally {
      await setAllowedOrigins("*");
    }
  });

  test("a batch with one invalid event: the server stores none of it, the snippet drops that one and sends the rest once more", async () => {
    const { page, warnings, requests } = await openPage("/");
    const outcome = await page.evaluate(async () => {
      const ck = (window as any).churnkey;
      // Three calls in one tick: one request after the batch delay.
      const calls = ["First Done", "x".repeat(300), "Third Done"].map((event) => ck.event({ customerId: "cus_partial", event }));
      const results = await Promise.allSettled(calls);
      return results.map((result) => (result.status === "fulfilled" ? result.value.id : `rejected: ${result.reason.message}`));
    });
    expect(outcome[1]).toBe("rejected: event must be a string of 1 to 255 characters");
    const stored = await storedFor("cus_partial");
    expect(stored.map((row) => row.event)).toEqual(["First Done", "Third Done"]);
    expect(stored.map((row) => row.id)).toEqual([outcome[0], outcome[2]]);
    expect(requests).toHaveLength(2); // the refused batch, then the two valid events once
    expect(warnings.some((text) => text.includes("dropped: event must be a string of 1 to 255 characters"))).toBe(true);
    await page.context().close();
  });
});

describe("the snippet while trackd is down", () => {
  async function restartTrackd() {
    trackd = await startTrackd(dbPath, port);
  }

  test("events fired while the server is down arrive once it is back (retry)", async () => {
    const { page } = await openPage("/self-hosted");
    trackd!.kill("SIGKILL");
    await trackd!.exited;
    await page.evaluate(() => {
      (window as any).delivered = Promise.all(
        [0, 1, 2, 3].map((i) => (window as any).churnkey.event({ customerId: "cus_retry", event: `Offline ${i} Done` })),
      );
    });
    await Bun.sleep(2000); // the first send and a retry fail
    expect(await storedFor("cus_retry")).toEqual([]);
    await restartTrackd();
    const ids = await page.evaluate(() => (window as any).delivered.then((results: { id: string }[]) => results.map((r) => r.id)));
    expect((await storedFor("cus_retry")).map((row) => row.id)).toEqual(ids);
    await page.context().close();
  }, 40_000);

  test("events unsent when the page closed are sent by the next page (localStorage), exactly once", async () => {
    const { page } = await openPage("/self-hosted");
    const context = page.context();
    trackd!.kill("SIGKILL");
    await trackd!.exited;
    await page.evaluate(() => {
      for (let i = 0; i < 3; i++) (window as any).churnkey.event({ customerId: "cus_persisted", event: `Draft ${i} Saved` });
    });
    const waiting = await page.evaluate(() => JSON.parse(localStorage.getItem("trackd:queue") || "[]").length);
    expect(waiting).toBe(3);
    await page.close(); // its beacon goes nowhere: trackd is down
    await restartTrackd();
    const next = await context.newPage();
    await next.goto(pageUrl("/self-hosted"));
    const stored = await untilStored("cus_persisted", 3);
    expect(stored.map((row) => row.event)).toEqual(["Draft 0 Saved", "Draft 1 Saved", "Draft 2 Saved"]);
    await eventually(async () => ((await storedFor("cus_persisted")).length === 3 ? true : undefined));
    await next.waitForFunction(() => JSON.parse(localStorage.getItem("trackd:queue") || "[]").length === 0);
    expect(await storedFor("cus_persisted")).toHaveLength(3);
    await context.close();
  }, 40_000);
});
