// A libvirt on another machine reached over SSH (qemu+ssh://): the VMs' files must be there, and their channels,
// unix sockets on that machine, are brought here through SSH forwards of unix sockets.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";

export interface SshTarget {
  user: string | null;
  host: string;
  port: number | null;
  keyfile: string | null;
  /** libvirt's no_verify=1: do not check the host key (a test machine, a first contact). */
  noVerify: boolean;
}

/** The SSH end of a `qemu+ssh://[user@]host[:port]/system?keyfile=…&no_verify=1` URI, or null for a local one. */
export function sshTarget(uri: string): SshTarget | null {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return null;
  }
  if (!u.protocol.endsWith("+ssh:") || !u.hostname) return null;
  return {
    user: u.username ? decodeURIComponent(u.username) : null,
    host: u.hostname,
    port: u.port ? Number(u.port) : null,
    keyfile: u.searchParams.get("keyfile"),
    noVerify: u.searchParams.get("no_verify") === "1",
  };
}

function sshArgs(t: SshTarget): string[] {
  return [
    "-o",
    "BatchMode=yes",
    ...(t.noVerify
      ? ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]
      : []),
    ...(t.port ? ["-p", String(t.port)] : []),
    ...(t.keyfile ? ["-i", t.keyfile] : []),
    t.user ? `${t.user}@${t.host}` : t.host,
  ];
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs a shell command on the remote machine; its stdin can be a local file. */
export async function sshRun(t: SshTarget, command: string, stdinFile?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn("ssh", [...sshArgs(t), command], {
      stdio: [stdinFile ? "pipe" : "ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    p.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    p.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    p.on("error", reject);
    p.on("exit", (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`REMOTE_COMMAND_FAILED: ssh ${t.host} exited ${code}: ${err.trim()}`)),
    );
    if (stdinFile) createReadStream(stdinFile).pipe(p.stdin!);
  });
}

/**
 * Makes sure every file a domain boots from exists on the remote machine at the same path with the same size,
 * copying what is missing, and that the folders its logs go to exist there.
 */
export async function ensureRemoteFiles(t: SshTarget, files: string[], dirs: string[]): Promise<void> {
  const sizes = await sshRun(
    t,
    files.map((f) => `stat -c %s ${quote(f)} 2>/dev/null || echo missing`).join("; ") +
      `; mkdir -p ${dirs.map(quote).join(" ") || "."}`,
  );
  const remote = sizes.trim().split("\n");
  for (const [i, f] of files.entries()) {
    if (remote[i] === String(statSync(f).size)) continue;
    await sshRun(
      t,
      `mkdir -p ${quote(dirname(f))} && cat > ${quote(`${f}.part`)} && mv ${quote(`${f}.part`)} ${quote(f)}`,
      f,
    );
  }
}

/** One SSH process forwarding a VM's channel sockets to local sockets; closed with the VM. */
export class ChannelForward {
  private proc: ChildProcess | null = null;
  readonly local = new Map<string, string>();

  constructor(
    private readonly t: SshTarget,
    private readonly dir: string,
  ) {}

  async open(remote: Map<string, string>, timeoutMs = 15_000): Promise<Map<string, string>> {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const forwards: string[] = [];
    for (const [name, path] of remote) {
      const local = join(this.dir, name);
      this.local.set(name, local);
      forwards.push("-L", `${local}:${path}`);
    }
    this.proc = spawn(
      "ssh",
      [
        "-N",
        "-o",
        "ExitOnForwardFailure=yes",
        "-o",
        "StreamLocalBindUnlink=yes",
        ...forwards,
        ...sshArgs(this.t),
      ],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let err = "";
    this.proc.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    const deadline = Date.now() + timeoutMs;
    while (![...this.local.values()].every((p) => existsSync(p))) {
      if (this.proc.exitCode !== null)
        throw new Error(`CHANNEL_FORWARD_FAILED: ssh exited ${this.proc.exitCode}: ${err.trim()}`);
      if (Date.now() > deadline)
        throw new Error(`CHANNEL_FORWARD_FAILED: no forwarded sockets within ${timeoutMs} ms: ${err.trim()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return new Map(this.local);
  }

  close(): void {
    this.proc?.kill();
    this.proc = null;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** True when `ssh` can be run here at all. */
export function sshAvailable(): boolean {
  return spawnSync("ssh", ["-V"]).status === 0;
}
