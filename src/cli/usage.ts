// Every command's usage, in one place: `trackd --help` lists them all, `trackd CMD … --help`
// prints the one asked about. A flag named here is a flag the command parses.
import { settings } from "../config";
import { version } from "../../package.json";

interface CommandHelp {
  usage: string;
  about: string;
}

const SERVE_FLAGS = Object.values(settings)
  .filter((s) => s.flag !== "db")
  .map((s) => `[--${s.flag} VALUE]`)
  .join(" ");

export const COMMANDS: Record<string, CommandHelp> = {
  serve: { usage: `serve [--db PATH|URL] ${SERVE_FLAGS}`, about: "run the server (the default command); every flag is listed below" },
  healthcheck: {
    usage: "healthcheck [--host ADDR] [--port N]",
    about: "exit 0 when a server answers GET /healthz, else 1: the Docker HEALTHCHECK; takes --host/--port and TRACKD_HOST/TRACKD_PORT as serve does, and probes 127.0.0.1 when the host is 0.0.0.0 (:: probes ::1)",
  },
  "apps create": { usage: "apps create --name NAME [--json]", about: "create an app; prints its id, API key and signing secret (names are unique)" },
  "apps list": { usage: "apps list [--json]", about: "list apps and their browser-event settings" },
  "apps update": {
    usage:
      "apps update APP_ID [--require-verified | --no-require-verified] [--allowed-origins https://a.com,https://b.com | '*'] [--stripe-webhook-secret whsec_... | --no-stripe-webhook-secret] [--health-weights activity=30,recency=20,... | default] [--retention-days N | --no-retention] [--json]",
    about:
      "refuse unsigned browser events or not; which web origins may send them (default: any); the Stripe webhook's signing secret; the health score's factor weights (factors left out keep their default); delete raw events older than N days (today and the N days before it are kept) in the background, default: keep forever",
  },
  "keys create": {
    usage: "keys create --app APP_ID [--scope ingest,read,admin] [--json]",
    about: "another API key for an app: to rotate keys, or a narrower one (default: all three scopes)",
  },
  "keys list": { usage: "keys list --app APP_ID [--json]", about: "the app's keys: id, scopes, when created, when last used (to within 5 minutes) and when revoked; secrets are never shown again" },
  "keys revoke": {
    usage: "keys revoke KEY_ID",
    about: "revoke an API key; KEY_ID as 'keys list' prints it (key_<12 hex>) or its 12 hex digits, the middle part of the API key",
  },
  "users create": {
    usage: "users create --email EMAIL --role admin|viewer --password-stdin [--json]",
    about: "a dashboard account (not an API key); the password (10 to 1,024 characters) is read from standard input",
  },
  "users list": { usage: "users list [--json]", about: "the dashboard accounts and their roles" },
  "users remove": { usage: "users remove EMAIL", about: "remove a dashboard account; its sessions end" },
  "users set-password": { usage: "users set-password EMAIL --password-stdin", about: "a new password, read from standard input; the account's sessions end" },
  export: {
    usage: "export --app APP_ID --out FILE [--from DATE] [--to DATE] [--format ndjson|csv] [--customer-id ID]",
    about: "write an app's events (with each customer's identity) to FILE, or stdout with --out -; the format follows FILE's extension unless given; progress on stderr",
  },
  "health score": {
    usage: "health score [--app APP_ID] [--json]",
    about: "score every customer's health now (the server does it every --health-interval minutes); prints per app how many were scored and how long it took",
  },
  migrate: {
    usage: "migrate",
    about: "create the database if needed (SQLite; a PostgreSQL database must exist), apply migrations, say which, and exit (every command also migrates)",
  },
  "migrate-to": {
    usage: "migrate-to --db FILE --to postgres://user:password@host:5432/database",
    about:
      "copy a SQLite database into an empty PostgreSQL one (migrated first), every table and key, in one transaction; prints each table's row count and checks it against the source (docs/deploy.md)",
  },
  backup: {
    usage: "backup --db PATH --out FILE",
    about: "a consistent copy of the database, also while serve runs, checked with integrity_check; never overwrites FILE (SQLite only: on PostgreSQL use pg_dump)",
  },
  "dev seed": {
    usage: "dev seed --app APP_ID --events N --customers M [--days 365] [--seed 1]",
    about: "fill an app with realistic generated events through the server's write path, the same for the same --seed",
  },
  "stripe sync": {
    usage: "stripe sync --app APP_ID --api-key sk_... [--api-base URL]",
    about: "read the app's customers and subscriptions from Stripe's API (history before the webhook); the key may come from STRIPE_API_KEY; --api-base points at a stripe-mock or test server",
  },
};

/** Wraps `text` to lines of at most `width` characters, indented by `indent`; later lines by `hanging`. */
function wrap(text: string, indent: number, hanging = indent, width = 100): string {
  const lines: string[] = [];
  let line = "";
  // A bracketed option ("[--port VALUE]") stays on one line.
  for (const word of text.match(/\[[^\]]*\]|\S+/g) ?? []) {
    if (line && (lines.length === 0 ? indent : hanging) + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.map((l, i) => " ".repeat(i === 0 ? indent : hanging) + l).join("\n");
}

function describeCommand(name: string): string {
  const { usage, about } = COMMANDS[name];
  return `${wrap(`trackd ${usage}`, 2, 9)}\n${wrap(about, 6)}`;
}

const FLAGS = Object.values(settings)
  .map((s) => `  --${`${s.flag} VALUE`.padEnd(22)} ${s.env}, default ${s.default}\n${wrap(s.description, 27)}`)
  .join("\n");

export const HELP = `trackd ${version}: per-customer product events and attributes, in one binary

Usage: trackd [command] [flags]      (no command: serve)

Commands:
${Object.keys(COMMANDS).map(describeCommand).join("\n")}

Flags of serve (each defaults from its environment variable; --db applies to every command):
${FLAGS}

Exit codes: 0 done; 1 failed, or no such app, key or customer; 2 a usage error (unknown command or
flag, bad value, port in use, no database at --db).

  -h, --help       this text; after a command, that command's usage
  -v, --version    the version
`;

/**
 * The usage for `trackd ARGS… --help`: the longest command named by the leading words
 * ("apps update APP_ID --help" is "apps update"), a group's commands ("apps --help"), or
 * undefined when the words name no command.
 */
export function helpFor(argv: string[]): string | undefined {
  const firstFlag = argv.findIndex((arg) => arg.startsWith("-"));
  const words = firstFlag === -1 ? argv : argv.slice(0, firstFlag);
  if (words.length === 0 || words[0] === "serve") return `Usage:\n${describeCommand("serve")}\n\nFlags:\n${FLAGS}\n`;
  const two = words.slice(0, 2).join(" ");
  if (COMMANDS[two]) return `Usage:\n${describeCommand(two)}\n`;
  if (COMMANDS[words[0]]) return `Usage:\n${describeCommand(words[0])}\n`;
  const group = Object.keys(COMMANDS).filter((name) => name.startsWith(`${words[0]} `));
  return group.length > 0 ? `Usage:\n${group.map(describeCommand).join("\n")}\n` : undefined;
}
