// Assembles the guest's root tree: busybox, each Node.js major and python3 with the libraries they link, and the agent.
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { BuildError, requireTool, run } from "./tools.ts";
import { DEFAULT_NODE_MAJOR, guestNodePath, type NodeMajor } from "../../main/domain/tasks/runtime-ids.ts";

export interface RootInputs {
  busybox: string;
  /** Each Node.js major's binary (vm-images/builder/node-runtimes.ts); the default one also runs the agent. */
  nodes: Map<NodeMajor, string>;
  python: string;
  /** Folder with agent.mjs, runtime/node.mjs, runtime/python.py, bin/guestctl. */
  agentDir: string;
  /** vm-images/guest: inittab, sysinit, agent launcher. */
  guestDir: string;
}

/** Parts of the python stdlib a task runtime never needs; leaving them out keeps the image small. */
const PYTHON_SKIP = new Set([
  "test",
  "idlelib",
  "tkinter",
  "turtledemo",
  "ensurepip",
  "lib2to3",
  "pydoc_data",
  "site-packages",
  "dist-packages",
  "venv",
]);

/** Libraries a binary links, as ldd resolves them on this host. */
function linkedLibraries(binary: string): string[] {
  const out = run("ldd", [binary]);
  const libs: string[] = [];
  for (const line of out.split("\n")) {
    const arrow = /=>\s+(\/\S+)/.exec(line);
    const bare = /^\s+(\/\S+)\s+\(/.exec(line);
    const p = arrow?.[1] ?? bare?.[1];
    if (p) libs.push(p);
  }
  return libs;
}

/** Copies a library to its merged-/usr path in the guest, keeping the name the binary asks for. */
function copyLibrary(root: string, lib: string, copied: Set<string>): void {
  const usrPath = lib.replace(/^\/lib64\//, "/usr/lib64/").replace(/^\/lib\//, "/usr/lib/");
  if (copied.has(usrPath)) return;
  copied.add(usrPath);
  const dest = join(root, usrPath);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(realpathSync(lib), dest);
  chmodSync(dest, 0o755);
}

function copyBinaryWithLibraries(root: string, src: string, destRel: string, copied: Set<string>): void {
  const dest = join(root, destRel);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(realpathSync(src), dest);
  chmodSync(dest, 0o755);
  for (const lib of linkedLibraries(src)) copyLibrary(root, lib, copied);
}

export function assembleRoot(root: string, inputs: RootInputs, log: (msg: string) => void): void {
  requireTool("ldd");
  requireTool("ldconfig");
  for (const d of [
    "bin",
    "sbin",
    "usr/bin",
    "usr/lib",
    "usr/lib64",
    "etc",
    "proc",
    "sys",
    "dev",
    "tmp",
    "run",
    "root",
  ]) {
    mkdirSync(join(root, d), { recursive: true });
  }
  mkdirSync(join(root, "var", "sandboxes"), { recursive: true });
  symlinkSync("usr/lib", join(root, "lib"));
  symlinkSync("usr/lib64", join(root, "lib64"));

  log("busybox and its applets");
  copyFileSync(inputs.busybox, join(root, "bin", "busybox"));
  chmodSync(join(root, "bin", "busybox"), 0o755);
  const applets = run(inputs.busybox, ["--list"]).split("\n").filter(Boolean);
  for (const applet of applets) {
    if (applet === "busybox") continue;
    const link = join(root, "bin", applet);
    if (!existsSync(link)) symlinkSync("busybox", link);
  }
  symlinkSync("../bin/busybox", join(root, "sbin", "init"));

  const copied = new Set<string>();
  const nodeVersions: Record<string, string> = {};
  for (const [major, binary] of inputs.nodes) {
    const version = run(binary, ["--version"]).trim();
    nodeVersions[String(major)] = version;
    log(`node ${version} (nodejs${major}.x) from ${binary}`);
    copyBinaryWithLibraries(root, binary, guestNodePath(major).slice(1), copied);
  }
  const agentNode = inputs.nodes.get(DEFAULT_NODE_MAJOR);
  if (!agentNode) throw new BuildError("ROOT_INCOMPLETE", `no Node.js ${DEFAULT_NODE_MAJOR} for the agent`);

  const pyVersion = run(inputs.python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).trim();
  const stdlib = `/usr/lib/python${pyVersion}`;
  if (!existsSync(join(stdlib, "os.py"))) {
    throw new BuildError(
      "PYTHON_STDLIB_MISSING",
      `${inputs.python} has no standard library at ${stdlib}; install Debian's python3 (apt-get install -y python3)`,
    );
  }
  log(`python ${pyVersion} from ${inputs.python} with ${stdlib}`);
  copyBinaryWithLibraries(root, inputs.python, `usr/bin/python${pyVersion}`, copied);
  symlinkSync(`python${pyVersion}`, join(root, "usr", "bin", "python3"));
  cpSync(stdlib, join(root, stdlib), {
    recursive: true,
    dereference: true,
    filter: (src) => !PYTHON_SKIP.has(basename(src)),
  });
  const dynload = join(stdlib, "lib-dynload");
  for (const ext of run("sh", ["-c", `ls ${dynload}/*.so`])
    .split("\n")
    .filter(Boolean)) {
    for (const lib of linkedLibraries(ext)) copyLibrary(root, lib, copied);
  }

  log("agent, runtimes and init scripts");
  cpSync(inputs.agentDir, join(root, "opt", "hearth"), { recursive: true });
  mkdirSync(join(root, "opt", "hearth", "bin"), { recursive: true });
  for (const script of ["sysinit", "agent"]) {
    copyFileSync(join(inputs.guestDir, script), join(root, "opt", "hearth", "bin", script));
    chmodSync(join(root, "opt", "hearth", "bin", script), 0o755);
  }
  copyFileSync(join(inputs.guestDir, "inittab"), join(root, "etc", "inittab"));
  // What the agent checks a task's runtime against (vm-images/agent/guest-runtimes.ts).
  writeFileSync(
    join(root, "opt", "hearth", "runtimes.json"),
    `${JSON.stringify({ node: nodeVersions, python: pyVersion, provided: true })}\n`,
  );

  // Written at boot (sysinit) and by the agent as loads take new uids; the root image is read-only.
  for (const name of ["passwd", "group"])
    symlinkSync(`/run/hearth-accounts/${name}`, join(root, "etc", name));
  writeFileSync(join(root, "etc", "hosts"), "127.0.0.1 localhost hearth\n");
  writeFileSync(join(root, "etc", "ld.so.conf"), "/usr/lib/x86_64-linux-gnu\n/usr/lib64\n/usr/lib\n");
  // `ldconfig -r` changes root into the tree, which only root may do: anyone else runs it as root of a user
  // namespace of their own (unprivileged, as Debian allows by default).
  if (process.getuid?.() === 0) run("ldconfig", ["-r", root]);
  else run(requireTool("unshare"), ["--user", "--map-root-user", requireTool("ldconfig"), "-r", root]);
  // A sanity check of the copied tree: the guest's linker must find every library node needs.
  const missing = [...inputs.nodes.values()]
    .flatMap(linkedLibraries)
    .filter(
      (l) => !existsSync(join(root, l.replace(/^\/lib64\//, "/usr/lib64/").replace(/^\/lib\//, "/usr/lib/"))),
    );
  if (missing.length)
    throw new BuildError("ROOT_INCOMPLETE", `libraries missing from the root: ${missing.join(", ")}`);
  readFileSync(join(root, "opt", "hearth", "agent.mjs"));
}
