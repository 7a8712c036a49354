// 405 Method Not Allowed for a known path asked with another method (RFC 9110 §15.5.6: the
// response lists the methods the path does take in Allow).
interface Route {
  method: string;
  path: string;
}

/** The methods some route takes at `pathname` (GET brings HEAD, which Elysia answers too). */
export function methodsAt(routes: readonly Route[], pathname: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    if (!patternOf(route.path).test(pathname)) continue;
    methods.add(route.method);
    if (route.method === "GET") methods.add("HEAD");
  }
  return [...methods].sort();
}

const patterns = new Map<string, RegExp>();

/** "/v1/api/customers/:customerId" → a regex matching one non-empty segment per parameter. */
function patternOf(path: string): RegExp {
  let pattern = patterns.get(path);
  if (pattern === undefined) {
    const source = path
      .split("/")
      .map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    pattern = new RegExp(`^${source}/?$`);
    patterns.set(path, pattern);
  }
  return pattern;
}
