// GET /openapi.json and GET /docs, both built once from the route descriptions and served from
// the binary.
import { Elysia } from "elysia";
import { buildOpenApiDocument } from "./document";
import { renderDocsPage } from "./page";

export function openapiRoutes() {
  const document = buildOpenApiDocument();
  const body = JSON.stringify(document);
  const page = renderDocsPage(document);
  return new Elysia({ name: "openapi" })
    .get("/openapi.json", () => new Response(body, { headers: { "content-type": "application/json" } }))
    .get("/docs", () => new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } }));
}
