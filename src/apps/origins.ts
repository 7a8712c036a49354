// Which web origins may send browser events for an app. Stored as a comma-separated list of
// exact origins ("https://app.example.com", "http://localhost:5173") or "*" for any.

export const ANY_ORIGIN = "*";

/** Checks and canonicalises a list typed by an operator; throws with the offending entry. */
export function parseAllowedOrigins(raw: string): string[] {
  const entries = raw.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  if (entries.length === 0) throw new Error(`list at least one origin, or "${ANY_ORIGIN}" for any`);
  if (entries.includes(ANY_ORIGIN)) return [ANY_ORIGIN];
  return [...new Set(entries.map(canonicalOrigin))];
}

function canonicalOrigin(entry: string): string {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw new Error(`"${entry}" is not an origin; write it as scheme://host[:port], e.g. https://app.example.com`);
  }
  // An origin has no path, query or credentials: "https://a.com/app" would never match a browser's Origin header.
  const bare = entry.replace(/\/$/, "");
  if (url.origin === "null" || url.origin.toLowerCase() !== bare.toLowerCase()) {
    throw new Error(`"${entry}" is not an origin; write it as scheme://host[:port] with no path, e.g. ${url.origin}`);
  }
  return url.origin;
}

/** `allowed` as stored; `origin` as the browser sent it (already canonical). */
export function originAllowed(allowed: string, origin: string): boolean {
  return allowed === ANY_ORIGIN || allowed.split(",").includes(origin);
}
