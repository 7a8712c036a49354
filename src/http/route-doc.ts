// What a feature says about each of its routes for GET /openapi.json: written beside the
// feature (its openapi.ts), from the same `t` schemas its routes validate with, and gathered in
// src/openapi/document.ts. The routes validate with src/http/validate.ts, not Elysia's `body`
// and `query` options, so Elysia's own OpenAPI plugin could not see these schemas.
import type { TSchema } from "@sinclair/typebox";
import type { Scope } from "../scopes";
import type { ErrorCode } from "../errors";

/** How a route authenticates: the API key headers (with a scope), a signature, a token, or not. */
export type RouteAuth =
  | { kind: "apiKey"; scope: Scope }
  | { kind: "stripeSignature" }
  | { kind: "metricsToken" }
  | { kind: "segmentWriteKey" }
  | { kind: "none" };

export interface ResponseDoc {
  description: string;
  /** The schema of a JSON reply, when there is one to give. */
  schema?: TSchema;
  example?: unknown;
  /** Default application/json. */
  contentTypes?: string[];
  headers?: Record<string, string>;
}

export interface RouteDoc {
  method: "get" | "post" | "patch" | "delete" | "options";
  /** Elysia's pattern, `:param` for path parameters. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  auth: RouteAuth;
  /** Descriptions of the path parameters by name. */
  params?: Record<string, string>;
  query?: TSchema;
  /** Query parameters beyond the schema (the customer list's attr.KEY=VALUE). */
  extraQuery?: { name: string; description: string }[];
  body?: { schema: TSchema; contentTypes: string[]; example?: unknown; description?: string };
  responses: Record<number, ResponseDoc>;
  /** Error codes the route may answer with besides the ones its auth implies. */
  errors: ErrorCode[];
}

/** A routes' feature exports its docs as one list. */
export type RouteDocs = readonly RouteDoc[];
