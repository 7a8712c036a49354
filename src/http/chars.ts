// Text limits are in characters as a person counts them: Unicode code points, so an emoji is 1
// (JSON Schema's maxLength counts UTF-16 units, where it is 2, and 200 emoji would fail 255).
import { FormatRegistry } from "@sinclair/typebox";
import { t } from "elysia";

/** Code points in `text`: a surrogate pair counts once. */
export function charCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff || i === 0 || (text.charCodeAt(i - 1) & 0xfc00) !== 0xd800) count++;
  }
  return count;
}

/**
 * A string of `min` to `max` code points. The UTF-16 bounds (a code point is 1 or 2 units)
 * refuse the clearly wrong without counting; the format counts the rest.
 */
export function Chars(min: number, max: number, options: { error: string; pattern?: string }) {
  const format = `chars-${min}-${max}`;
  if (!FormatRegistry.Has(format)) {
    FormatRegistry.Set(format, (value) => value.length <= max || charCount(value) <= max);
  }
  return t.String({ minLength: min, maxLength: 2 * max, format, ...options });
}
