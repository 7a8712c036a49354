// The deployment guide's Compose file can't be run here (no Docker engine): it is parsed, and
// what trackd relies on in it is checked: the image, PostgreSQL 15, two nodes on a URL that
// trackd's --db accepts, a proxy that balances between both and checks /healthz.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { settings } from "../../src/config";
import { parseDbTarget } from "../../src/db/target";

const ROOT = join(import.meta.dir, "..", "..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

interface Service {
  image: string;
  environment?: Record<string, string>;
  configs?: { source: string; target: string }[];
  ports?: string[];
  depends_on?: unknown;
}
const compose = Bun.YAML.parse(read("docs/compose.yaml")) as {
  services: Record<string, Service>;
  configs: Record<string, { content: string }>;
};

test("compose.yaml: PostgreSQL 15, two trackd nodes from the image on a postgres:// URL, behind a proxy", () => {
  const { services } = compose;
  expect(services.postgres!.image).toBe("postgres:15");
  const nodes = Object.entries(services).filter(([, s]) => s.image === "trackd");
  expect(nodes.map(([name]) => name)).toEqual(["trackd-1", "trackd-2"]);
  for (const [, node] of nodes) {
    const url = node.environment!.TRACKD_DB!.replace("${POSTGRES_PASSWORD}", "pw");
    expect(parseDbTarget(url)).toMatchObject({ kind: "postgres", display: "postgres://trackd:***@postgres:5432/trackd" });
    expect(node.environment!.TRACKD_TRUST_PROXY).toBe("true");
    for (const name of Object.keys(node.environment!)) expect(Object.values(settings).map((s) => s.env)).toContain(name);
  }
  const caddyfile = compose.configs[services.proxy!.configs![0]!.source]!.content;
  expect(services.proxy!.image).toMatch(/^caddy:/);
  expect(caddyfile).toContain("reverse_proxy trackd-1:3000 trackd-2:3000");
  expect(caddyfile).toContain("health_uri /healthz");
});

test("the guide is linked from the README, links the compose file, and says what was not verified here", () => {
  const guide = read("docs/deploy.md");
  expect(read("README.md")).toContain("(docs/deploy.md)");
  expect(guide).toContain("[`compose.yaml`](compose.yaml)");
  expect(guide).not.toContain("needs the PostgreSQL store");
  expect(guide).toContain("Docker image / `compose.yaml` | not verified here");
  // PgBouncer is verified, by the test the guide names.
  expect(guide).toContain("`test/pg/pgbouncer.test.ts`");
  expect(read("test/pg/pgbouncer.test.ts")).toContain("?pooler=transaction");
  expect(read("docs/compose.yaml")).toContain("NOT RUN HERE: no Docker engine");
  // The PostgreSQL flags' defaults as the guide states them are the real ones.
  expect(guide).toContain(`| \`--pg-pool\` | \`TRACKD_PG_POOL\` | \`${settings.pgPool.default}\` |`);
  expect(guide).toContain(`| \`--pg-cache-poll\` | \`TRACKD_PG_CACHE_POLL\` | \`${settings.pgCachePoll.default}\` |`);
});
