// Bodies over a route's limit, against a real listening trackd (app.handle can't show what the
// runtime does before the app sees a request): every route answers 413 in the error shape,
// sized or chunked, and a chunked body is cut off once it passes the route's own limit.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { createAppsService, type CreatedApp } from "../../src/apps/service";
import { cleanEnv, freePort, TRACKD_COMMAND, untilHealthy } from "../support/process";
import { removeScratches, scratch, withStoreOn } from "../support/cli";

let trackd: Subprocess<"ignore", "ignore", "pipe">;
let port: number;
let app: CreatedApp;

beforeAll(async () => {
  // A database of the suite's backend (a SQLite file or a fresh PostgreSQL database).
  const { db: dbPath } = await scratch();
  app = await withStoreOn(dbPath, async (store) => {
    const apps = createAppsService(store);
    const created = await apps.create("limits");
    await apps.updateSettings(created.appId, { stripeWebhookSecret: "whsec_test" });
    return created;
  });
  port = freePort();
  // Started here rather than by startTrackd, to keep its log: nothing here may log an error.
  trackd = Bun.spawn([...TRACKD_COMMAND, "serve", "--db", dbPath, "--port", String(port), "--host", "127.0.0.1"], {
    env: cleanEnv(),
    stdout: "ignore",
    stderr: "pipe",
  });
  await untilHealthy(`http://127.0.0.1:${port}`, trackd);
});

afterAll(async () => {
  trackd?.kill("SIGKILL");
  await trackd?.exited;
  await removeScratches();
});

const KB = 1024;
// Every route that takes a body, with its limit.
const ROUTES: [path: string, limitKb: number][] = [
  ["/v1/api/events/new", 64],
  ["/v1/api/events/bulk", 1024],
  ["/v1/api/events/customer-update", 64],
  ["/v1/api/events/client", 64],
  ["/v1/api/subscriptions", 64],
  ["/v1/webhooks/stripe/APP", 1024],
];

const authHeaders = () => `x-ck-api-key: ${app.apiKey}\r\nx-ck-app: ${app.appId}\r\n`;
const pathOf = (path: string) => path.replace("APP", app.appId);

interface RawReply {
  status: number;
  body: string;
  /** Body bytes written before the reply arrived. */
  sent: number;
}

/**
 * POSTs a chunked body of `total` bytes in 16 KB chunks over a raw socket, pausing between
 * chunks, and stops sending as soon as a reply arrives. Bun's fetch can't show this: it
 * finishes the upload before it reads the reply.
 */
function postChunked(path: string, total: number): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    let received = "";
    let sent = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      const [head, body = ""] = received.split("\r\n\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      if (!status) return;
      done = true;
      // The body is chunk-encoded too: the JSON sits between the size lines.
      resolve({ status, body: body.split("\r\n").find((line) => line.startsWith("{")) ?? body, sent });
    };
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(socket, data) {
          received += data.toString();
          if (/\r\n0\r\n\r\n$|\}$/.test(received)) {
            finish();
            socket.end();
          }
        },
        close: finish,
        error: (_socket, error) => reject(error),
      },
    }).then(async (socket) => {
      socket.write(`POST ${pathOf(path)} HTTP/1.1\r\nHost: 127.0.0.1\r\n${authHeaders()}content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`);
      const chunk = Buffer.alloc(16 * KB, "x".charCodeAt(0));
      while (sent < total && !done) {
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        socket.write("\r\n");
        sent += chunk.length;
        await Bun.sleep(2);
      }
      if (!done) socket.write("0\r\n\r\n");
    }, reject);
  });
}

describe("bodies over the limit, against a real server", () => {
  test.each(ROUTES)("%s: a sized body of 3 MB is a 413 in the error shape", async (path, limitKb) => {
    const res = await fetch(`http://127.0.0.1:${port}${pathOf(path)}`, {
      method: "POST",
      headers: { "x-ck-api-key": app.apiKey, "x-ck-app": app.appId, "content-type": "application/json" },
      body: "x".repeat(3 * 1024 * KB),
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(String(body.error.message)).toContain(`${limitKb} KB`);
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  test.each(ROUTES)("%s: a chunked body is cut off soon after it passes the limit, with a 413 in the error shape", async (path, limitKb) => {
    const total = 8 * 1024 * KB;
    const reply = await postChunked(path, total);
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body).error.code).toBe("PAYLOAD_TOO_LARGE");
    // Answered long before the 8 MB were sent: reading stopped at the route's limit.
    expect(reply.sent).toBeLessThan(total / 2);
    expect(reply.sent).toBeGreaterThan(limitKb * KB);
  });

  test("the server still answers after all of that, and logged no error", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    trackd.kill("SIGTERM");
    await trackd.exited;
    const log = await new Response(trackd.stderr as ReadableStream).text();
    expect(log).toContain("stopped");
    expect(log).not.toMatch(/ error /);
  });
});
