import { UsageError } from "../config";
import { appsCommand, keysCommand } from "./apps";
import { backupCommand } from "./backup";
import { CommandError } from "./args";
import { exportCommand } from "./export";
import { devCommand } from "./dev";
import { healthCommand } from "./health";
import { healthcheckCommand } from "./healthcheck";
import { migrateCommand } from "./migrate";
import { migrateToCommand } from "./migrate-to";
import { serveCommand } from "./serve";
import { stripeCommand } from "./stripe";
import { usersCommand } from "./users";
import { HELP, helpFor } from "./usage";
import { version } from "../../package.json";

const INFO_FLAGS = new Set(["--help", "--version"]);
const HELP_FLAGS = new Set(["--help", "-h"]);

/** Runs one command; resolves to the exit code, or never settles for `serve`. */
export async function runCli(argv: string[], env: Record<string, string | undefined>): Promise<number | "serving"> {
  try {
    const [command, ...args] = argv;
    // `--help` anywhere after a command asks for that command's usage, before its flags are checked.
    if (command !== undefined && !HELP_FLAGS.has(command) && argv.some((arg) => HELP_FLAGS.has(arg))) {
      const usage = helpFor(argv);
      if (!usage) throw new UsageError(`unknown command "${command}"`);
      console.log(usage);
      return 0;
    }
    if (command === "serve") await serveCommand(args, env);
    // No command, or only flags (`trackd --port 4000`): serve.
    else if (command === undefined || (command.startsWith("--") && !INFO_FLAGS.has(command))) await serveCommand(argv, env);
    else return await runCommand(command, args, env);
    return "serving";
  } catch (error) {
    if (error instanceof CommandError) {
      console.error(`trackd: ${error.message}`);
      return 1;
    }
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
    case "backup":
      return backupCommand(args, env);
    case "healthcheck":
      return healthcheckCommand(args, env);
    case "migrate":
      return migrateCommand(args, env);
    case "migrate-to":
      return migrateToCommand(args, env);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}
