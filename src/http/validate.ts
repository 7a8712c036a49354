// One validation mechanism for bodies and queries: `t` schemas compiled with TypeBox, every
// failure reported (not just the first), each naming its field. Elysia's built-in validation
// stops at the first error and silently strips unknown fields, which is why routes call this.
import type { Static, TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { ValueErrorType, type ValueError } from "@sinclair/typebox/errors";
import { parseDate } from "../dates";
import { AppError, type ErrorDetail } from "../errors";

export interface Validator<T extends TSchema> {
  schema: T;
  check(value: unknown): value is Static<T>;
  /** One detail per failing path, in document order. */
  errors(value: unknown, basePath?: string): ErrorDetail[];
}

export function compile<T extends TSchema>(schema: T): Validator<T> {
  const compiled = TypeCompiler.Compile(schema);
  return {
    schema,
    check: (value): value is Static<T> => compiled.Check(value),
    errors(value, basePath = "") {
      const seen = new Set<string>();
      const details: ErrorDetail[] = [];
      for (const error of compiled.Errors(value)) {
        const path = basePath + error.path;
        if (seen.has(path)) continue; // a missing field also fails its type check: report it once
        seen.add(path);
        details.push({ path, message: describe(error) });
      }
      return details;
    },
  };
}

/** Returns the value typed by the schema, or throws VALIDATION_FAILED listing every problem. */
export function validate<T extends TSchema>(validator: Validator<T>, value: unknown): Static<T> {
  if (validator.check(value)) return value;
  throw validationError(validator.errors(value));
}

/**
 * Query strings carry only strings. Where the schema wants an integer or a boolean, only the
 * canonical spelling is converted ("50", "true"); "1e1", "0x10" or "1.5" stay strings and
 * fail the type check, unlike TypeBox's lenient Value.Convert.
 */
export function validateQuery<T extends TSchema>(validator: Validator<T>, query: Record<string, unknown>): Static<T> {
  const properties = (validator.schema.properties ?? {}) as Record<string, TSchema>;
  const converted: Record<string, unknown> = { ...query };
  for (const [key, value] of Object.entries(query)) {
    const type = properties[key]?.type;
    if (type === "integer" && typeof value === "string" && /^-?\d{1,15}$/.test(value)) converted[key] = Number(value);
    if (type === "boolean" && (value === "true" || value === "false")) converted[key] = value === "true";
  }
  return validate(validator, converted);
}

export function validationError(details: ErrorDetail[]): AppError {
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : "";
  return new AppError("VALIDATION_FAILED", `${details[0]?.message ?? "invalid request"}${more}`, { details });
}

/** "/user/uid" → "user.uid"; the root is "body". */
export function fieldName(path: string): string {
  return path === "" ? "body" : path.slice(1).replaceAll("/", ".");
}

function describe(error: ValueError): string {
  const field = fieldName(error.path);
  // Checked before the schema's own message: a missing field reports the field's schema too.
  if (error.type === ValueErrorType.ObjectRequiredProperty) return `${field} is required`;
  const custom = (error.schema as { error?: unknown }).error;
  if (typeof custom === "string") return `${field} ${custom}`;
  const schema = error.schema as Record<string, number>;
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return `${field} is not a known field`;
    case ValueErrorType.Object:
      return `${field} must be a JSON object`;
    case ValueErrorType.Array:
      return `${field} must be a JSON array`;
    case ValueErrorType.String:
      return `${field} must be a string`;
    case ValueErrorType.Boolean:
      return `${field} must be true or false`;
    case ValueErrorType.StringMinLength:
      return `${field} must be at least ${schema.minLength} characters`;
    case ValueErrorType.StringMaxLength:
      return `${field} must be at most ${schema.maxLength} characters`;
    case ValueErrorType.ArrayMinItems:
      return `${field} must hold at least ${schema.minItems} items`;
    case ValueErrorType.ArrayMaxItems:
      return `${field} must hold at most ${schema.maxItems} items`;
    default:
      return `${field}: ${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}`;
  }
}

/** The `from` / `to` query parameters (either may be absent) as epoch ms; every bad one is reported. */
export function dateRange(input: { from?: string; to?: string }): { from?: number; to?: number } {
  const problems: ErrorDetail[] = [];
  const [from, to] = (["from", "to"] as const).map((field) => {
    if (input[field] === undefined) return undefined;
    const parsed = parseDate(input[field], field);
    if (parsed.ok) return parsed.ms;
    problems.push({ path: `/${field}`, message: parsed.message });
  });
  if (problems.length === 0 && from !== undefined && to !== undefined && from > to) {
    problems.push({ path: "/to", message: "to must not be before from" });
  }
  if (problems.length > 0) throw validationError(problems);
  return { from, to };
}
