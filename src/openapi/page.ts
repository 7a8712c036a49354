// GET /docs: a plain reference page rendered from the OpenAPI document, a few tens of KB with
// no script and nothing fetched from elsewhere. Interactive UIs (Scalar, Swagger UI) are
// megabytes of JavaScript, and the default ones load it from a CDN.
import type { OpenApiDocument } from "./document";

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const code = (text: string) => `<code>${escape(text)}</code>`;
const paragraphs = (text: string | undefined) => (text ? text.split("\n\n").map((p) => `<p>${escape(p).replace(/`([^`]+)`/g, "<code>$1</code>")}</p>`).join("") : "");
const json = (value: unknown) => `<pre>${escape(JSON.stringify(value, null, 2))}</pre>`;

type Operation = {
  tags: string[];
  summary: string;
  description?: string;
  security: Record<string, string[]>[];
  parameters: { name: string; in: string; required: boolean; description?: string; schema: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema?: Record<string, unknown>; example?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { example?: unknown }> }>;
};

/** "string, 1-255 characters", "one of day, week, month", "integer from 1 to 1000"... */
function describeSchema(schema: Record<string, unknown>): string {
  const anyOf = schema.anyOf as { const?: unknown; type?: unknown }[] | undefined;
  if (anyOf?.every((option) => option.const !== undefined)) return `one of ${anyOf.map((option) => String(option.const)).join(", ")}`;
  if (anyOf) return anyOf.map((option) => String(option.type ?? "value")).join(" or ");
  const parts = [String(schema.type ?? "value")];
  if (schema.minimum !== undefined || schema.maximum !== undefined) parts.push(`${schema.minimum ?? "…"} to ${schema.maximum ?? "…"}`);
  if (schema.maxLength !== undefined) parts.push(`at most ${schema.maxLength} characters`);
  return parts.join(", ");
}

/** The body's fields (an array body: its items'), one table row each. */
function fieldRows(schema: Record<string, unknown> | undefined): string {
  const anyOf = schema?.anyOf as Record<string, unknown>[] | undefined;
  const object = (anyOf?.[0] ?? (schema?.type === "array" ? schema.items : schema)) as Record<string, unknown> | undefined;
  const properties = object?.properties as Record<string, Record<string, unknown>> | undefined;
  if (!properties) return "";
  const required = new Set((object!.required as string[] | undefined) ?? []);
  const rows = Object.entries(properties)
    .map(([name, field]) => `<tr><td>${code(name)}</td><td>${required.has(name) ? "required" : ""}</td><td>${escape(describeSchema(field))}</td></tr>`)
    .join("");
  return `<table><tr><th>field</th><th></th><th>type</th></tr>${rows}</table>`;
}

function authOf(operation: Operation): string {
  const names = operation.security.flatMap((requirement) => Object.keys(requirement));
  if (names.length === 0) return "none";
  if (names.includes("apiKey")) return "headers x-ck-api-key and x-ck-app";
  if (names.includes("stripeSignature")) return "header Stripe-Signature";
  return "Authorization: Bearer token";
}

function renderOperation(method: string, path: string, operation: Operation): string {
  const rows = operation.parameters
    .map((p) => `<tr><td>${code(p.name)}</td><td>${p.in}${p.required ? ", required" : ""}</td><td>${escape(describeSchema(p.schema))}</td><td>${escape(p.description ?? "")}</td></tr>`)
    .join("");
  const body = operation.requestBody
    ? `<h4>Body</h4><p>${Object.keys(operation.requestBody.content).map(code).join(" or ")}</p>${fieldRows(Object.values(operation.requestBody.content)[0]?.schema)}${Object.values(operation.requestBody.content)[0]?.example === undefined ? "" : json(Object.values(operation.requestBody.content)[0].example)}`
    : "";
  const responses = Object.entries(operation.responses)
    .map(([status, response]) => {
      const example = response.content ? Object.values(response.content).find((media) => media.example !== undefined)?.example : undefined;
      return `<li><b>${status}</b> ${escape(response.description)}${example === undefined || Number(status) >= 400 ? "" : json(example)}</li>`;
    })
    .join("");
  const id = `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, "-");
  return `<section id="${id}"><h3><span class="m">${method.toUpperCase()}</span> ${code(path)}</h3><p><b>${escape(operation.summary)}</b></p>${paragraphs(operation.description)}
<p>Authentication: ${authOf(operation)}</p>${rows ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th></th></tr>${rows}</table>` : ""}${body}<h4>Responses</h4><ul>${responses}</ul></section>`;
}

export function renderDocsPage(document: OpenApiDocument): string {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method, path, operation: operation as Operation })),
  );
  const sections = document.tags
    .map(({ name }) => {
      const inTag = operations.filter((o) => o.operation.tags.includes(name));
      return `<h2>${escape(name)}</h2>${inTag.map((o) => renderOperation(o.method, o.path, o.operation)).join("\n")}`;
    })
    .join("\n");
  const toc = operations.map((o) => `<li><a href="#${`${o.method}-${o.path}`.replace(/[^a-zA-Z0-9]+/g, "-")}">${o.method.toUpperCase()} ${escape(o.path)}</a></li>`).join("");
  const errorCodes = document.components.schemas.Error.properties.error.properties.code.enum;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>trackd ${escape(document.info.version)} API reference</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}code,pre{font:13px ui-monospace,monospace;background:#f4f4f4}pre{padding:.5rem;overflow:auto}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}section{border-top:1px solid #ddd;margin-top:1.5rem}.m{font-weight:700;color:#0a5}</style></head>
<body><h1>trackd ${escape(document.info.version)} API reference</h1><p>${escape(document.info.summary)}. The machine-readable description is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<p>Every error is <code>{"error": {"code", "message", "details"?}}</code>; <code>details</code> names each field at fault (<code>path</code> is a JSON Pointer). Codes: ${errorCodes.map(code).join(", ")}.</p>
<ul>${toc}</ul>${sections}</body></html>`;
}

