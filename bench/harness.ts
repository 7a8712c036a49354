// What every benchmark here shares: commands, servers pinned to core 0, wrk pinned to core 1,
// and reading a process's CPU time and peak memory from /proc.
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseWrk, type WrkResult } from "./wrk";

export const ROOT = join(import.meta.dir, "..");
export const BINARY = join(ROOT, "dist", "trackd");
const CLK_TCK = 100;

export interface ServerHandle {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

let nextPort = 24000 + Math.floor(Math.random() * 1000);
export const freePort = () => nextPort++;

export function requireTools(): void {
  for (const tool of ["wrk", "taskset"]) {
    if (!Bun.which(tool)) throw new Error(`${tool} is missing: apt-get install -y wrk util-linux`);
  }
}

/** Runs a command to completion; its stdout, or an error with its stderr. */
export function run(command: string[], cwd = ROOT): string {
  const result = Bun.spawnSync(command, { cwd, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`${command.join(" ")} failed:\n${result.stderr.toString()}`);
  return result.stdout.toString();
}

/** Starts a server on core 0 and waits for its /healthz. */
export async function start(command: string[], args: (port: number) => string[]): Promise<ServerHandle> {
  const port = freePort();
  const proc = Bun.spawn(["taskset", "-c", "0", ...command, ...args(port)], { stdout: "ignore", stderr: "inherit" });
  const deadline = Date.now() + 10_000;
  while (!(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`${command.join(" ")} did not start`);
    await Bun.sleep(20);
  }
  return {
    pid: proc.pid, // taskset execs the command, so this is the server itself
    port,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

export function startTrackd(db: string, extra: string[] = [], binary = BINARY): Promise<ServerHandle> {
  return start([binary, "serve", "--db", db, "--host", "127.0.0.1", ...extra], (port) => ["--port", String(port)]);
}

/** One wrk run on core 1; `dir` holds the script file. */
export async function wrk(port: number, script: string, seconds: number, connections: number, dir: string): Promise<WrkResult> {
  const file = join(dir, `script-${port}-${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(file, script);
  const proc = Bun.spawn(
    ["taskset", "-c", "1", "wrk", "-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", file, `http://127.0.0.1:${port}`],
    { stdout: "pipe", stderr: "pipe" },
  );
  const output = await new Response(proc.stdout).text();
  await proc.exited;
  return parseWrk(output);
}

/** User plus system CPU time of a process, in seconds. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
}

/** The process's peak resident memory (VmHWM), in MB. */
export function peakRss(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

export function machine(pinning: string) {
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    bun: Bun.version,
    pinning,
  };
}
