// A process that logs a burst through trackd's stderr logger and exits, for
// test/log/stderr.test.ts. Touching process.stderr makes Bun set O_NONBLOCK on fd 2 (the pipe's
// flag, as a parent can leave it): a full pipe then answers EAGAIN instead of waiting.
// Arguments: how many lines, and `turns` (a hundred lines a turn, as the access log writes under
// load, then process.exit() at once) or `exit` (all of them in the turn that calls process.exit()).
import { readFileSync } from "node:fs";
import { createLogger } from "../../src/log";

void process.stderr;
const flags = Number.parseInt(/flags:\s*(\d+)/.exec(readFileSync("/proc/self/fdinfo/2", "utf8"))![1]!, 8);
console.log(JSON.stringify({ nonBlocking: (flags & 0o4000) !== 0 }));

const log = createLogger({ format: "json" });
const LINES = Number(process.argv[2]);
const perTurn = process.argv[3] === "exit" ? LINES : 100;
let sent = 0;
const burst = () => {
  for (let i = 0; i < perTurn && sent < LINES; i++, sent++) log.info("request", { n: sent, pad: "x".repeat(150) });
  if (sent < LINES) return setTimeout(burst, 0);
  log.info("stopped");
  process.exit(0);
};
burst();
