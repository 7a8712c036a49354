import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../config";

type Options = NonNullable<ParseArgsConfig["options"]>;

export const dbOption = { db: { type: "string" } } as const satisfies Options;
export const jsonOption = { json: { type: "boolean" } } as const satisfies Options;

/** Strict parsing: an unknown flag or a missing value is a UsageError (exit code 2). */
export function parseCommandArgs<const O extends Options>(args: string[], options: O, positionals = 0) {
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: positionals > 0 });
    if (parsed.positionals.length > positionals) {
      throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`);
    }
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}

/**
 * The command was well formed but could not be done: no such app, key or customer, a name
 * already taken. Exit code 1 from every command (a UsageError is 2).
 */
export class CommandError extends Error {}
