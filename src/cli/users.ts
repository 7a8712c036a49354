// trackd users …: the people who sign in to the dashboard (not API keys, not a customer's users).
import { createAccountsService } from "../accounts/service";
import { UsageError } from "../config";
import { AppError } from "../errors";
import { dbOption, jsonOption, parseCommandArgs } from "./args";
import { withStore } from "./db";
import { helpFor } from "./usage";


type Accounts = ReturnType<typeof createAccountsService>;

export async function usersCommand(args: string[], env: Record<string, string | undefined>, stdin: () => Promise<string> = readStdin): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "create") {
    const { values } = parseCommandArgs(rest, { ...dbOption, ...jsonOption, email: { type: "string" }, role: { type: "string" }, "password-stdin": { type: "boolean" } });
    if (!values.email) throw new UsageError("users create needs --email EMAIL");
    if (!values.role) throw new UsageError("users create needs --role admin|viewer");
    if (!values["password-stdin"]) throw new UsageError("users create needs --password-stdin (a password on the command line would sit in the shell history)");
    const password = await stdin();
    const user = await withAccounts(values, env, (accounts) => accounts.createUser(values.email!, values.role!, password), { command: "users create" });
    if (values.json) console.log(JSON.stringify(user));
    else console.log(`Created ${user.role} ${user.email}`);
    return 0;
  }
  if (sub === "list") {
    const { values } = parseCommandArgs(rest, { ...dbOption, ...jsonOption });
    const users = await withAccounts(values, env, (accounts) => accounts.listUsers(), { command: "users list", mustExist: true });
    if (values.json) console.log(JSON.stringify(users.map((u) => ({ ...u, createdAt: new Date(u.createdAt).toISOString() }))));
    else if (users.length === 0) console.log("no dashboard users yet: trackd users create --email EMAIL --role admin --password-stdin");
    else for (const u of users) console.log(`${u.email}  ${u.role}  created ${new Date(u.createdAt).toISOString()}`);
    return 0;
  }
  if (sub === "remove") {
    const { values, positionals } = parseCommandArgs(rest, dbOption, 1);
    const [email] = positionals;
    if (!email) throw new UsageError("users remove needs an EMAIL");
    const removed = await withAccounts(values, env, async (accounts) => {
      const user = await accounts.findUser(email);
      return user ? accounts.removeUser(user.id) : false;
    }, { command: "users remove", mustExist: true });
    if (!removed) return fail(`no dashboard user with email ${email}`);
    console.log(`Removed ${email}; their sessions have ended`);
    return 0;
  }
  if (sub === "set-password") {
    const { values, positionals } = parseCommandArgs(rest, { ...dbOption, "password-stdin": { type: "boolean" } }, 1);
    const [email] = positionals;
    if (!email) throw new UsageError("users set-password needs an EMAIL");
    if (!values["password-stdin"]) throw new UsageError("users set-password needs --password-stdin");
    const password = await stdin();
    const user = await withAccounts(values, env, (accounts) => accounts.setPassword(email, password), { command: "users set-password", mustExist: true });
    if (!user) return fail(`no dashboard user with email ${email}`);
    console.log(`Set a new password for ${user.email}; their sessions have ended`);
    return 0;
  }
  const usage = helpFor(["users"]);
  throw new UsageError(sub ? `unknown users command "${sub}"\n${usage}` : `users needs a command: create, list, remove or set-password\n${usage}`);
}

/** The whole of stdin, less one trailing newline (what `echo` and a terminal add). */
async function readStdin(): Promise<string> {
  return (await Bun.stdin.text()).replace(/\r?\n$/, "");
}

async function withAccounts<T>(
  values: { db?: string },
  env: Record<string, string | undefined>,
  run: (accounts: Accounts) => T | Promise<T>,
  options: { command: string; mustExist?: boolean },
): Promise<T> {
  try {
    return await withStore(values, env, (store) => run(createAccountsService(store, Date.now)), options);
  } catch (error) {
    // A refused value (bad email, short password, last admin) is a usage problem: exit 2 with its message.
    if (error instanceof AppError && error.status < 500) throw new UsageError(error.message);
    throw error;
  }
}

function fail(message: string): number {
  console.error(`trackd: ${message}`);
  return 1;
}
