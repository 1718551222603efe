// The VM driver on libvirt, through the @unraid/libvirt N-API binding: create, inspect, list and destroy domains.
import * as binding from "@unraid/libvirt";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChannelForward, ensureRemoteFiles, sshTarget, type SshTarget } from "./ssh-remote.ts";
import { channelSockets, parseMetadata, withChannelDir, type VmMetadata } from "./domain-xml.ts";

const execFileAsync = promisify(execFile);

type Lib = typeof binding;
// From ESM the binding has no default export, but its CommonJS build hangs everything off one.
const lib: Lib = ((binding as unknown as { default?: Lib }).default ?? binding) as Lib;
type Hypervisor = InstanceType<Lib["Hypervisor"]>;
type Domain = Awaited<ReturnType<Hypervisor["domainLookupByName"]>>;

export interface DomainSummary {
  name: string;
  running: boolean;
  metadata: VmMetadata | null;
}

export interface VmDriver {
  readonly uri: string;
  /** False for a libvirt on another machine: its files and sockets are not on this one. */
  readonly local: boolean;
  /** A user's own libvirt (`qemu:///session`): QEMU runs as that user, and there is no DAC security driver. */
  readonly session: boolean;
  /** The domain XML as this libvirt must be given it (a new domain's, or a clone's before its restore). */
  prepareXml?(xml: string): string;
  /** Starts a transient domain from its XML and returns its name. */
  create(xml: string): Promise<string>;
  /** Host-side unix sockets of the domain's channels, by channel name. */
  channelSockets(name: string): Promise<Map<string, string>>;
  destroy(name: string): Promise<void>;
  list(): Promise<DomainSummary[]>;
  /** Saves a running domain's memory to a file; the domain is gone afterwards. */
  save(name: string, file: string): Promise<void>;
  /** Starts the domain a save image describes (its name comes from the image). */
  restore(file: string): Promise<void>;
  /** The QEMU process of a domain on this machine, or null when it is remote or gone. */
  pid(name: string): Promise<number | null>;
  /** Sets the domain's CPU weight against other domains (libvirt's cpu_shares: cgroup cpu.shares or cpu.weight). */
  setCpuShares(name: string, shares: number): Promise<void>;
  /**
   * Sets the running domain's balloon target (memory the guest keeps, in KiB): below its size the guest's balloon
   * inflates and the host takes the pages back; at its size the balloon is empty. Absent: the driver cannot.
   */
  setMemory?(name: string, kib: number): Promise<void>;
  close(): Promise<void>;
}

export function defaultLibvirtUri(): string {
  if (process.env.HEARTH_LIBVIRT_URI) return process.env.HEARTH_LIBVIRT_URI;
  return process.getuid?.() === 0 ? "qemu:///system" : "qemu:///session";
}

export class LibvirtError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export class LibvirtDriver implements VmDriver {
  private hv: Hypervisor | null = null;
  private opening: Promise<Hypervisor> | null = null;

  readonly local: boolean;
  readonly session: boolean;
  private readonly ssh: SshTarget | null;
  private readonly forwards = new Map<string, ChannelForward>();
  private readonly remoteFilesChecked = new Set<string>();

  constructor(
    readonly uri: string = defaultLibvirtUri(),
    private readonly forwardDir = join(tmpdir(), `hearth-channels-${process.pid}`),
  ) {
    this.ssh = sshTarget(uri);
    this.local = this.ssh === null && /^[a-z+]+:\/\/\/(system|session)$/.test(uri);
    this.session = /\/session(\?|$)/.test(uri);
  }

  private connect(): Promise<Hypervisor> {
    if (this.hv) return Promise.resolve(this.hv);
    this.opening ??= (async () => {
      const hv = new lib.Hypervisor({ uri: this.uri });
      try {
        await hv.connectOpen();
      } catch (err) {
        this.opening = null;
        throw new LibvirtError(
          "LIBVIRT_UNREACHABLE",
          `cannot connect to ${this.uri} (${(err as Error).message}); is libvirtd running? ` +
            `Start it with "virtlogd -d && libvirtd -d" (or "systemctl start libvirtd")`,
        );
      }
      this.hv = hv;
      return hv;
    })();
    return this.opening;
  }

  /**
   * Runs one libvirt call. A restarted libvirtd leaves the old connection dead for good ("client socket is
   * closed"), while its VMs keep running: the connection is opened again and the call tried once more.
   */
  private async call<T>(fn: (hv: Hypervisor) => Promise<T>): Promise<T> {
    const hv = await this.connect();
    try {
      return await fn(hv);
    } catch (err) {
      if (!connectionLost(err)) throw err;
      if (this.hv === hv) {
        this.hv = null;
        this.opening = null;
        void hv.connectClose().catch(() => {});
      }
      return fn(await this.connect());
    }
  }

  /** Checks the connection answers; returns the host name libvirt reports. */
  async hostname(): Promise<string> {
    return this.call((hv) => hv.connectGetHostname());
  }

  /**
   * Under a session libvirt the channel sockets go in a short private folder of their own: libvirt's default
   * (~/.config/libvirt/qemu/channel/target/domain-N-NAME/CHANNEL) passes the 107 bytes a UNIX socket path may
   * have once the home folder's name is a little long. Named after the VM's id (the name's last part), so a
   * clone's XML keeps the template's length.
   */
  prepareXml(xml: string): string {
    if (!this.session) return xml;
    const name = /<name>([^<]+)<\/name>/.exec(xml)?.[1];
    if (!name) throw new LibvirtError("VM_CREATE_FAILED", "the domain XML has no name");
    const dir = this.socketDir(name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return withChannelDir(xml, dir);
  }

  private socketBase(): string {
    const uid = process.getuid?.() ?? 0;
    const base = join(tmpdir(), `hearth-${uid}`);
    mkdirSync(base, { recursive: true, mode: 0o700 });
    // A folder another user made in the shared temporary folder would let them take the VMs' channels.
    const st = lstatSync(base);
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
      throw new LibvirtError(
        "VM_SOCKET_DIR_UNSAFE",
        `${base} must be a folder of yours that only you can open (it is where VMs' channel sockets go)`,
      );
    }
    return base;
  }

  private socketDir(name: string): string {
    return join(this.socketBase(), name.slice(name.lastIndexOf("-") + 1));
  }

  private removeSocketDir(name: string): void {
    if (this.session) rmSync(this.socketDir(name), { recursive: true, force: true });
  }

  async create(xml: string): Promise<string> {
    await this.connect();
    if (this.ssh) await this.prepareRemote(xml);
    try {
      return await this.call(async (hv) => hv.domainGetName(await hv.domainCreateXML(xml)));
    } catch (err) {
      if (err instanceof LibvirtError) throw err;
      throw new LibvirtError("VM_CREATE_FAILED", (err as Error).message);
    }
  }

  private async lookup(hv: Hypervisor, name: string): Promise<Domain> {
    try {
      return await hv.domainLookupByName(name);
    } catch (err) {
      if (connectionLost(err)) throw err;
      throw new LibvirtError("VM_NOT_FOUND", `no domain "${name}" on ${this.uri}: ${(err as Error).message}`);
    }
  }

  async channelSockets(name: string): Promise<Map<string, string>> {
    const sockets = channelSockets(
      await this.call(async (hv) => hv.domainGetXMLDesc(await this.lookup(hv, name))),
    );
    if (this.local) return sockets;
    if (!this.ssh) {
      throw new LibvirtError(
        "CHANNEL_UNREACHABLE",
        `the VMs' channels on ${this.uri} cannot be reached: use a qemu+ssh:// URI`,
      );
    }
    // The sockets are on the other machine: bring them here through one SSH process per VM.
    this.forwards.get(name)?.close();
    const fwd = new ChannelForward(this.ssh, join(this.forwardDir, name));
    this.forwards.set(name, fwd);
    return fwd.open(sockets);
  }

  /** The files a domain boots from and the folders it logs to must exist on the remote machine first. */
  private async prepareRemote(xml: string): Promise<void> {
    const files = [
      ...[...xml.matchAll(/<(?:kernel|initrd)>([^<]+)<\/(?:kernel|initrd)>/g)].map((m) => m[1]!),
      ...[...xml.matchAll(/<source file='([^']+)'/g)].map((m) => m[1]!),
    ].map(unescapeXml);
    const dirs = [...xml.matchAll(/<log file='([^']+)'/g)].map((m) =>
      unescapeXml(m[1]!).replace(/\/[^/]*$/, ""),
    );
    const key = JSON.stringify([files, dirs]);
    if (this.remoteFilesChecked.has(key)) return;
    await ensureRemoteFiles(this.ssh!, files, [...new Set(dirs)]);
    this.remoteFilesChecked.add(key);
  }

  async destroy(name: string): Promise<void> {
    this.forwards.get(name)?.close();
    this.forwards.delete(name);
    await this.call(async (hv) => {
      let dom: Domain;
      try {
        dom = await hv.domainLookupByName(name);
      } catch (err) {
        // A dead connection is not a domain that is gone: it is retried, so no VM is left running unseen.
        if (connectionLost(err)) throw err;
        return; // already gone
      }
      try {
        await hv.domainDestroy(dom);
      } catch (err) {
        if (connectionLost(err)) throw err;
        if (!/not running|no domain/i.test((err as Error).message)) {
          throw new LibvirtError("VM_DESTROY_FAILED", `${name}: ${(err as Error).message}`);
        }
      }
    });
    this.removeSocketDir(name);
  }

  async list(): Promise<DomainSummary[]> {
    return this.call(async (hv) => {
      const out: DomainSummary[] = [];
      for (const dom of await hv.connectListAllDomains()) {
        try {
          const name = await hv.domainGetName(dom);
          const info = await hv.domainGetInfo(dom);
          const metadata = parseMetadata(await hv.domainGetXMLDesc(dom));
          out.push({ name, running: info.state === lib.DomainState.RUNNING, metadata });
        } catch (err) {
          if (connectionLost(err)) throw err;
          // vanished while listing
        }
      }
      return out;
    });
  }

  async save(name: string, file: string): Promise<void> {
    try {
      await this.call(async (hv) => hv.domainSave(await this.lookup(hv, name), file));
    } catch (err) {
      if (err instanceof LibvirtError && err.code === "LIBVIRT_UNREACHABLE") throw err;
      throw new LibvirtError("VM_SAVE_FAILED", `${name}: ${(err as Error).message}`);
    }
    this.removeSocketDir(name);
  }

  async restore(file: string): Promise<void> {
    try {
      await this.call((hv) => hv.domainRestore(file));
    } catch (err) {
      throw new LibvirtError("VM_RESTORE_FAILED", `${file}: ${(err as Error).message}`);
    }
  }

  async pid(name: string): Promise<number | null> {
    if (!/^qemu:\/\/\/(system|session)$/.test(this.uri)) return null;
    return findQemuPid(name);
  }

  async setCpuShares(name: string, shares: number): Promise<void> {
    // The binding has no scheduler-parameter call; virsh (libvirt-clients, installed with libvirt) has. This runs
    // only when a profile's VM count changes, never per invocation.
    try {
      await execFileAsync(
        "virsh",
        ["-q", "-c", this.uri, "schedinfo", name, "--live", "--set", `cpu_shares=${Math.round(shares)}`],
        { timeout: 10_000 },
      );
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new LibvirtError("VM_CPU_WEIGHT_FAILED", `${name}: ${(e.stderr || e.message).trim()}`);
    }
  }

  async setMemory(name: string, kib: number): Promise<void> {
    // The binding has no balloon call either. Used when a VM goes idle, never per invocation.
    try {
      await execFileAsync(
        "virsh",
        ["-q", "-c", this.uri, "setmem", name, String(Math.round(kib)), "--live"],
        {
          timeout: 10_000,
        },
      );
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new LibvirtError("VM_BALLOON_FAILED", `${name}: ${(e.stderr || e.message).trim()}`);
    }
  }

  async close(): Promise<void> {
    for (const f of this.forwards.values()) f.close();
    this.forwards.clear();
    const hv = this.hv;
    this.hv = null;
    this.opening = null;
    if (hv) await hv.connectClose().catch(() => {});
  }
}

/** Errors that mean the connection to libvirtd is gone (libvirtd stopped or restarted), not that a call failed. */
function connectionLost(err: unknown): boolean {
  return /client socket is closed|Broken pipe|Connection reset by peer|End of file while reading|Cannot (?:write|recv) data/i.test(
    (err as Error)?.message ?? "",
  );
}

/** Finds a local QEMU process by the `-name guest=<name>,` argument libvirt gives it. */
export function findQemuPid(name: string): number | null {
  const needle = `guest=${name},`;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "latin1").split("\0");
      if (argv[0]?.includes("qemu-system") && argv.some((a) => a.startsWith(needle))) return Number(entry);
    } catch {
      // exited while scanning
    }
  }
  return null;
}

function unescapeXml(v: string): string {
  return v
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}
