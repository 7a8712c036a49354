// The CLI as a real process (the compiled binary under TRACKD_TEST_BINARY, else `bun src/index.ts …`),
// each test in its own temporary folder.
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, TRACKD_COMMAND } from "./process";

export interface Scratch {
  dir: string;
  db: string;
}

const tempDirs: string[] = [];

/** For afterEach: removes every folder made by scratch() so far. */
export function removeScratches(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh folder for one test: its database lives here and the CLI runs with it as cwd. */
export function scratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), "trackd-cli-"));
  tempDirs.push(dir);
  return { dir, db: join(dir, "trackd.db") };
}

type RunOptions = { cwd: string; env?: Record<string, string>; stdin?: string };

const spawnOptions = (options: RunOptions) =>
  ({
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
    timeout: 15_000,
  }) as const;

export function trackd(args: string[], options: RunOptions) {
  const result = Bun.spawnSync([...TRACKD_COMMAND, ...args], spawnOptions(options));
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/** As trackd(), leaving this process free to answer: for a test that serves what the CLI calls. */
export async function trackdAsync(args: string[], options: RunOptions) {
  const proc = Bun.spawn([...TRACKD_COMMAND, ...args], spawnOptions(options));
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** Runs a command against the scratch database and expects it to succeed. */
export function ok(args: string[], s: Scratch) {
  const result = trackd([...args, "--db", s.db], { cwd: s.dir });
  if (result.code !== 0) throw new Error(`trackd ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  return result;
}

export function createAppJson(s: Scratch, name: string) {
  return JSON.parse(ok(["apps", "create", "--name", name, "--json"], s).stdout) as {
    appId: string;
    apiKey: string;
    signingSecret: string;
  };
}

/** Reads the database a command wrote, read-only, and closes it again. */
export function readDb<T>(path: string, read: (db: Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}
