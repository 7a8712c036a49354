// Generators for the property tests: valid requests bent in the ways clients get things wrong
// (wrong types, bad dates, odd Unicode, deep nesting, prototype keys, huge numbers).
import fc from "fast-check";

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));
const awkwardString = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.tuple(fc.string({ maxLength: 5 }), loneSurrogate, fc.string({ maxLength: 5 })).map((parts) => parts.join("")),
  fc.constantFrom("", " ", "__proto__", "constructor", "prototype", "😀".repeat(255), "😀".repeat(256), "a".repeat(256), "\u0000", "null"),
);

const pad = (n: number, width: number) => String(Math.abs(n)).padStart(width, "0");
/** Dates as clients send them, valid or nearly: out-of-range parts, odd offsets, huge numbers. */
export const date = fc.oneof(
  fc
    .tuple(
      fc.integer({ min: 0, max: 10_000 }),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
      fc.option(fc.tuple(fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }))),
      fc.constantFrom("Z", "+02:00", "-24:00", "", "+0530", "z", "+99:99"),
    )
    .map(([year, month, day, time, offset]) =>
      time === null ? `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}` : `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(time[0], 2)}:${pad(time[1], 2)}:${pad(time[2], 2)}${offset}`,
    ),
  fc.integer({ min: -1e16, max: 1e16 }),
  fc.double(),
  fc.constantFrom(99999999999999999999, 9e15, -9e15, 1651363200, "99999999999999999999", "9000000000000000", "1700000000000", "-1"),
);

/** A value nested `depth` levels deep (JSON.stringify still copes at these depths). */
const deep = fc.integer({ min: 30, max: 1500 }).map((depth) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { k: value };
  return value;
});

/** An object whose keys include the prototype-related ones, defined (not assigned). */
const trickyObject = fc.dictionary(fc.oneof(awkwardString, fc.constantFrom("__proto__", "constructor", "prototype")), fc.jsonValue({ maxDepth: 2 }), {
  maxKeys: 4,
}).map((entries) => {
  const object: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entries)) Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return object;
});

export const awkward: fc.Arbitrary<unknown> = fc.oneof(
  awkwardString,
  date,
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
  trickyObject,
  deep,
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
);

/**
 * `template` with 1 to 3 fields (its own, or from `extraKeys`) set to awkward values or removed.
 * A key named in `targeted` mostly gets a value from its own arbitrary (a date field gets
 * dates), so bodies stay valid but for the one value under test.
 */
export function mutated(
  template: Record<string, unknown>,
  extraKeys: string[] = [],
  targeted: Record<string, fc.Arbitrary<unknown>> = {},
): fc.Arbitrary<Record<string, unknown>> {
  const keys = [...new Set([...Object.keys(template), ...extraKeys, ...Object.keys(targeted)]), "__proto__", "unknownField"];
  const valueFor = (key: string) =>
    Object.hasOwn(targeted, key) ? fc.oneof({ arbitrary: targeted[key], weight: 3 }, { arbitrary: awkward, weight: 1 }) : awkward;
  const change = fc.constantFrom(...keys).chain((key) => fc.tuple(fc.constant(key), fc.option(valueFor(key), { freq: 5 })));
  return fc.array(change, { minLength: 1, maxLength: 3 }).map((changes) => {
    const body: Record<string, unknown> = { ...template };
    for (const [key, value] of changes) {
      if (value === null) delete body[key];
      else Object.defineProperty(body, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return body;
  });
}

/** Strings as identifiers come: some with lone surrogates, some over 255 characters. */
export const identifier = awkwardString;
/** Free-form attributes: prototype keys, deep nesting, odd Unicode. */
export const attributes = fc.oneof(trickyObject, deep.map((value) => ({ deep: value })), fc.dictionary(awkwardString, awkwardString, { maxKeys: 3 }));

/** Raw bodies: broken JSON, invalid UTF-8, JSON that is not an object. */
export const rawBody = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.string({ maxLength: 40 }).map((text) => new TextEncoder().encode(text)),
  fc.jsonValue({ maxDepth: 2 }).map((value) => new TextEncoder().encode(JSON.stringify(value))),
);

/** A query-string value: printable, unicode, or raw percent-escapes that decode to nothing valid. */
export const queryValue = fc.oneof(
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  date.map((value) => encodeURIComponent(String(value))),
  fc.constantFrom("%ff", "%", "%ed%a0%80", "%00", "-1", "0", "1001", "1e1", "0x10", "true", "yes", "day", "hour", "customerId", "email", "__proto__"),
);
