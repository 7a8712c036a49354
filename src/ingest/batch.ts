// Normalising a request that carries many events (bulk, and browser batches): all or nothing,
// with one detail per bad item (its first problem) naming the item's index and field.
import { AppError, type ErrorDetail } from "../errors";
import { fieldName, validationError } from "../http/validate";

export type Normalized<T> = { ok: true; event: T } | { ok: false; details: ErrorDetail[] };

/** The items of an array body of 1 to `max` events. */
export function batchItems(body: unknown[], max: number, route: string): unknown[] {
  if (body.length === 0 || body.length > max) {
    const message = `${route} accepts 1 to ${max} events per request; this one has ${body.length}`;
    throw new AppError("VALIDATION_FAILED", message, { details: [{ path: "", message }] });
  }
  return body;
}

/** Every item normalised, or a VALIDATION_FAILED listing each bad one; nothing is half-accepted. */
export function normalizeAll<T>(items: unknown[], normalize: (item: unknown) => Normalized<T>): T[] {
  const events: T[] = [];
  const details: ErrorDetail[] = [];
  items.forEach((item, index) => {
    const result = normalize(item);
    if (result.ok) events.push(result.event);
    else details.push(indexed(index, result.details[0]));
  });
  if (details.length > 0) {
    const message = `${details.length} of ${items.length} events are invalid; nothing was stored`;
    throw new AppError("VALIDATION_FAILED", message, { details });
  }
  return events;
}

/** One item's event, or a VALIDATION_FAILED with all of its problems (single-event bodies). */
export function normalizeOne<T>(item: unknown, normalize: (item: unknown) => Normalized<T>): T {
  const result = normalize(item);
  if (!result.ok) throw validationError(result.details);
  return result.event;
}

/** A detail about item `index` of an array body. */
export function indexed(index: number, detail: ErrorDetail): ErrorDetail {
  return { index, field: fieldName(detail.path), path: `/${index}${detail.path}`, message: detail.message };
}
