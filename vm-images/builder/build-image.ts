// Builds what a Hearth VM boots (kernel, initramfs, read-only root) into vm-images/out/, cached by its inputs.
import { build as esbuild } from "esbuild";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fetchKernel, guestModules, resolveKernelPackage } from "./kernel.ts";
import { fetchNodeBuilds } from "./node-runtimes.ts";
import { assembleRoot } from "./rootfs.ts";
import { DEFAULT_NODE_MAJOR } from "../../main/domain/tasks/runtime-ids.ts";
import { BuildError, requireStaticBusybox, requireTool, run, sha256, sha256File } from "./tools.ts";
import {
  damagedFiles,
  IMAGE_SCHEMA,
  loadManifest,
  SANDBOX_SLOTS,
  type ImageLayout,
  type ImageManifest,
} from "../../main/vm/image-manifest.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const IMAGES_DIR = resolve(here, "..");
export const REPO_DIR = resolve(IMAGES_DIR, "..");

export interface BuildOptions {
  outDir?: string;
  cacheDir?: string;
  layout?: ImageLayout;
  force?: boolean;
  log?: (msg: string) => void;
  /** Called as each of the build's counted steps starts (the window shows it as progress). */
  onStep?: (n: number, of: number, message: string) => void;
}

/** Kernel arguments: quiet serial console, no legacy PS/2 probing, and no reboot loop on a panic. */
const BASE_CMDLINE =
  "console=ttyS0 quiet loglevel=3 panic=-1 i8042.noaux i8042.nomux i8042.nopnp i8042.nokbd " +
  "cryptomgr.notests tsc=reliable no_timer_check mitigations=off";

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}

/** Everything that decides the image's bytes; the build is skipped when this has not changed. */
async function inputsKey(
  layout: ImageLayout,
  kernel: string,
  tools: Record<string, string>,
): Promise<string> {
  const parts: string[] = [
    `schema ${IMAGE_SCHEMA}`,
    `layout ${layout}`,
    `kernel ${kernel}`,
    `slots ${SANDBOX_SLOTS}`,
  ];
  for (const [name, path] of Object.entries(tools)) parts.push(`${name} ${await sha256File(path)}`);
  const sources = [
    ...listFiles(join(IMAGES_DIR, "guest")),
    ...listFiles(join(IMAGES_DIR, "agent")),
    ...listFiles(join(IMAGES_DIR, "builder")),
    join(REPO_DIR, "main", "vm", "protocol.ts"),
    join(REPO_DIR, "main", "domain", "tasks", "interpreter-variables.ts"),
    join(REPO_DIR, "main", "domain", "tasks", "runtime-ids.ts"),
    join(REPO_DIR, "main", "vm", "image-manifest.ts"),
  ];
  for (const f of sources) parts.push(`${relative(REPO_DIR, f)} ${sha256(readFileSync(f))}`);
  return sha256(parts.join("\n"));
}

async function bundleAgent(dest: string): Promise<void> {
  mkdirSync(join(dest, "runtime"), { recursive: true });
  const common = {
    bundle: true,
    platform: "node" as const,
    format: "esm" as const,
    target: "node20",
    legalComments: "none" as const,
    logLevel: "error" as const,
  };
  await esbuild({
    ...common,
    entryPoints: [join(IMAGES_DIR, "agent", "agent.ts")],
    outfile: join(dest, "agent.mjs"),
  });
  await esbuild({
    ...common,
    entryPoints: [join(IMAGES_DIR, "agent", "runtime-node.ts")],
    outfile: join(dest, "runtime", "node.mjs"),
  });
  copyFileSync(join(IMAGES_DIR, "agent", "runtime-python.py"), join(dest, "runtime", "python.py"));
}

function makeCpio(srcDir: string, outFile: string): void {
  // Sorted names and fixed owners so the same tree always gives the same bytes.
  run("sh", [
    "-c",
    `cd "${srcDir}" && find . -print0 | LC_ALL=C sort -z | cpio --null --quiet -o -H newc -R 0:0 --reproducible | gzip -n -6 > "${outFile}"`,
  ]);
}

/** The inputs key a build would produce now, to tell whether a built image is current. */
export async function currentInputsKey(layout: ImageLayout): Promise<string> {
  const kernel = resolveKernelPackage();
  return inputsKey(layout, `${kernel.pkg}=${kernel.version}`, {
    busybox: requireStaticBusybox(),
    python: "/usr/bin/python3",
  });
}

/** How a counted step of the build is printed: `[3/8] fetching kernel … (1.2 s)`. */
export function stepLine(n: number, of: number, message: string, elapsedMs: number): string {
  return `[${n}/${of}] ${message} (${(elapsedMs / 1000).toFixed(1)} s)`;
}

/** The step a printed line announces, or null for any other line of the build. */
export function parseStepLine(line: string): { n: number; of: number; message: string } | null {
  const m = /^\[(\d+)\/(\d+)\] (.*) \(\d+\.\d s\)$/.exec(line);
  return m ? { n: Number(m[1]), of: Number(m[2]), message: m[3]! } : null;
}

export async function buildImage(opts: BuildOptions = {}): Promise<ImageManifest> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const layout = opts.layout ?? "rootfs";
  const outDir = opts.outDir ?? join(IMAGES_DIR, "out");
  const cacheDir = opts.cacheDir ?? join(IMAGES_DIR, "cache");
  const steps = 8;
  let step = 0;
  const started = Date.now();
  const progress = (msg: string): void => {
    log(stepLine(++step, steps, msg, Date.now() - started));
    opts.onStep?.(step, steps, msg);
  };

  progress("checking tools");
  for (const t of ["cpio", "gzip", "mksquashfs", "gcc", "dpkg", "apt-get"]) requireTool(t);
  const busybox = requireStaticBusybox();
  const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : null;
  if (!python)
    throw new BuildError(
      "TOOL_MISSING",
      "Debian's python3 is needed for the guest: apt-get install -y python3",
    );

  progress("resolving the kernel package");
  const kernel = resolveKernelPackage();
  const key = await inputsKey(layout, `${kernel.pkg}=${kernel.version}`, { busybox, python });
  const previous = loadManifest(outDir);
  if (!opts.force && previous && previous.inputsKey === key && damagedFiles(previous, outDir).length === 0) {
    log(`image is current (${previous.layout}, kernel ${previous.kernel.release}); nothing to rebuild`);
    return previous;
  }

  mkdirSync(cacheDir, { recursive: true });
  progress(`fetching kernel ${kernel.pkg}`);
  const kernelDir = fetchKernel(kernel, cacheDir, log);
  const modules = guestModules(kernelDir, kernel.release);
  log(`modules: ${modules.map((m) => m.name).join(" ")}`);

  progress("fetching the Node.js runtimes");
  const nodes = fetchNodeBuilds(cacheDir, log);

  progress("bundling the agent and compiling guestctl");
  const work = join(cacheDir, "work");
  rmSync(work, { recursive: true, force: true });
  const agentDir = join(work, "agent");
  await bundleAgent(agentDir);
  mkdirSync(join(agentDir, "bin"), { recursive: true });
  run("gcc", [
    "-static",
    "-Os",
    "-Wall",
    "-o",
    join(agentDir, "bin", "guestctl"),
    join(IMAGES_DIR, "guest", "guestctl.c"),
  ]);

  progress("assembling the root tree");
  const root = join(work, "root");
  assembleRoot(root, { busybox, nodes, python, agentDir, guestDir: join(IMAGES_DIR, "guest") }, log);

  progress(
    layout === "rootfs"
      ? "packing the initramfs and the squashfs root"
      : "packing everything into the initramfs",
  );
  const initDir = layout === "rootfs" ? join(work, "initramfs") : root;
  mkdirSync(join(initDir, "modules"), { recursive: true });
  mkdirSync(join(initDir, "bin"), { recursive: true });
  copyFileSync(busybox, join(initDir, "bin", "busybox"));
  copyFileSync(join(IMAGES_DIR, "guest", "init"), join(initDir, "init"));
  run("chmod", ["755", join(initDir, "init"), join(initDir, "bin", "busybox")]);
  for (const m of modules) copyFileSync(m.path, join(initDir, "modules", `${m.name}.ko`));
  writeFileSync(join(initDir, "modules", "order"), `${modules.map((m) => m.name).join("\n")}\n`);

  mkdirSync(outDir, { recursive: true });
  const staged = (name: string): string => join(outDir, `.${name}.new`);
  makeCpio(initDir, staged("initrd.img"));
  if (layout === "rootfs") {
    run("mksquashfs", [
      root,
      staged("root.squashfs"),
      "-comp",
      "lz4",
      "-noappend",
      "-all-root",
      "-no-progress",
      "-quiet",
      "-mkfs-time",
      "0",
      "-all-time",
      "0",
    ]);
  }
  copyFileSync(join(kernelDir, "boot", `vmlinuz-${kernel.release}`), staged("vmlinuz"));

  progress("writing the manifest");
  const names = layout === "rootfs" ? ["vmlinuz", "initrd.img", "root.squashfs"] : ["vmlinuz", "initrd.img"];
  const files: ImageManifest["files"] = {};
  for (const name of names) {
    renameSync(staged(name), join(outDir, name));
    const p = join(outDir, name);
    files[name] = { path: name, size: statSync(p).size, sha256: await sha256File(p) };
  }
  if (layout === "initramfs") rmSync(join(outDir, "root.squashfs"), { force: true });
  const manifest: ImageManifest = {
    schema: IMAGE_SCHEMA,
    inputsKey: key,
    builtAt: new Date().toISOString(),
    layout,
    cmdline:
      layout === "rootfs"
        ? `${BASE_CMDLINE} hearth.root=vda`
        : `${BASE_CMDLINE} rootfstype=ramfs hearth.root=initramfs`,
    sandboxSlots: SANDBOX_SLOTS,
    kernel: { ...kernel, modules: modules.map((m) => m.name) },
    versions: {
      node: run(nodes.get(DEFAULT_NODE_MAJOR)!, ["--version"]).trim(),
      nodeRuntimes: Object.fromEntries(
        [...nodes].map(([major, binary]) => [`nodejs${major}.x`, run(binary, ["--version"]).trim()]),
      ),
      python: run(python, ["--version"]).trim(),
      busybox: (run(busybox, ["--help"]).split("\n")[0] ?? "").trim(),
    },
    files,
  };
  const tmp = join(outDir, ".manifest.json.new");
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(tmp, join(outDir, "manifest.json"));
  const total = Object.values(files).reduce((s, f) => s + f.size, 0);
  log(
    `image built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${(total / 1048576).toFixed(1)} MiB in ${outDir}`,
  );
  rmSync(work, { recursive: true, force: true });
  return manifest;
}
