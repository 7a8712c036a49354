// Free-form attributes (customerData, user.data) as stored: how an update merges into them.
// Below both the features that accept attributes and the store that writes them.

/** A JSON object of free-form attributes, as the routes' schemas admit it. */
export type Attributes = Record<string, unknown>;

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
