// GET /sdk.js: what a <script> tag and a cache see. The browser behaviour itself is tested in a
// real Chromium (test/browser).
import { describe, expect, test } from "bun:test";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { setup } from "../helpers";

async function fetchSdk(headers: Record<string, string> = {}) {
  const { app } = await setup();
  return app.handle(new Request("http://localhost/sdk.js", { headers }));
}

describe("GET /sdk.js", () => {
  test("serves JavaScript with an ETag and a cache lifetime", async () => {
    const res = await fetchSdk();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/javascript; charset=utf-8");
    expect(res.headers.get("etag")).toMatch(/^"[\w-]{22}"$/);
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600");
    const source = await res.text();
    expect(source).toContain("churnkey");
    expect(() => new Function(source)).not.toThrow(); // parses as a classic script
  });

  test("is the current browser.ts, compiled and minified", async () => {
    const built = Bun.spawnSync([process.execPath, "build", join(import.meta.dir, "../../src/sdk/browser.ts"), "--minify", "--target=browser", "--format=iife"]);
    expect(await (await fetchSdk()).text()).toBe(built.stdout.toString());
  });

  test("is gzipped for clients that accept it, and under 3 KB that way", async () => {
    const plain = await (await fetchSdk()).text();
    const res = await fetchSdk({ "accept-encoding": "gzip, deflate, br" });
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(res.headers.get("vary")).toBe("Accept-Encoding");
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.byteLength).toBeLessThan(3 * 1024);
    expect(gunzipSync(body).toString()).toBe(plain);
  });

  test("answers 304 with no body to If-None-Match with its ETag (weak or in a list too)", async () => {
    const etag = (await fetchSdk()).headers.get("etag")!;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"old", ${etag}`, "*"]) {
      const res = await fetchSdk({ "if-none-match": ifNoneMatch });
      expect(res.status).toBe(304);
      expect(await res.text()).toBe("");
      expect(res.headers.get("etag")).toBe(etag);
    }
    expect((await fetchSdk({ "if-none-match": '"old"' })).status).toBe(200);
  });
});
