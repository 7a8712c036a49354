// Line logging to stderr; stdout is kept for command output (`--json`, credentials, exports).
// Two formats: `text` for a person at a terminal, `json` (one object per line) for a log
// shipper. Both carry the same fields.
import { writeSync } from "node:fs";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "text" | "json";

type Fields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

export interface LoggerOptions {
  format?: LogFormat;
  /** Lines below this level are dropped. */
  level?: LogLevel;
  /** Where a finished line goes; stderr unless a test captures it. */
  write?: (line: string) => void;
  clock?: () => number;
}

export function createLogger({ format = "text", level = "info", write = writeStderr, clock = Date.now }: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const line = (lineLevel: LogLevel) => {
    if (LOG_LEVELS.indexOf(lineLevel) < threshold) return () => {};
    return (message: string, fields?: Fields) => {
      const time = new Date(clock()).toISOString();
      write(format === "json" ? jsonLine(time, lineLevel, message, fields) : textLine(time, lineLevel, message, fields));
    };
  };
  return { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
}

export const consoleLogger: Logger = createLogger();

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function textLine(time: string, level: LogLevel, message: string, fields?: Fields): string {
  const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
  return `${time} ${level} ${message}${extra}`;
}

function jsonLine(time: string, level: LogLevel, message: string, fields?: Fields): string {
  // The fixed keys come last so that a field can never overwrite them.
  return JSON.stringify({ ...fields, time, level, msg: message });
}

// Lines written in one event-loop turn go out in one write: under load the access log would
// otherwise cost a system call per request. The write is synchronous so that the lines of a
// turn that ends in process.exit() are not lost (an async write to a pipe is cut short).
let pending: string[] = [];
let flushesOnExit = false;

function writeStderr(line: string): void {
  if (!flushesOnExit) {
    flushesOnExit = true;
    process.once("exit", () => flushStderr(EXIT_STALL_MS));
  }
  if (pending.length === 0) setImmediate(() => flushStderr());
  pending.push(line);
}

/** At exit, how long a full stderr pipe may go without making room before the rest is given up. */
const EXIT_STALL_MS = 1_000;

// stderr is normally a blocking descriptor: writeSync waits while the pipe is full, and the
// server with it. One inherited non-blocking (the flag belongs to the pipe: a parent can leave it
// set, and Bun sets it once anything touches process.stderr) answers EAGAIN instead. The
// fallback that was here, process.stderr.write of the rest, let later batches overtake it (lines
// cut and interleaved) and was lost at process.exit(): 3,359 of 5,000 lines in a test with a slow
// reader. So wait for the reader here too, in 1 ms sleeps, as a blocking stderr would (and, as
// with one, a reader that stopped reading stalls the server, signal handlers included); at exit
// only up to EXIT_STALL_MS without progress, so a stuck reader cannot keep a server that has
// finished its shutdown from exiting.
function flushStderr(stallMs = Infinity): void {
  if (pending.length === 0) return;
  const bytes = Buffer.from(`${pending.join("\n")}\n`);
  pending = [];
  let written = 0;
  let stalledSince: number | undefined;
  while (written < bytes.length) {
    try {
      written += writeSync(2, bytes, written);
      stalledSince = undefined;
    } catch (error) {
      if ((error as { code?: string }).code !== "EAGAIN") return; // stderr is closed or gone: nowhere to write
      stalledSince ??= performance.now();
      if (performance.now() - stalledSince > stallMs) return;
      Bun.sleepSync(1);
    }
  }
}
