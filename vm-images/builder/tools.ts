// Host tools the image build shells out to: finding them, running them, and failing with what to install.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";

export class BuildError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** Debian package that provides each tool the build needs, for the error message. */
const PROVIDERS: Record<string, string> = {
  "apt-get": "apt",
  "apt-cache": "apt",
  dpkg: "dpkg",
  cpio: "cpio",
  gzip: "gzip",
  mksquashfs: "squashfs-tools",
  ldconfig: "libc-bin",
  ldd: "libc-bin",
  unshare: "util-linux",
  gcc: "gcc libc6-dev",
  xz: "xz-utils",
};

/**
 * Debian keeps ldconfig and other system tools in the sbin folders, which a user's PATH (the image is built by
 * whoever runs `npm start`, root or not) does not list: they are searched after it.
 */
const SYSTEM_BIN_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

export function which(tool: string): string | null {
  const path = [process.env.PATH ?? "", ...SYSTEM_BIN_DIRS].filter(Boolean).join(":");
  const r = spawnSync("sh", ["-c", `command -v ${tool}`], {
    encoding: "utf8",
    env: { ...process.env, PATH: path },
  });
  const found = r.stdout.trim();
  return r.status === 0 && found ? found : null;
}

export function requireTool(tool: string): string {
  const found = which(tool);
  if (!found) {
    const pkg = PROVIDERS[tool] ?? tool;
    throw new BuildError(
      "TOOL_MISSING",
      `"${tool}" is not installed; install it with: apt-get install -y ${pkg}`,
    );
  }
  return found;
}

/** A static busybox is required: the guest has no libc outside what the image copies for Node and Python. */
export function requireStaticBusybox(): string {
  for (const candidate of ["/bin/busybox", "/usr/bin/busybox"]) {
    if (!existsSync(candidate)) continue;
    const out = spawnSync("file", ["-L", candidate], { encoding: "utf8" }).stdout ?? "";
    const ldd = spawnSync("ldd", [candidate], { encoding: "utf8" });
    if (
      out.includes("statically linked") ||
      `${ldd.stdout}${ldd.stderr}`.includes("not a dynamic executable")
    ) {
      return candidate;
    }
  }
  throw new BuildError(
    "TOOL_MISSING",
    "a statically linked busybox is needed for the guest; install it with: apt-get install -y busybox-static",
  );
}

export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; input?: Buffer | string } = {},
): string {
  try {
    return execFileSync(cmd.includes("/") ? cmd : (which(cmd) ?? cmd), args, {
      cwd: opts.cwd,
      input: opts.input,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      stdio: ["pipe", "pipe", "pipe"],
    });
  } catch (err) {
    const e = err as { stderr?: string; status?: number };
    throw new BuildError(
      "COMMAND_FAILED",
      `${cmd} ${args.join(" ")} exited ${e.status ?? "?"}: ${(e.stderr ?? String(err)).trim().slice(-2000)}`,
    );
  }
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(path)
      .on("data", (c) => h.update(c))
      .on("error", reject)
      .on("end", () => resolve(h.digest("hex")));
  });
}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
