// The stderr logger in a real process whose stderr is a non-blocking pipe (as a parent can hand it
// over): a slow reader gets every line, whole and in order, up to process.exit(); a reader that
// stopped reading cannot keep the process from exiting.
import { afterEach, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const LINES = 5_000; // ~1 MB: several times what the pipe holds

function burst(mode: "turns" | "exit", stderr: "pipe" | number = "pipe") {
  return Bun.spawn([process.execPath, join(import.meta.dir, "..", "support", "log-burst-entry.ts"), String(LINES), mode], {
    stdin: "ignore",
    stdout: "pipe",
    stderr,
  });
}

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

/** What the child said about its fd 2: without O_NONBLOCK, writeSync would just wait and these tests could not fail. */
async function nonBlocking(proc: ReturnType<typeof burst>) {
  return (JSON.parse(await new Response(proc.stdout).text()) as { nonBlocking: boolean }).nonBlocking;
}

test("a slow reader of a full non-blocking stderr gets every line, whole and in order, up to process.exit()", async () => {
  const proc = burst("turns");
  let stderr = "";
  const decoder = new TextDecoder();
  for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) {
    stderr += decoder.decode(chunk, { stream: true });
    await Bun.sleep(20); // the pipe fills while the process writes
  }
  expect(await proc.exited).toBe(0);
  expect(await nonBlocking(proc)).toBe(true);
  const lines = stderr.split("\n");
  expect(lines.pop()).toBe(""); // ends with a whole line
  const entries = lines.map((line) => JSON.parse(line) as { msg: string; n?: number });
  expect(entries.filter((entry) => entry.msg === "request").map((entry) => entry.n)).toEqual(Array.from({ length: LINES }, (_, n) => n));
  expect(entries.at(-1)?.msg).toBe("stopped");
});

test("a reader that never reads cannot keep the process from exiting: the exit's write gives up", async () => {
  // Bun.spawn's pipes are read by this process as the child writes, whether the test reads them
  // or not: a FIFO opened here and never read is a pipe that stays full.
  const dir = mkdtempSync(join(tmpdir(), "trackd-log-"));
  const fifo = join(dir, "stderr");
  expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  const fd = openSync(fifo, "r+"); // read and write: opening does not wait for a reader
  cleanups.push(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
  const proc = burst("exit", fd);
  expect(await proc.exited).toBe(0);
  expect(await nonBlocking(proc)).toBe(true);
  // What fitted in the pipe went out, whole lines first; the rest was given up.
  const buffer = Buffer.alloc(LINES * 200);
  const stderr = buffer.subarray(0, readSync(fd, buffer)).toString();
  expect(stderr.startsWith('{"n":0,')).toBe(true);
  expect(stderr).not.toContain('"msg":"stopped"');
});
