// Fetches Debian's cloud kernel package and unpacks it (never installs it), then picks the guest's modules.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BuildError, requireTool, run } from "./tools.ts";

/** Modules the guest loads from its initramfs: the channel, the root disk, its filesystem, and an entropy source. */
export const GUEST_MODULES = [
  "virtio_pci",
  "virtio_console",
  "virtio_blk",
  "squashfs",
  "virtio_rng",
  "virtio_balloon",
];

export interface KernelPackage {
  /** Versioned package name, e.g. linux-image-6.1.0-56-cloud-amd64. */
  pkg: string;
  /** Debian package version, e.g. 6.1.192-2. */
  version: string;
  /** Kernel release, e.g. 6.1.0-56-cloud-amd64. */
  release: string;
}

/** Asks apt which versioned kernel the metapackage depends on right now. */
export function resolveKernelPackage(meta = "linux-image-cloud-amd64"): KernelPackage {
  requireTool("apt-cache");
  const deps = run("apt-cache", ["depends", meta]);
  const m = /Depends:\s+(linux-image-[0-9][^\s]*-cloud-amd64)/.exec(deps);
  if (!m?.[1]) {
    throw new BuildError(
      "KERNEL_NOT_FOUND",
      `apt does not know ${meta}; run "apt-get update" (Debian or Ubuntu with the main archive) and retry`,
    );
  }
  const pkg = m[1];
  const policy = run("apt-cache", ["policy", pkg]);
  const cand = /Candidate:\s+(\S+)/.exec(policy)?.[1];
  if (!cand || cand === "(none)") {
    throw new BuildError(
      "KERNEL_NOT_FOUND",
      `apt has no installable version of ${pkg}; run "apt-get update"`,
    );
  }
  return { pkg, version: cand, release: pkg.replace(/^linux-image-/, "") };
}

/** Downloads and unpacks the kernel package into `cacheDir`, reusing an earlier unpack of the same version. */
export function fetchKernel(k: KernelPackage, cacheDir: string, log: (msg: string) => void): string {
  const dest = join(cacheDir, `kernel-${k.release}-${k.version}`);
  if (existsSync(join(dest, ".complete"))) {
    log(`kernel ${k.release} (${k.version}) already unpacked`);
    return dest;
  }
  requireTool("apt-get");
  requireTool("dpkg");
  const dl = join(cacheDir, "download");
  rmSync(dl, { recursive: true, force: true });
  mkdirSync(dl, { recursive: true });
  log(`downloading ${k.pkg}=${k.version} with apt-get download`);
  run("apt-get", ["download", `${k.pkg}=${k.version}`], { cwd: dl });
  const deb = readdirSync(dl).find((f) => f.endsWith(".deb"));
  if (!deb) throw new BuildError("KERNEL_DOWNLOAD_FAILED", `apt-get download left no .deb in ${dl}`);
  const tmp = `${dest}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  log(`unpacking ${deb} with dpkg -x`);
  run("dpkg", ["-x", join(dl, deb), tmp]);
  run("touch", [join(tmp, ".complete")]);
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  rmSync(dl, { recursive: true, force: true });
  return dest;
}

/** Reads the `depends=` entry of a module's .modinfo section. */
function moduleDepends(koPath: string): string[] {
  const buf = readFileSync(koPath);
  const key = Buffer.from("\0depends=");
  const at = buf.indexOf(key);
  if (at < 0) return [];
  const start = at + key.length;
  const end = buf.indexOf(0, start);
  const list = buf.subarray(start, end).toString("latin1");
  return list ? list.split(",").filter(Boolean) : [];
}

function indexModules(dir: string, into = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) indexModules(p, into);
    else if (entry.name.endsWith(".ko")) into.set(entry.name.slice(0, -3).replace(/-/g, "_"), p);
  }
  return into;
}

/** The modules to load, dependencies first, with their files. Built-in modules need no file. */
export function guestModules(kernelDir: string, release: string): { name: string; path: string }[] {
  const modRoot = join(kernelDir, "lib", "modules", release);
  const index = indexModules(join(modRoot, "kernel"));
  const builtin = new Set(
    readFileSync(join(modRoot, "modules.builtin"), "utf8")
      .split("\n")
      .map((l) => l.split("/").pop()?.replace(/\.ko$/, "").replace(/-/g, "_"))
      .filter((n): n is string => Boolean(n)),
  );
  const order: { name: string; path: string }[] = [];
  const seen = new Set<string>();
  const visit = (raw: string, chain: string[]): void => {
    const name = raw.replace(/-/g, "_");
    if (seen.has(name) || builtin.has(name)) return;
    const path = index.get(name);
    if (!path) {
      throw new BuildError(
        "MODULE_NOT_FOUND",
        `kernel ${release} has no module ${name} (needed by ${chain.join(" → ")})`,
      );
    }
    seen.add(name);
    for (const dep of moduleDepends(path)) visit(dep, [...chain, name]);
    order.push({ name, path });
  };
  for (const m of GUEST_MODULES) visit(m, ["guest"]);
  return order;
}
