// Free-form attributes (customerData, user.data, eventData): how deep they may nest, and how an
// update is merged into what is stored.
import type { ErrorDetail } from "../errors";
import { fieldName } from "../http/validate";
import type { Attributes } from "./model";

/**
 * Objects and arrays inside a free-form value, counting the value itself as level 1. Far above
 * what real attributes use, far below what breaks: SQLite's JSON functions stop at 1,000 levels
 * and a recursive JSON.stringify overflows the stack near 10,000.
 */
export const MAX_NESTING = 32;

/**
 * A detail when `value` nests deeper than MAX_NESTING. Iterative, and it stops at the first
 * level too deep, so a body nested 100,000 levels is refused in a few microseconds per level
 * it was allowed, before anything recursive (stringify, SQLite) sees it.
 */
export function nestingProblem(value: unknown, path: string): ErrorDetail | undefined {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== "object" || item === null) continue;
    if (depth > MAX_NESTING) {
      return { path, message: `${fieldName(path)} nests objects and arrays more than ${MAX_NESTING} levels deep` };
    }
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return undefined;
}

/** The nesting problems of the free-form fields an input carries, at their paths. */
export function attributeProblems(fields: [path: string, value: unknown][]): ErrorDetail[] {
  return fields.flatMap(([path, value]) => {
    const problem = value === undefined ? undefined : nestingProblem(value, path);
    return problem ? [problem] : [];
  });
}

/**
 * Shallow merge; a key set to null is removed. Keys are defined, not assigned, so "__proto__",
 * "constructor" and "prototype" are stored like any other key: `obj.__proto__ = value` on a
 * plain object would change its prototype and store nothing. (The result stays a plain object:
 * Drizzle refuses prototype-less ones.)
 */
export function mergeAttributes(current: Attributes, update: Attributes): Attributes {
  const merged: Attributes = {};
  for (const [key, value] of Object.entries(current)) setOwn(merged, key, value);
  for (const [key, value] of Object.entries(update)) {
    if (value === null) delete merged[key]; // deletes only an own property, never a prototype's
    else setOwn(merged, key, value);
  }
  return merged;
}

function setOwn(target: Attributes, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
