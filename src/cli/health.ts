// trackd health score: the scoring pass the server runs every --health-interval minutes, now.
import { UsageError } from "../config";
import { createHealthPass, type PassResult } from "../scoring/pass";
import { dbOption, jsonOption, parseCommandArgs } from "./args";
import { openStoreForCommand, requireApp } from "./db";

export async function healthCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "score") throw new UsageError(sub ? `unknown health command "${sub}"` : "health needs a command: score");
  const { values } = parseCommandArgs(rest, { ...dbOption, ...jsonOption, app: { type: "string" } });
  // Its own writer: a running server on the same file keeps its own, and SQLite's write lock
  // (BEGIN IMMEDIATE, busy_timeout) takes the two in turn.
  const { store, close } = await openStoreForCommand(values, env, { command: "health score", mustExist: true });
  try {
    if (values.app !== undefined) await requireApp(store, values.app);
    const results = await createHealthPass({ store, clock: Date.now }).run({ appId: values.app });
    if (values.json) console.log(JSON.stringify(results));
    else if (results.length === 0) console.log("no apps yet: trackd apps create --name NAME");
    else for (const result of results) console.log(describe(result));
    return 0;
  } finally {
    await close();
  }
}

function describe(result: PassResult): string {
  const { appId, customersScored, changed, medianBreadth, durationMs } = result;
  return `${appId}: scored ${customersScored} customers (${changed} changed, median breadth ${medianBreadth}) in ${durationMs} ms`;
}
