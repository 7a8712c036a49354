// Reading a Segment request's body: JSON whatever the content-type (analytics.js sends
// text/plain), plain or gzip-compressed (analytics-python's `gzip=True`, and Segment's own API
// accepts it). The size limit holds for the JSON itself: a compressed body is inflated as a
// stream and refused as soon as it passes the limit, so a small "gzip bomb" can't fill memory.
import { AppError } from "../errors";
import { KB, parseJsonText, readBodyBytes } from "../http/body";

/**
 * The parsed body, and whether it may hold text trackd can't store: that is checked per message
 * (src/segment/pipeline.ts), so that one bad message does not cost its neighbours.
 */
export async function readSegmentBody(request: Request, limit: number): Promise<{ value: unknown; mayHoldBadText: boolean }> {
  const encoding = request.headers.get("content-encoding")?.trim().toLowerCase();
  // Awaited here rather than readJsonBody's promise returned: one async frame and its ticks fewer.
  if (encoding === undefined || encoding === "" || encoding === "identity") return parseJsonText(await readBodyBytes(request, limit));
  if (encoding !== "gzip") {
    throw new AppError("VALIDATION_FAILED", `content-encoding "${encoding}" is not supported here; send the body as is, or gzip`);
  }
  return parseJsonText(await gunzip(await readBodyBytes(request, limit), limit));
}

async function gunzip(compressed: Uint8Array, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    // readBodyBytes never returns a view of a SharedArrayBuffer; the DOM typings want that said.
    for await (const chunk of new Blob([compressed as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"))) {
      size += chunk.byteLength;
      if (size > limit) break;
      chunks.push(chunk);
    }
  } catch (error) {
    throw new AppError("INVALID_JSON", `request body is not valid gzip: ${(error as Error).message}`);
  }
  if (size > limit) {
    throw new AppError("PAYLOAD_TOO_LARGE", `request body exceeds the ${limit / KB} KB limit for this route once decompressed`);
  }
  return Buffer.concat(chunks);
}
