// Segment's auth: the write key is the user name of HTTP Basic auth with an empty password
// (`Authorization: Basic base64("KEY:")`), or `writeKey` in the body. Here the write key is a
// trackd API key with the ingest scope; the key alone names its app (apps.authenticateKey
// looks it up by its key id and compares the secret's hash in constant time).
import type { AppsService } from "../apps/service";
import type { AppRow } from "../store/types";
import { AppError } from "../errors";

const BASIC = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i;
const HOW = "send Authorization: Basic base64(writeKey + \":\"), or writeKey in the body";

/** The write key of an Authorization header, undefined without one; 401 when it is not Basic auth. */
export function writeKeyOfHeader(authorization: string | null): string | undefined {
  if (authorization === null) return undefined;
  const match = BASIC.exec(authorization);
  if (!match) throw new AppError("UNAUTHORIZED", `the Authorization header is not HTTP Basic auth; ${HOW}`);
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  // The password (after the first ":") is empty for Segment's SDKs; whatever it is, it is not the key.
  const colon = decoded.indexOf(":");
  const key = colon === -1 ? decoded : decoded.slice(0, colon);
  if (key === "") throw new AppError("UNAUTHORIZED", `the Authorization header carries no write key; ${HOW}`);
  return key;
}

/** The body's writeKey, if any; 401 when it is there but not a string. */
export function writeKeyOfBody(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || !("writeKey" in body)) return undefined;
  const { writeKey } = body as { writeKey: unknown };
  if (writeKey === undefined || writeKey === null) return undefined;
  if (typeof writeKey !== "string" || writeKey === "") throw new AppError("UNAUTHORIZED", "writeKey in the body must be a non-empty string");
  return writeKey;
}

/** The key's app; 401 for a missing, unknown or revoked key, 403 without the ingest scope. */
export async function appOfWriteKey(apps: AppsService, writeKey: string | undefined): Promise<AppRow> {
  if (writeKey === undefined) throw new AppError("UNAUTHORIZED", `missing write key; ${HOW}`);
  const authenticated = await apps.authenticateKey(writeKey);
  // As on trackd's other routes, only the holder of a revoked key's whole secret learns that.
  if (authenticated === "revoked") throw new AppError("UNAUTHORIZED", "this write key was revoked: use another key of this app (trackd keys list)");
  if (!authenticated) throw new AppError("UNAUTHORIZED", "invalid write key");
  if (!authenticated.scopes.has("ingest")) throw new AppError("FORBIDDEN", 'this write key lacks the "ingest" scope needed here');
  return authenticated.app;
}
