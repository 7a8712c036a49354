// What client text trackd refuses, on every route and both backends: a lone UTF-16 surrogate
// (SQLite and UTF-8 would store it as U+FFFD, so "m_\uD800" and "m_\uDBFF" would become one
// id) and U+0000 (PostgreSQL's text and jsonb cannot hold it; SQLite can, and one backend must
// not accept what the other refuses). Bodies are checked in body.ts, URLs in app.ts's hook.
import type { ErrorDetail } from "../errors";

const NUL = "contains a NUL character (U+0000), which can't be stored as text";
const SURROGATE = "holds a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF escape), which can't be stored as text";

/** Why `value` can't be stored as text, if it can't: said after the field's name. */
export function textProblem(value: string): string | undefined {
  if (value.includes("\0")) return NUL;
  if (!value.isWellFormed()) return SURROGATE;
  return undefined;
}

/**
 * Only a \u0000 or \uD800-\uDFFF escape can put either in parsed JSON (valid UTF-8 holds no
 * surrogate, and JSON refuses a raw control character), so the walk runs only for JSON text
 * that has one.
 */
export const mayHoldBadText = (json: string): boolean => BAD_ESCAPE.test(json);
const BAD_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

/**
 * The JSON Pointer of the first string or key that can't be stored as text, and why, if any.
 * Iterative: a body may nest 100,000 levels deep.
 */
export function badTextIn(root: unknown): { path: string; reason: string } | undefined {
  const stack: [unknown, string][] = [[root, ""]];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === "string") {
      const reason = textProblem(value);
      if (reason !== undefined) return { path, reason };
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}/${i}`]);
    } else if (typeof value === "object" && value !== null) {
      for (const [key, item] of Object.entries(value).reverse()) {
        const at = `${path}/${pointerEscape(key)}`;
        const reason = textProblem(key);
        if (reason !== undefined) return { path: at, reason };
        stack.push([item, at]);
      }
    }
  }
  return undefined;
}

/**
 * The first path parameter or query parameter (name or value) of a request that can't be
 * stored as text, as a detail naming it. Such a value would reach SQL as a filter or an id.
 * A path segment that is not percent-encoded UTF-8 (%ff) reaches here as null, not text.
 */
export function badTextInUrl(params: Record<string, unknown>, url: string): ErrorDetail | undefined {
  for (const [name, value] of Object.entries(params)) {
    const reason = typeof value === "string" ? textProblem(value) : "is not valid percent-encoded UTF-8";
    if (reason !== undefined) return { path: `/${name}`, message: `${name} in the path ${reason}` };
  }
  // Decoded query text holds U+0000 only where the URL has "%00" (a URL can't carry it raw);
  // a lone surrogate can't be percent-encoded UTF-8. So most requests skip the parse.
  if (!url.includes("%00")) return undefined;
  for (const [name, value] of new URL(url).searchParams) {
    const reason = textProblem(name) ?? textProblem(value);
    if (reason !== undefined) return { path: `/${name}`, message: `the query parameter ${name} ${reason}` };
  }
  return undefined;
}

/** RFC 6901: "~" and "/" in a key are escaped in a JSON Pointer. */
const pointerEscape = (key: string) => key.replaceAll("~", "~0").replaceAll("/", "~1");
