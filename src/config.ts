// Every setting in one place: a flag, the env var it defaults from, a default and a check.
// Parsed once by the CLI; nothing else reads process.env.
import { DEFAULT_CLIENT_OPTIONS } from "./client/model";
import type { Durability } from "./db";
import { DbTargetError, parseDbTarget, type DbTarget } from "./db/target";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "./log";
import { DEFAULT_MAX_PENDING } from "./store/writer";

export class UsageError extends Error {}

interface Setting<T> {
  flag: string;
  env: string;
  default: string;
  description: string;
  parse(raw: string): T;
}

/** A parser for a number from `min` to `max`: whole, unless `fractional`. */
function numberIn(min: number, max: number, options: { fractional?: boolean } = {}) {
  const pattern = options.fractional ? /^\d+(\.\d+)?$/ : /^\d+$/;
  const kind = options.fractional ? "a number" : "a whole number";
  return (raw: string): number => {
    const value = Number(raw);
    if (!pattern.test(raw) || value < min || value > max) throw new UsageError(`must be ${kind} from ${min} to ${max}, got "${raw}"`);
    return value;
  };
}

export const settings = {
  db: {
    flag: "db",
    env: "TRACKD_DB",
    default: "./data/trackd.db",
    description:
      "SQLite database file (its folder is created; :memory: for a throwaway one), or a postgres://user:password@host:5432/db URL for PostgreSQL (docs/deploy.md)",
    parse: (raw: string): DbTarget => {
      try {
        return parseDbTarget(raw);
      } catch (error) {
        if (error instanceof DbTargetError) throw new UsageError(error.message);
        throw error;
      }
    },
  },
  port: {
    flag: "port",
    env: "TRACKD_PORT",
    default: "3000",
    description: "TCP port to listen on (0 picks a free one)",
    parse: numberIn(0, 65535),
  },
  host: {
    flag: "host",
    env: "TRACKD_HOST",
    // Loopback unless asked: a first run prints working credentials and should not be reachable
    // from the network by surprise. The Docker image sets TRACKD_HOST=0.0.0.0.
    default: "127.0.0.1",
    description: "address to bind; 0.0.0.0 for every interface (the Docker image's setting)",
    parse: (raw: string) => raw,
  },
  durability: {
    flag: "durability",
    env: "TRACKD_DURABILITY",
    default: "full",
    description: "full: an acknowledged event survives power loss; normal: survives a crash of trackd only, faster",
    parse: (raw: string): Durability => {
      if (raw !== "full" && raw !== "normal") throw new UsageError(`must be full or normal, got "${raw}"`);
      return raw;
    },
  },
  drainTimeout: {
    flag: "drain-timeout",
    env: "TRACKD_DRAIN_TIMEOUT",
    default: "10",
    description: "seconds SIGTERM waits for in-flight requests before closing their connections",
    parse: numberIn(0, 3600, { fractional: true }),
  },
  maxPending: {
    flag: "max-pending",
    env: "TRACKD_MAX_PENDING",
    default: String(DEFAULT_MAX_PENDING),
    description: "most events waiting for a commit; past it writes get 503 with Retry-After",
    parse: numberIn(100, 10_000_000),
  },
  clientIpRate: {
    flag: "client-ip-rate",
    env: "TRACKD_CLIENT_IP_RATE",
    default: String(DEFAULT_CLIENT_OPTIONS.perIp.rate),
    description: "browser-event requests per second per client IP; past it (and the burst) 429",
    parse: numberIn(0.1, 1_000_000, { fractional: true }),
  },
  clientIpBurst: {
    flag: "client-ip-burst",
    env: "TRACKD_CLIENT_IP_BURST",
    default: String(DEFAULT_CLIENT_OPTIONS.perIp.burst),
    description: "browser-event requests a client IP may send at once above its rate",
    parse: numberIn(1, 1_000_000),
  },
  clientAppRate: {
    flag: "client-app-rate",
    env: "TRACKD_CLIENT_APP_RATE",
    default: String(DEFAULT_CLIENT_OPTIONS.perApp.rate),
    description: "browser-event requests per second per app, all clients together",
    parse: numberIn(0.1, 1_000_000, { fractional: true }),
  },
  clientAppBurst: {
    flag: "client-app-burst",
    env: "TRACKD_CLIENT_APP_BURST",
    default: String(DEFAULT_CLIENT_OPTIONS.perApp.burst),
    description: "browser-event requests an app may receive at once above its rate",
    parse: numberIn(1, 1_000_000),
  },
  trustProxy: {
    flag: "trust-proxy",
    env: "TRACKD_TRUST_PROXY",
    default: "false",
    description: "true behind your own reverse proxy: the client IP is the last X-Forwarded-For address",
    parse: (raw: string): boolean => {
      if (raw !== "true" && raw !== "false") throw new UsageError(`must be true or false, got "${raw}"`);
      return raw === "true";
    },
  },
  publicUrl: {
    flag: "public-url",
    env: "TRACKD_PUBLIC_URL",
    default: "",
    description: "the URL people open trackd at (e.g. https://trackd.example.com): used in printed links; https:// makes session cookies Secure",
    parse: (raw: string): string | undefined => {
      if (raw === "") return undefined;
      if (!/^https?:\/\/[^/\s]+\/?$/.test(raw)) throw new UsageError(`must be http(s)://host[:port], got "${raw}"`);
      return raw.replace(/\/$/, "");
    },
  },
  healthInterval: {
    flag: "health-interval",
    env: "TRACKD_HEALTH_INTERVAL",
    default: "15",
    description: "minutes between health scoring passes (the first runs at start); 0 turns them off",
    parse: numberIn(0, 1440),
  },
  retentionInterval: {
    flag: "retention-interval",
    env: "TRACKD_RETENTION_INTERVAL",
    default: "60",
    description: "minutes between retention purges of apps with --retention-days (the first runs at start); 0 turns them off",
    parse: numberIn(0, 1440),
  },
  metricsToken: {
    flag: "metrics-token",
    env: "TRACKD_METRICS_TOKEN",
    default: "",
    description: "bearer token that GET /metrics requires (at least 16 characters); unset, the route is off (404)",
    parse: (raw: string): string | undefined => {
      if (raw === "") return undefined;
      if (raw.length < 16 || /\s/.test(raw)) throw new UsageError("must be at least 16 characters with no spaces");
      return raw;
    },
  },
  logFormat: {
    flag: "log-format",
    env: "TRACKD_LOG_FORMAT",
    default: "text",
    description: "text: one readable line per entry; json: one JSON object per line, for a log shipper",
    parse: (raw: string): LogFormat => {
      if (raw !== "text" && raw !== "json") throw new UsageError(`must be text or json, got "${raw}"`);
      return raw;
    },
  },
  logLevel: {
    flag: "log-level",
    env: "TRACKD_LOG_LEVEL",
    default: "info",
    description: "least severe entries logged: debug, info, warn or error (warn and above hide the access log)",
    parse: (raw: string): LogLevel => {
      if (!(LOG_LEVELS as readonly string[]).includes(raw)) throw new UsageError(`must be one of ${LOG_LEVELS.join(", ")}, got "${raw}"`);
      return raw as LogLevel;
    },
  },
  pgPool: {
    flag: "pg-pool",
    env: "TRACKD_PG_POOL",
    default: "10",
    description: "PostgreSQL only: connections each node keeps to the database (the cache listener and a running pass take one each)",
    parse: numberIn(2, 1000),
  },
  pgCachePoll: {
    flag: "pg-cache-poll",
    env: "TRACKD_PG_CACHE_POLL",
    default: "1000",
    description:
      "PostgreSQL only: ms between checks of the key and app-settings version, the bound on how long another node's change takes to apply where LISTEN/NOTIFY can't reach (a transaction pooler)",
    parse: numberIn(50, 60_000),
  },
  accessLog: {
    flag: "access-log",
    env: "TRACKD_ACCESS_LOG",
    default: "1",
    description: "share of requests given an access-log line, 0 (off) to 1 (all); server errors are always logged",
    parse: numberIn(0, 1, { fractional: true }),
  },
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof settings;
export type Config = { [K in keyof Settings]: ReturnType<Settings[K]["parse"]> };

/** Flag, else env var (an empty one counts as unset), else default, each checked. */
export function resolveSetting<K extends keyof Settings>(
  key: K,
  flags: Record<string, unknown>,
  env: Record<string, string | undefined>,
): Config[K] {
  const setting = settings[key];
  const flag = flags[setting.flag];
  const [source, raw] =
    typeof flag === "string" ? [`--${setting.flag}`, flag]
    : env[setting.env] ? [setting.env, env[setting.env]!]
    : ["default", setting.default];
  try {
    return setting.parse(raw) as Config[K];
  } catch (error) {
    throw new UsageError(`${source} ${(error as Error).message}`);
  }
}
