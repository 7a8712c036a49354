import { describe, expect, test, setDefaultTimeout } from "bun:test";
import { DASHBOARD_CSS, DASHBOARD_JS } from "../../src/dashboard/index";
import { setup, type Harness } from "../helpers";
import { signIn } from "../accounts/support";

// Each sign-in verifies an argon2id hash (memory-hard on purpose): seconds on a loaded machine.
setDefaultTimeout(30_000);

const get = (h: Harness, path: string, headers: Record<string, string> = {}) => h.app.handle(new Request(`http://localhost${path}`, { headers }));

describe("dashboard pages", () => {
  test.each(["/", "/apps/app_x", "/apps/app_x/customers/cus_1?by=uid"])("%s without a session redirects to sign in, and back", async (path) => {
    const h = await setup();
    await h.tenant();
    const response = await get(h, path);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/login?next=${encodeURIComponent(path)}`);
  });

  test("/ goes to the first app; /apps/… is the page shell, with a strict CSP", async () => {
    const h = await setup();
    const first = await h.tenant("first");
    // A later createdAt: at the same millisecond the order falls to the random ids.
    h.clock.now += 1;
    await h.tenant("second");
    const { cookie } = await signIn(h, "v@example.com", "viewer");
    const root = await get(h, "/", { cookie });
    expect(root.status).toBe(303);
    expect(root.headers.get("location")).toBe(`/apps/${first.appId}`);
    const shell = await get(h, `/apps/${first.appId}/customers`, { cookie });
    expect(shell.status).toBe(200);
    expect(shell.headers.get("content-security-policy")).toContain("connect-src 'self'");
    const html = await shell.text();
    expect(html).toContain(`src="${DASHBOARD_JS.path}"`);
    expect(html).toContain(`href="${DASHBOARD_CSS.path}"`);
  });

  test("the shell carries the session's details, and an app name cannot break out of them", async () => {
    const h = await setup();
    const hostile = await h.tenant("</script><script>alert(1)</script>");
    const { cookie, csrf } = await signIn(h, "a@example.com", "admin");
    const html = await (await get(h, `/apps/${hostile.appId}`, { cookie })).text();
    expect(html).not.toContain("<script>alert(1)");
    const inline = /<script type="application\/json" id="session">(.*?)<\/script>/.exec(html)![1]!;
    expect(JSON.parse(inline)).toEqual({ user: { email: "a@example.com", role: "admin" }, csrf, apps: [{ appId: hostile.appId, name: "</script><script>alert(1)</script>" }], publicUrl: null });
  });

  test("the script is served gzipped and immutable under a content-hashed name, within the 150 KB budget", async () => {
    const h = await setup();
    const response = await get(h, DASHBOARD_JS.path, { "accept-encoding": "gzip, br" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const bytes = (await response.arrayBuffer()).byteLength;
    expect(bytes).toBeLessThan(150 * 1024);
    const unzipped = Bun.gunzipSync(new Uint8Array(await (await get(h, DASHBOARD_JS.path, { "accept-encoding": "gzip" })).arrayBuffer()));
    expect(new TextDecoder().decode(unzipped)).toBe(DASHBOARD_JS.body);
    const plain = await get(h, DASHBOARD_JS.path);
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(await plain.text()).toBe(DASHBOARD_JS.body);
  });

  test("the bundle names no other origin to load from", async () => {
    // uPlot and Preact are bundled; nothing is fetched from a CDN. (URLs in comments or data are
    // not requests, so only script/style/font loaders are looked for.)
    expect(DASHBOARD_JS.body).not.toMatch(/import\s*\(?\s*["']https?:/);
    expect(DASHBOARD_CSS.body).not.toMatch(/url\(\s*["']?https?:/);
  });
});
