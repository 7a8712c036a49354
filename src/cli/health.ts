// trackd health score: the scoring pass the server runs every --health-interval minutes, now.
import { closeDatabase } from "../db";
import { UsageError } from "../config";
import { createHealthPass, type PassResult } from "../scoring/pass";
import { Writer } from "../store/writer";
import { dbOption, jsonOption, parseCommandArgs } from "./args";
import { openForCommand, requireApp } from "./db";

export async function healthCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "score") throw new UsageError(sub ? `unknown health command "${sub}"` : "health needs a command: score");
  const { values } = parseCommandArgs(rest, { ...dbOption, ...jsonOption, app: { type: "string" } });
  const db = openForCommand(values, env, { command: "health score", mustExist: true });
  try {
    if (values.app !== undefined) requireApp(db, values.app);
    // Its own writer: a running server on the same file keeps its own, and SQLite's write lock
    // (BEGIN IMMEDIATE, busy_timeout) takes the two in turn.
    const writer = new Writer(db);
    const results = await createHealthPass({ db, writer, clock: Date.now }).run({ appId: values.app });
    writer.close();
    if (values.json) console.log(JSON.stringify(results));
    else if (results.length === 0) console.log("no apps yet: trackd apps create --name NAME");
    else for (const result of results) console.log(describe(result));
    return 0;
  } finally {
    closeDatabase(db);
  }
}

function describe(result: PassResult): string {
  const { appId, customersScored, changed, medianBreadth, durationMs } = result;
  return `${appId}: scored ${customersScored} customers (${changed} changed, median breadth ${medianBreadth}) in ${durationMs} ms`;
}
