import { UsageError, settings } from "../config";
import { appsCommand, keysCommand } from "./apps";
import { dbOption, parseCommandArgs } from "./args";
import { openForCommand } from "./db";
import { exportCommand } from "./export";
import { devCommand } from "./dev";
import { healthCommand } from "./health";
import { serveCommand } from "./serve";
import { stripeCommand } from "./stripe";
import { usersCommand } from "./users";
import { version } from "../../package.json";

const HELP = `trackd ${version}: per-customer product events and attributes, in one binary

Usage: trackd [command] [flags]

Commands:
  serve                            run the server (the default command)
  apps create --name NAME [--json] create an app; prints its id, API key and signing secret
  apps list [--json]               list apps and their browser-event settings
  apps update APP_ID [--require-verified | --no-require-verified]
                     [--allowed-origins https://a.com,https://b.com | '*'] [--json]
                                   how the app treats browser events: refuse unsigned ones,
                                   and which web origins may send them (default: any)
  apps update APP_ID --health-weights activity=30,recency=20,... | default
                                   the health score's factor weights; factors left out
                                   keep their default
  keys create --app APP_ID [--scope ingest,read,admin] [--json]
                                   another API key for an app: to rotate keys, or a narrower
                                   one (default: all three scopes)
  keys revoke KEY_ID               revoke an API key
  users create --email EMAIL --role admin|viewer --password-stdin [--json]
                                   a dashboard account (password from stdin, 10+ characters)
  users list [--json]              dashboard accounts and their roles
  users remove EMAIL               remove an account; its sessions end
  users set-password EMAIL --password-stdin
                                   a new password; the account's sessions end
  export --app APP_ID --out FILE [--from DATE] [--to DATE] [--format ndjson|csv]
         [--customer-id ID]        write an app's events (with each customer's identity) to
                                   FILE, or stdout with --out -; the format follows FILE's
                                   extension unless given; progress on stderr
  health score [--app APP_ID] [--json]
                                   score every customer's health now (the server does it
                                   every --health-interval minutes); prints per app how many
                                   were scored and how long it took
  migrate                          apply database migrations and exit
  dev seed --app APP_ID --events N --customers M [--days 365] [--seed 1]
                                   fill an app with realistic generated events through the
                                   server's write path, the same for the same --seed
  stripe sync --app APP_ID --api-key sk_... [--api-base URL]
                                   read the app's customers and subscriptions from Stripe's API
                                   (history before the webhook); the key may come from
                                   STRIPE_API_KEY; --api-base points at a stripe-mock or test server

Flags (each defaults from its environment variable):
${Object.values(settings)
  .map((s) => `  --${`${s.flag} VALUE`.padEnd(20)} ${s.env}, default ${s.default}\n${" ".repeat(25)}${s.description}`)
  .join("\n")}
  All but --db apply to serve only; --db applies to every command.

  -h, --help       this text
  -v, --version    the version
`;

const INFO_FLAGS = new Set(["--help", "--version"]);

/** Runs one command; resolves to the exit code, or never settles for `serve`. */
export async function runCli(argv: string[], env: Record<string, string | undefined>): Promise<number | "serving"> {
  try {
    const [command, ...args] = argv;
    if (command === "serve") await serveCommand(args, env);
    // No command, or only flags (`trackd --port 4000`): serve.
    else if (command === undefined || (command.startsWith("--") && !INFO_FLAGS.has(command))) await serveCommand(argv, env);
    else return await runCommand(command, args, env);
    return "serving";
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`trackd: ${error.message}\nRun 'trackd --help' for usage.`);
    return 2;
  }
}

async function runCommand(command: string, args: string[], env: Record<string, string | undefined>): Promise<number> {
  switch (command) {
    case "-h":
    case "--help":
    case "help":
      console.log(HELP);
      return 0;
    case "-v":
    case "--version":
    case "version":
      console.log(version);
      return 0;
    case "apps":
      return appsCommand(args, env);
    case "keys":
      return keysCommand(args, env);
    case "users":
      return usersCommand(args, env);
    case "dev":
      return devCommand(args, env);
    case "export":
      return exportCommand(args, env);
    case "stripe":
      return stripeCommand(args, env);
    case "health":
      return healthCommand(args, env);
    case "migrate": {
      const { values } = parseCommandArgs(args, dbOption);
      openForCommand(values, env).$client.close(); // opening migrates
      console.log("database is up to date");
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}
