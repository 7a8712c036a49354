import { AppError } from "../errors";

export const KB = 1024;

/**
 * Reads a request body as JSON whatever its content type (curl -d sends form-urlencoded and
 * sendBeacon sends text/plain; both carry JSON here), refusing bodies over `limit` bytes.
 */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  return parseJson(await readBodyBytes(request, limit));
}

/** The body exactly as sent (what a signature covers), refused over `limit` bytes. */
export async function readBodyBytes(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge(limit);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > limit) throw tooLarge(limit);
  return bytes;
}

export function parseJson(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) throw new AppError("INVALID_JSON", "request body is empty; send a JSON document");
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new AppError("INVALID_JSON", `request body is not valid JSON: ${(error as Error).message}`);
  }
}

function tooLarge(limit: number): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `request body exceeds the ${limit / KB} KB limit for this route`);
}
