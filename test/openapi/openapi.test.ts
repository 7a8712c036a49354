// GET /openapi.json is a valid OpenAPI 3.1 document that lists exactly the routes the app
// registers (so it cannot drift), and GET /docs renders it without fetching anything.
import { describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { ingestDocs } from "../../src/ingest/openapi";
import { openApiPath } from "../../src/openapi/document";
import { compile } from "../../src/http/validate";
import { setup } from "../helpers";

// Routes that are not part of the API described: the probe, the browser snippet, the
// description itself, and the dashboard: its pages, their assets, the sign-in forms and the
// session-only endpoints its pages call (a key can't use them). Anything else the app
// registers must be in the document.
const NOT_API = new Set(["GET /healthz", "GET /sdk.js", "GET /openapi.json", "GET /docs", "GET /", "GET /apps/*", "GET /login", "POST /login", "POST /logout", "GET /setup", "POST /setup"]);
const notApi = (route: string) => NOT_API.has(route) || / \/dashboard\//.test(route);

async function fetchDocument() {
  // With a metrics token, so that GET /metrics is registered too.
  const h = await setup({ metricsToken: "metrics-token-for-tests-0123" });
  const res = await h.call("GET", "/openapi.json");
  expect(res.status).toBe(200);
  return { h, document: res.body };
}

describe("GET /openapi.json", () => {
  test("is a valid OpenAPI 3.1 document", async () => {
    const { document } = await fetchDocument();
    const result = await new Validator().validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe("3.1.0");
  });

  test("describes every route the app registers, and nothing else", async () => {
    const { h, document } = await fetchDocument();
    const registered = h.app.routes
      .map((route) => `${route.method} ${openApiPath(route.path)}`)
      .filter((route) => !notApi(route))
      .sort();
    const described = Object.entries(document.paths as Record<string, object>)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(described).toEqual(registered);
  });

  test("request schemas are the ones the routes validate with", async () => {
    const { document } = await fetchDocument();
    const single = document.paths["/v1/api/events/new"].post.requestBody.content["application/json"];
    // The documented example passes the route's own validator, and the schema's fields are its fields.
    expect(compile(ingestDocs[0].body!.schema).check(single.example)).toBe(true);
    expect(Object.keys(single.schema.properties).sort()).toEqual(["customerData", "customerId", "event", "eventData", "eventDate", "messageId", "uid", "user"]);
    expect(single.schema.additionalProperties).toBe(false);
    expect(JSON.stringify(document)).not.toContain('"error":"must'); // trackd's message keyword is left out
  });

  test("auth schemes, the error shape and only the content types trackd accepts", async () => {
    const { document } = await fetchDocument();
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(["apiKey", "appId", "metricsToken", "segmentWriteKey", "sessionCookie", "stripeSignature"]);
    const list = document.paths["/v1/api/events"].get;
    expect(list.security).toEqual([{ apiKey: [], appId: [] }, { sessionCookie: [], appId: [] }]);
    expect(document.paths["/v1/api/events/new"].post.security).toEqual([{ apiKey: [], appId: [] }]); // sessions never ingest
    expect(Object.keys(list.responses).sort()).toEqual(["200", "400", "401", "403", "500"]);
    expect(list.responses["401"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
    expect(document.paths["/v1/webhooks/stripe/{appId}"].post.security).toEqual([{ stripeSignature: [] }]);
    expect(document.paths["/v1/api/events/client"].post.security).toEqual([]);
    expect(document.paths["/v1/batch"].post.security).toEqual([{ segmentWriteKey: [] }]);
    const bodyTypes = new Set<string>();
    for (const methods of Object.values(document.paths as Record<string, Record<string, { requestBody?: { content: object } }>>)) {
      for (const operation of Object.values(methods)) for (const type of Object.keys(operation.requestBody?.content ?? {})) bodyTypes.add(type);
    }
    // No form or multipart bodies: trackd reads JSON (text/plain on the browser route, for
    // sendBeacon, and on Segment's, for analytics.js).
    expect([...bodyTypes].sort()).toEqual(["application/json", "text/plain"]);
    expect(Object.keys(document.paths["/v1/api/events/client"].post.requestBody.content)).toEqual(["application/json", "text/plain"]);
  });
});

describe("GET /docs", () => {
  test("is one small HTML page with every route, no script and nothing external", async () => {
    const { h, document } = await fetchDocument();
    const res = await h.call("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = res.body as string;
    expect(html.length).toBeLessThan(200_000);
    expect(html).not.toContain("<script");
    expect(html).not.toMatch(/(src|href)="https?:/);
    for (const path of Object.keys(document.paths)) expect(html).toContain(`<code>${path}</code>`);
  });
});
