// The Docker image's final stage, checked as far as a machine without a Docker engine allows
// (base images can't be pulled here): assemble what the stage holds (the binary, the glibc
// libraries it links, /etc/passwd with uid 65532, /data owned by it, /tmp) in a temporary
// folder, and run the binary there under unshare + chroot as uid 65532, with the whole tree
// read-only except /data, and the image's environment. Needs root (for unshare and chroot).
// Usage: bun .ci/image-fs-check.ts [dist/trackd]
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const binary = resolve(process.argv[2] ?? "dist/trackd");
const root = mkdtempSync(join(tmpdir(), "trackd-image-"));
const data = mkdtempSync(join(tmpdir(), "trackd-image-data-"));
const NONROOT = 65532;

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`image check: ${what}`);
  console.log(`ok - ${what}`);
}

// The libraries the dynamic linker resolves, from ldd (distroless/base-debian12 ships glibc).
const ldd = Bun.spawnSync(["ldd", binary]).stdout.toString();
const libs = [...ldd.matchAll(/(\/\S+)/g)].map((match) => match[1]);
for (const dir of ["usr/local/bin", "etc", "proc", "tmp", "data"]) mkdirSync(join(root, dir), { recursive: true });
copyFileSync(binary, join(root, "usr/local/bin/trackd"));
chmodSync(join(root, "usr/local/bin/trackd"), 0o755);
for (const lib of libs) {
  mkdirSync(join(root, dirname(lib)), { recursive: true });
  copyFileSync(lib, join(root, lib));
}
writeFileSync(join(root, "etc/passwd"), `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${NONROOT}:${NONROOT}:nonroot:/home/nonroot:/sbin/nologin\n`);
writeFileSync(join(root, "etc/group"), `root:x:0:\nnonroot:x:${NONROOT}:\n`);
chmodSync(root, 0o755); // mkdtemp made it 0700: uid 65532 must be able to enter
chmodSync(join(root, "tmp"), 0o1777);
chownSync(data, NONROOT, NONROOT); // the Dockerfile's `chown 65532:65532 /out/data`
console.log(`# root filesystem: the binary and ${libs.length} libraries (${libs.join(", ")})`);

const port = 20000 + Math.floor(Math.random() * 20000);
// In a new mount and pid namespace: the tree bound read-only, /data bound writable on top,
// /proc mounted (the binary aborts without it), then chroot as 65532 with the image's ENV.
const inside = (args: string[]) => [
  "unshare", "--mount", "--pid", "--fork", "--kill-child=SIGTERM", "sh", "-c",
  `d="$1"; shift; mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && mount --bind "$d" "$0/data" && mount -t proc proc "$0/proc" && exec chroot --userspec=${NONROOT}:${NONROOT} "$0" /usr/local/bin/trackd "$@"`,
  root, data, ...args,
];
// The Dockerfile's ENV; PATH is the host's only so that unshare, mount and chroot are found.
// No network namespace: 0.0.0.0 binds this machine's interfaces, and the checks use loopback.
const env = {
  PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
  NODE_ENV: "production",
  TRACKD_DB: "/data/trackd.db",
  TRACKD_HOST: "0.0.0.0",
  TRACKD_PORT: String(port),
  TRACKD_DRAIN_TIMEOUT: "8",
};

try {
  const server = Bun.spawn(inside(["serve"]), { env, stdout: "pipe", stderr: "pipe" });
  const base = `http://127.0.0.1:${port}`;
  let healthy = false;
  for (let i = 0; i < 200 && !healthy && server.exitCode === null; i++) {
    healthy = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (!healthy) await Bun.sleep(50);
  }
  if (!healthy) {
    server.kill();
    console.error(await new Response(server.stdout).text(), await new Response(server.stderr).text());
  }
  check(healthy, "serve as uid 65532 in the read-only tree answers GET /healthz");

  // The first start prints the default app's credentials on stdout.
  const reader = server.stdout.getReader();
  let banner = "";
  while (!/API key:\s+\S+/.test(banner)) banner += new TextDecoder().decode((await reader.read()).value);
  const appId = /App ID:\s+(\S+)/.exec(banner)![1];
  const apiKey = /API key:\s+(\S+)/.exec(banner)![1];
  const headers = { "x-ck-api-key": apiKey, "x-ck-app": appId, "content-type": "application/json" };
  const write = await fetch(`${base}/v1/api/events/new`, { method: "POST", headers, body: JSON.stringify({ event: "Image Checked", customerId: "cus_1" }) });
  check(write.status === 201, "an event is stored (201)");
  const read = await (await fetch(`${base}/v1/api/events`, { headers })).json();
  check(read.events?.length === 1, "and read back");
  check(statSync(join(data, "trackd.db")).uid === NONROOT, "the database in /data belongs to uid 65532");
  // The image's HEALTHCHECK: the binary probes itself (127.0.0.1 for a 0.0.0.0 host), no shell.
  const probe = Bun.spawnSync(inside(["healthcheck"]), { env });
  check(probe.exitCode === 0, "trackd healthcheck (the image's HEALTHCHECK) exits 0 while it serves");

  // unshare forwards nothing: the signal goes to trackd itself, pid 1 of the new namespace
  // (as `docker stop` sends it), which is unshare's child.
  const child = Bun.spawnSync(["pgrep", "-P", String(server.pid)]).stdout.toString().trim();
  process.kill(Number(child), "SIGTERM"); // sh exec'd chroot, which exec'd trackd: same pid
  const code = await server.exited;
  check(code === 0, "SIGTERM stops it with exit code 0");
  check(!existsSync(join(data, "trackd.db-wal")), "and leaves no -wal file");
  const list = Bun.spawnSync(inside(["apps", "list", "--json"]), { env });
  check(list.exitCode === 0 && JSON.parse(list.stdout.toString())[0]?.appId === appId, "a CLI command (apps list) runs in the same tree");
} finally {
  rmSync(root, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
}
