// What the write routes answer: one shape for a single event, one for a batch.
import type { ErrorDetail } from "../errors";
import type { WriteResult } from "../store/commands";

/** 201 when stored, 200 with `duplicate` when its messageId was already stored. */
export function singleReply({ id, duplicate, warnings }: WriteResult) {
  return duplicate ? { ok: true, id, duplicate } : { ok: true, id, ...withWarnings(warnings) };
}

/** `count` events stored; `duplicates` lists the indexes whose messageId was already stored. */
export function batchReply(results: WriteResult[]) {
  const duplicates = results.flatMap((result, index) => (result.duplicate ? [index] : []));
  const warnings = results.flatMap((result, index) => result.warnings.map((warning) => ({ index, ...warning })));
  return {
    ok: true,
    count: results.length - duplicates.length,
    ids: results.map((result) => result.id),
    duplicates,
    ...withWarnings(warnings),
  };
}

export function withWarnings(warnings: ErrorDetail[]) {
  return warnings.length > 0 ? { warnings } : {};
}
