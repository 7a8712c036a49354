// The harnesses opened during the running test, closed by the global afterEach of
// ./preload.ts (bunfig.toml [test] preload): no test has to remember to close its database.
// Bun 1.4.5 runs a preload file's afterEach after every test of every file (after the file's
// own afterEach hooks), failed tests included, and shares this module with the test files.
export interface Closable {
  close(): Promise<void>;
}

const open = new Set<Closable>();

export function track<T extends Closable>(harness: T): T {
  open.add(harness);
  return harness;
}

export async function closeAll(): Promise<void> {
  const harnesses = [...open];
  open.clear();
  // Each closed even if another fails; the first failure is reported.
  const results = await Promise.allSettled(harnesses.map((h) => h.close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
