// Progress on stderr for long commands (export, dev seed), so stdout stays clean for data. On a
// terminal: one bar redrawn in place at most five times a second. Otherwise (a log file, CI):
// a plain line at every tenth, since carriage returns would only garble the log.

const BAR_WIDTH = 24;

export function progressBar(verb: string, total: number, unit = "events", stream: { isTTY?: boolean; write(text: string): unknown } = process.stderr) {
  const started = performance.now();
  let lastDraw = 0;
  let nextTenth = 1;
  const describe = (done: number, now: number) => {
    // An estimated total may be exceeded: the bar stops at full.
    const fraction = total > 0 ? Math.min(done / total, 1) : 1;
    const rate = Math.round(done / Math.max((now - started) / 1000, 0.001));
    const bar = stream.isTTY ? `[${"#".repeat(Math.round(fraction * BAR_WIDTH)).padEnd(BAR_WIDTH, "-")}] ` : "";
    return `${verb}: ${bar}${Math.floor(fraction * 100)}% (${done} of ${total} ${unit}, ${rate} ${unit}/s)`;
  };
  return {
    update(done: number): void {
      const now = performance.now();
      if (stream.isTTY && now - lastDraw >= 200) {
        stream.write(`\r${describe(done, now)}\x1b[K`);
        lastDraw = now;
      } else if (!stream.isTTY && total > 0 && done >= (nextTenth * total) / 10) {
        stream.write(`${describe(done, now)}\n`);
        nextTenth = Math.floor((done * 10) / total) + 1;
      }
    },
    /** Clears the bar; returns the seconds since the start. */
    finish(): number {
      if (stream.isTTY) stream.write("\r\x1b[K");
      return (performance.now() - started) / 1000;
    },
  };
}
