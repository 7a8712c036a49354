// Imported `with { type: "macro" }` (like src/sdk/bundle.ts): the dashboard's script and styles
// are built by `bun build` when the server's code is bundled or transpiled, and their text is
// inlined into the binary; nothing is read from disk at run time. Bun.build can't run inside a
// macro, hence the CLI, into a temporary folder (the build writes the JS and the CSS it imports).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function bundleDashboard(): { js: string; css: string } {
  const entry = `${import.meta.dir}/web/main.tsx`;
  const out = mkdtempSync(join(tmpdir(), "trackd-dashboard-"));
  try {
    const result = Bun.spawnSync([process.execPath, "build", entry, "--minify", "--target=browser", "--format=esm", `--outdir=${out}`], {
      env: { ...process.env, NODE_ENV: "production" },
    });
    if (!result.success) throw new Error(`building ${entry} failed:\n${result.stderr.toString()}`);
    const uplotCss = readFileSync(join(import.meta.dir, "..", "..", "node_modules", "uplot", "dist", "uPlot.min.css"), "utf8");
    return { js: readFileSync(join(out, "main.js"), "utf8"), css: uplotCss + readFileSync(join(import.meta.dir, "web", "style.css"), "utf8") };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
