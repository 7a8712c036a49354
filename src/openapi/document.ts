// GET /openapi.json: an OpenAPI 3.1 document built from every feature's route descriptions
// (their openapi.ts files), whose request schemas are the very `t` schemas the routes validate
// with. TypeBox schemas are JSON Schema, which OpenAPI 3.1 takes as they are.
import type { TSchema } from "@sinclair/typebox";
import { billingDocs } from "../billing/openapi";
import { clientDocs } from "../client/openapi";
import { customerDocs } from "../customers/openapi";
import { errorStatus, type ErrorCode } from "../errors";
import { eventDocs } from "../events/openapi";
import { exportDocs } from "../export/openapi";
import { ingestDocs } from "../ingest/openapi";
import { metricsDocs } from "../metrics/openapi";
import { monitoringDocs } from "../monitoring/openapi";
import { liveDocs } from "../live/openapi";
import { segmentDocs } from "../segment/openapi";
import { settingsDocs } from "../settings/openapi";
import type { RouteAuth, RouteDoc } from "../http/route-doc";
import { version } from "../../package.json";

export const routeDocs: readonly RouteDoc[] = [
  ...ingestDocs,
  ...clientDocs,
  ...billingDocs,
  ...customerDocs,
  ...eventDocs,
  ...metricsDocs,
  ...exportDocs,
  ...monitoringDocs,
  ...segmentDocs,
  ...liveDocs,
  ...settingsDocs,
];

/** `/v1/api/customers/:customerId` → `/v1/api/customers/{customerId}`. */
export const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

/**
 * Plain JSON Schema: TypeBox's symbol keys vanish in the JSON round trip, and the `error`
 * keyword (validate.ts's message for a field) is trackd's, not JSON Schema's.
 */
function jsonSchema(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema, (key, value) => (key === "error" ? undefined : value)));
}

const ERROR_EXAMPLES: Record<ErrorCode, string> = {
  VALIDATION_FAILED: "event is required",
  INVALID_JSON: "the body is not valid JSON: Unexpected end of JSON input",
  INVALID_SIGNATURE: "no v1 signature matches the payload",
  UNAUTHORIZED: "invalid API key for this app id",
  FORBIDDEN: 'this API key lacks the "read" scope needed here',
  NOT_FOUND: "no customer with customerId cus_nobody",
  METHOD_NOT_ALLOWED: "GET is not allowed on /v1/api/events/new; use POST",
  PAYLOAD_TOO_LARGE: "the body is larger than 65536 bytes",
  RATE_LIMITED: "too many requests from this IP address; retry after the Retry-After delay",
  SERVICE_UNAVAILABLE: "the write queue is full; retry after the Retry-After delay",
  INTERNAL: "internal error; the details are in the server log under request id req_019ac0a1-7d3e-7000-8000-000000000000",
};

const ErrorShape = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", enum: Object.keys(errorStatus) },
        message: { type: "string" },
        requestId: { type: "string", description: "On a 500 only: the x-request-id, also in the server's log line" },
        details: {
          type: "array",
          description: "One per problem; for a bulk body, with the item's index and field.",
          items: {
            type: "object",
            required: ["path", "message"],
            properties: {
              path: { type: "string", description: "JSON Pointer into the body or query, e.g. /eventDate or /3/user/uid" },
              message: { type: "string" },
              index: { type: "integer" },
              field: { type: "string" },
            },
          },
        },
      },
    },
  },
};

const SECURITY_SCHEMES = {
  apiKey: { type: "apiKey", in: "header", name: "x-ck-api-key", description: "The API key (tk_…); its scopes (ingest, read, admin) decide which routes it may call" },
  appId: { type: "apiKey", in: "header", name: "x-ck-app", description: "The app id the key belongs to; sent together with x-ck-api-key" },
  stripeSignature: { type: "apiKey", in: "header", name: "Stripe-Signature", description: "Stripe's HMAC-SHA256 signature of the raw body, with the app's webhook signing secret" },
  metricsToken: { type: "http", scheme: "bearer", description: "The server's --metrics-token" },
  sessionCookie: {
    type: "apiKey",
    in: "cookie",
    name: "trackd_session",
    description:
      "A dashboard session (sign in at /login), sent with x-ck-app instead of a key on the read and admin routes: a viewer has read, an admin read and admin. A state-changing request also needs x-csrf-token and a same-origin Sec-Fetch-Site or Origin.",
  },
  segmentWriteKey: {
    type: "http",
    scheme: "basic",
    description: "Segment's auth: an API key with the ingest scope as the user name, empty password (or writeKey in the body); the key names its app",
  },
};

function securityOf(auth: RouteAuth) {
  switch (auth.kind) {
    case "apiKey":
      // A session never ingests: the write routes take a key only.
      return auth.scope === "ingest" ? [{ apiKey: [], appId: [] }] : [{ apiKey: [], appId: [] }, { sessionCookie: [], appId: [] }];
    case "stripeSignature":
      return [{ stripeSignature: [] }];
    case "metricsToken":
      return [{ metricsToken: [] }];
    case "segmentWriteKey":
      return [{ segmentWriteKey: [] }];
    case "none":
      return [];
  }
}

/** The codes a route can answer with: its own, those its authentication implies, and INTERNAL. */
function errorCodesOf(route: RouteDoc): ErrorCode[] {
  const implied: ErrorCode[] =
    route.auth.kind === "apiKey" || route.auth.kind === "segmentWriteKey" ? ["UNAUTHORIZED", "FORBIDDEN"] : route.auth.kind === "metricsToken" ? ["UNAUTHORIZED"] : [];
  return [...new Set([...implied, ...route.errors, "INTERNAL" as const])];
}

function errorResponses(codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(errorStatus[code], [...(byStatus.get(errorStatus[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: list.join(", "),
        content: {
          "application/json": {
            schema: { $ref: "#/components/schemas/Error" },
            examples: Object.fromEntries(list.map((code) => [code, { value: { error: { code, message: ERROR_EXAMPLES[code] } } }])),
          },
        },
      },
    ]),
  );
}

function parametersOf(route: RouteDoc) {
  const path = Object.entries(route.params ?? {}).map(([name, description]) => ({ name, in: "path", required: true, description, schema: { type: "string" } }));
  const properties = (route.query?.properties ?? {}) as Record<string, TSchema>;
  const required = new Set<string>((route.query?.required as string[] | undefined) ?? []);
  const query = Object.entries(properties).map(([name, schema]) => {
    const plain = jsonSchema(schema);
    const { description, ...rest } = plain;
    return { name, in: "query", required: required.has(name), ...(description ? { description } : {}), schema: rest };
  });
  const extra = (route.extraQuery ?? []).map(({ name, description }) => ({ name, in: "query", required: false, description, schema: { type: "string" } }));
  return [...path, ...query, ...extra];
}

function operationOf(route: RouteDoc) {
  const scope = route.auth.kind === "apiKey" ? `\n\nNeeds an API key with the \`${route.auth.scope}\` scope.` : "";
  const responses = Object.fromEntries(
    Object.entries(route.responses).map(([status, response]) => {
      const types = response.contentTypes ?? ["application/json"];
      const media = { ...(response.schema ? { schema: jsonSchema(response.schema) } : {}), ...(response.example === undefined ? {} : { example: response.example }) };
      return [
        status,
        {
          description: response.description,
          ...(types.length > 0 ? { content: Object.fromEntries(types.map((type) => [type, media])) } : {}),
          ...(response.headers
            ? { headers: Object.fromEntries(Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: "string" } }])) }
            : {}),
        },
      ];
    }),
  );
  return {
    tags: [route.tag],
    summary: route.summary,
    description: `${route.description ?? ""}${scope}`.trim() || undefined,
    operationId: `${route.method}${openApiPath(route.path).replace(/[{}]/g, "").replace(/[^a-zA-Z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase())}`,
    security: securityOf(route.auth),
    parameters: parametersOf(route),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            ...(route.body.description ? { description: route.body.description } : {}),
            content: Object.fromEntries(
              route.body.contentTypes.map((type) => [type, { schema: jsonSchema(route.body!.schema), ...(route.body!.example === undefined ? {} : { example: route.body!.example }) }]),
            ),
          },
        }
      : {}),
    responses: { ...responses, ...errorResponses(errorCodesOf(route)) },
  };
}

export function buildOpenApiDocument(routes: readonly RouteDoc[] = routeDocs) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) (paths[openApiPath(route.path)] ??= {})[route.method] = operationOf(route);
  return {
    openapi: "3.1.0",
    info: {
      title: "trackd",
      version,
      summary: "Per-customer product events and attributes: the Churnkey Event Tracking API, self-hosted",
    },
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: { schemas: { Error: ErrorShape }, securitySchemes: SECURITY_SCHEMES },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
