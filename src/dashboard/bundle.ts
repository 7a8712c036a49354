// Imported `with { type: "macro" }` (like src/sdk/bundle.ts): the dashboard's script and styles
// are built by `bun build` when the server's code is bundled or transpiled, and their text is
// inlined into the binary; nothing is read from disk at run time. Bun.build can't run inside a
// macro, hence the CLI, into a temporary folder (the build writes the JS and the CSS it imports).
// Source runs transpile this on every process start (each CLI call in the tests), so the result
// is kept in the temp folder under a hash of every input: ~1 ms instead of a ~150 ms build.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
const WEB = join(import.meta.dir, "web");
const UPLOT_CSS = join(ROOT, "node_modules", "uplot", "dist", "uPlot.min.css");

export function bundleDashboard(): { js: string; css: string } {
  const inputs = [
    ...readdirSync(WEB, { recursive: true, encoding: "utf8" }).filter((f) => /\.(tsx?|css)$/.test(f)).sort().map((f) => join(WEB, f)),
    join(ROOT, "bun.lock"),
    import.meta.path,
  ];
  const hash = createHash("sha256");
  for (const file of inputs) hash.update(file).update(readFileSync(file));
  hash.update(Bun.version);
  const cached = join(tmpdir(), `trackd-dashboard-${hash.digest("hex").slice(0, 24)}.json`);
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, "utf8")) as { js: string; css: string };

  const out = mkdtempSync(join(tmpdir(), "trackd-dashboard-"));
  try {
    const result = Bun.spawnSync([process.execPath, "build", join(WEB, "main.tsx"), "--minify", "--target=browser", "--format=esm", `--outdir=${out}`], {
      env: { ...process.env, NODE_ENV: "production" },
    });
    if (!result.success) throw new Error(`building the dashboard failed:\n${result.stderr.toString()}`);
    const built = { js: readFileSync(join(out, "main.js"), "utf8"), css: readFileSync(UPLOT_CSS, "utf8") + readFileSync(join(WEB, "style.css"), "utf8") };
    // Written under a name of its own, then renamed: processes starting at once never read half a file.
    const temporary = `${cached}.${process.pid}`;
    writeFileSync(temporary, JSON.stringify(built));
    renameSync(temporary, cached);
    return built;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
