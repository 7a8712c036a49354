// Which database --db / TRACKD_DB names (issue 19): a postgres:// or postgresql:// URL selects
// PostgreSQL, anything else is a SQLite file path, as it always was. Parsed once (src/config.ts);
// everything after that switches on `kind`.
//
// A URL may carry a password (postgres://user:pass@host/db). It is needed to connect and must
// appear nowhere else: logs, errors and usage messages print `display`, with the password
// replaced by "***".

export type DbTarget = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string; display: string; pooler?: "transaction" };

export class DbTargetError extends Error {}

const PG_SCHEMES = new Set(["postgres", "postgresql"]);

export function parseDbTarget(raw: string): DbTarget {
  const trimmed = raw.trim();
  if (trimmed === "") throw new DbTargetError("must not be empty");
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1];
  // Without a scheme it is a path: "postgres://…" once became a SQLite file in a folder named "postgres:".
  if (scheme === undefined) return { kind: "sqlite", path: raw };
  if (!PG_SCHEMES.has(scheme.toLowerCase())) {
    throw new DbTargetError(`must be a SQLite file path or a postgres:// URL: "${scheme}://" URLs are not supported`);
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    // The raw value may hold a password: the message does not repeat it.
    throw new DbTargetError(`is not a valid ${scheme}:// URL (expected ${scheme}://user:password@host:5432/database)`);
  }
  // A Unix socket is named by ?host=/run/postgresql with an empty host part.
  if (url.hostname === "" && !url.searchParams.get("host")) throw new DbTargetError(`names no host (expected ${scheme}://user:password@host:5432/database)`);
  // ?pooler=transaction: trackd reaches PostgreSQL through a transaction-mode pooler (PgBouncer,
  // PgCat, Supavisor), where a session lasts one transaction (src/db/postgres.ts says what
  // changes). trackd's own parameter: taken out of the URL the driver sees, which would send it
  // to the server as a setting. `session` is the same as leaving it out.
  const pooler = url.searchParams.get("pooler");
  if (pooler === null) return { kind: "postgres", url: trimmed, display: redactUrl(trimmed) };
  if (pooler !== "transaction" && pooler !== "session") {
    throw new DbTargetError(`has pooler=${JSON.stringify(pooler).slice(1, -1)}: must be "transaction" (behind a transaction-mode pooler such as PgBouncer's pool_mode = transaction) or "session"`);
  }
  url.searchParams.delete("pooler");
  const stripped = url.toString();
  return { kind: "postgres", url: stripped, display: redactUrl(stripped), ...(pooler === "transaction" ? { pooler } : {}) };
}

/** The URL with its password (if any) replaced by "***": what logs and messages may show. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password === "") return raw;
    url.password = "***";
    return url.toString();
  } catch {
    // Unparseable: cut everything between "//" and "@", where a password would sit.
    return raw.replace(/\/\/[^@/]*@/, "//***@");
  }
}

/** What a log line or a message calls the database. */
export function describeTarget(target: DbTarget): string {
  return target.kind === "sqlite" ? target.path : target.display;
}

/** Replaces every occurrence of the target's password in `text` (an error message from a driver). */
export function scrubSecret(target: DbTarget, text: string): string {
  if (target.kind !== "postgres") return text;
  let password = "";
  try {
    password = decodeURIComponent(new URL(target.url).password);
  } catch {}
  return password.length > 0 ? text.replaceAll(password, "***").replaceAll(encodeURIComponent(password), "***") : text;
}
