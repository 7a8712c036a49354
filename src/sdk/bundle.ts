// Imported `with { type: "macro" }`: runs when the server's code is bundled (and when Bun
// transpiles it for `bun src/...` and tests), so the snippet is compiled from browser.ts and
// its text inlined into the binary; nothing is read from disk at run time. Bun.build can't run
// inside a macro, hence the CLI.
export function bundleSdk(): string {
  const entry = `${import.meta.dir}/browser.ts`;
  const result = Bun.spawnSync([process.execPath, "build", entry, "--minify", "--target=browser", "--format=iife"]);
  if (!result.success) throw new Error(`building ${entry} failed:\n${result.stderr.toString()}`);
  return result.stdout.toString();
}
