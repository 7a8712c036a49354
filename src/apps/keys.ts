// API keys look like `tk_<keyId>_<secret>`. The key id is public (it names the key in
// `trackd keys revoke`) and lets auth fetch one row by primary key; only a SHA-256 of the
// secret is stored. A fast hash is right here: the secret is 256 random bits, not a password.
import { createHash, randomBytes } from "node:crypto";
import { randomId } from "../ids";
import { SCOPES, type Scope } from "../scopes";

export { randomId };

export { SCOPES, type Scope };

/** "ingest,read" → ["ingest", "read"]; null if any part is not a scope (or none is given). */
export function parseScopes(list: string): Scope[] | null {
  const parts = [...new Set(list.split(",").map((part) => part.trim()).filter(Boolean))];
  const valid = parts.every((part): part is Scope => (SCOPES as readonly string[]).includes(part));
  return valid && parts.length > 0 ? parts : null;
}

const KEY_PATTERN = /^tk_([0-9a-f]{12})_([0-9a-f]{64})$/;

export interface GeneratedKey {
  keyId: string;
  apiKey: string;
  secretHash: string;
}

export function generateKey(): GeneratedKey {
  const idPart = randomBytes(6).toString("hex");
  const secret = randomBytes(32).toString("hex");
  return { keyId: `key_${idPart}`, apiKey: `tk_${idPart}_${secret}`, secretHash: hashSecret(secret) };
}

export function parseKey(apiKey: string): { keyId: string; secret: string } | null {
  const match = KEY_PATTERN.exec(apiKey);
  return match ? { keyId: `key_${match[1]}`, secret: match[2] } : null;
}

/**
 * A key id as a person may give it: "key_<12 hex>" as listed, the 12 hex digits (the middle part
 * of the API key), or the whole API key. Null for anything else.
 */
export function parseKeyId(given: string): string | null {
  const trimmed = given.trim().toLowerCase();
  const id = /^(?:key_)?([0-9a-f]{12})$/.exec(trimmed)?.[1] ?? parseKey(trimmed)?.keyId.slice("key_".length);
  return id ? `key_${id}` : null;
}

/** The SHA-256 of a secret: compared (in constant time) against the stored one. */
export function digestOf(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}

/** As stored in api_keys.secret_hash. */
export function hashSecret(secret: string): string {
  return digestOf(secret).toString("hex");
}

export function generateSigningSecret(): string {
  return randomBytes(32).toString("hex");
}
