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
  return validate(validator, convertQuery(validator, query));
}

/**
 * validateQuery for queries with date parameters: the named fields are parsed as dates (see
 * dates.ts), `to` must not come before `from`, and every problem, of shape or of date (or
 * found by the caller beforehand, `earlier`), is reported in one answer.
 */
export function validateQueryWithDates<T extends TSchema, const F extends string>(
  validator: Validator<T>,
  query: Record<string, unknown>,
  fields: readonly F[],
  earlier: ErrorDetail[] = [],
): { input: Static<T>; dates: Partial<Record<F, number>> } {
  const converted = convertQuery(validator, query);
  const details = [...earlier, ...(validator.check(converted) ? [] : validator.errors(converted))];
  const dates: Partial<Record<string, number>> = {};
  for (const field of fields) {
    const value = converted[field];
    if (typeof value !== "string" || details.some((detail) => detail.path === `/${field}`)) continue;
    const parsed = parseDate(value, field);
    if (parsed.ok) dates[field] = parsed.ms;
    else details.push({ path: `/${field}`, message: parsed.message });
  }
  if (dates.from !== undefined && dates.to !== undefined && dates.from > dates.to) {
    details.push({ path: "/to", message: "to must not be before from" });
  }
  if (details.length > 0) throw validationError(details);
  return { input: converted as Static<T>, dates: dates as Partial<Record<F, number>> };
}

function convertQuery(validator: Validator<TSchema>, query: Record<string, unknown>): Record<string, unknown> {
  const properties = (validator.schema.properties ?? {}) as Record<string, TSchema>;
  const converted: Record<string, unknown> = { ...query };
  for (const [key, value] of Object.entries(query)) {
    const type = properties[key]?.type;
    if (type === "integer" && typeof value === "string" && /^-?\d{1,15}$/.test(value)) converted[key] = Number(value);
    if (type === "boolean" && (value === "true" || value === "false")) converted[key] = value === "true";
  }
  return converted;
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
