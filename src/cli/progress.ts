// Progress on stderr for long commands (export, dev seed, stripe sync), so stdout stays clean
// for data. On a terminal: one bar redrawn in place at most five times a second. Otherwise (a
// log file, CI): a plain line at every tenth, since carriage returns would only garble the log.
// A null total is unknown (Stripe's lists carry no count): a running count instead of a bar,
// and in a log a line every ten seconds and one at the end, as there are no tenths to mark.

const BAR_WIDTH = 24;
const LOG_INTERVAL_MS = 10_000;

export function progressBar(verb: string, total: number | null, unit = "events", stream: { isTTY?: boolean; write(text: string): unknown } = process.stderr) {
  const started = performance.now();
  let lastDraw = 0;
  let lastLogLine = started;
  let nextTenth = 1;
  let latest = 0;
  const describe = (done: number, now: number) => {
    const rate = Math.round(done / Math.max((now - started) / 1000, 0.001));
    if (total === null) return `${verb}: ${done} ${unit} (${rate} ${unit}/s)`;
    // An estimated total may be exceeded: the bar stops at full.
    const fraction = total > 0 ? Math.min(done / total, 1) : 1;
    const bar = stream.isTTY ? `[${"#".repeat(Math.round(fraction * BAR_WIDTH)).padEnd(BAR_WIDTH, "-")}] ` : "";
    return `${verb}: ${bar}${Math.floor(fraction * 100)}% (${done} of ${total} ${unit}, ${rate} ${unit}/s)`;
  };
  return {
    update(done: number): void {
      latest = done;
      const now = performance.now();
      if (stream.isTTY && now - lastDraw >= 200) {
        stream.write(`\r${describe(done, now)}\x1b[K`);
        lastDraw = now;
      } else if (!stream.isTTY && total === null && now - lastLogLine >= LOG_INTERVAL_MS) {
        stream.write(`${describe(done, now)}\n`);
        lastLogLine = now;
      } else if (!stream.isTTY && total !== null && total > 0 && done >= (nextTenth * total) / 10) {
        stream.write(`${describe(done, now)}\n`);
        nextTenth = Math.floor((done * 10) / total) + 1;
      }
    },
    /** Clears the bar (or, in a log, ends an unknown total with its count); returns the seconds since the start. */
    finish(): number {
      const now = performance.now();
      if (stream.isTTY) stream.write("\r\x1b[K");
      else if (total === null) stream.write(`${describe(latest, now)}\n`);
      return (now - started) / 1000;
    },
  };
}
