// The VM driver on libvirt, through the @unraid/libvirt N-API binding: create, inspect, list and destroy domains.
import * as binding from "@unraid/libvirt";
import { readdirSync, readFileSync } from "node:fs";
import { channelSockets, parseMetadata, type VmMetadata } from "./domain-xml.ts";

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

  constructor(readonly uri: string = defaultLibvirtUri()) {}

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

  /** Checks the connection answers; returns the host name libvirt reports. */
  async hostname(): Promise<string> {
    return (await this.connect()).connectGetHostname();
  }

  async create(xml: string): Promise<string> {
    const hv = await this.connect();
    try {
      const dom = await hv.domainCreateXML(xml);
      return await hv.domainGetName(dom);
    } catch (err) {
      throw new LibvirtError("VM_CREATE_FAILED", (err as Error).message);
    }
  }

  private async lookup(name: string): Promise<Domain> {
    const hv = await this.connect();
    try {
      return await hv.domainLookupByName(name);
    } catch (err) {
      throw new LibvirtError("VM_NOT_FOUND", `no domain "${name}" on ${this.uri}: ${(err as Error).message}`);
    }
  }

  async channelSockets(name: string): Promise<Map<string, string>> {
    const hv = await this.connect();
    return channelSockets(await hv.domainGetXMLDesc(await this.lookup(name)));
  }

  async destroy(name: string): Promise<void> {
    const hv = await this.connect();
    let dom: Domain;
    try {
      dom = await hv.domainLookupByName(name);
    } catch {
      return; // already gone
    }
    try {
      await hv.domainDestroy(dom);
    } catch (err) {
      if (!/not running|no domain/i.test((err as Error).message)) {
        throw new LibvirtError("VM_DESTROY_FAILED", `${name}: ${(err as Error).message}`);
      }
    }
  }

  async list(): Promise<DomainSummary[]> {
    const hv = await this.connect();
    const out: DomainSummary[] = [];
    for (const dom of await hv.connectListAllDomains()) {
      try {
        const name = await hv.domainGetName(dom);
        const info = await hv.domainGetInfo(dom);
        const metadata = parseMetadata(await hv.domainGetXMLDesc(dom));
        out.push({ name, running: info.state === lib.DomainState.RUNNING, metadata });
      } catch {
        // vanished while listing
      }
    }
    return out;
  }

  async save(name: string, file: string): Promise<void> {
    const hv = await this.connect();
    try {
      await hv.domainSave(await this.lookup(name), file);
    } catch (err) {
      throw new LibvirtError("VM_SAVE_FAILED", `${name}: ${(err as Error).message}`);
    }
  }

  async restore(file: string): Promise<void> {
    const hv = await this.connect();
    try {
      await hv.domainRestore(file);
    } catch (err) {
      throw new LibvirtError("VM_RESTORE_FAILED", `${file}: ${(err as Error).message}`);
    }
  }

  async pid(name: string): Promise<number | null> {
    if (!/^qemu:\/\/\/(system|session)$/.test(this.uri)) return null;
    return findQemuPid(name);
  }

  async close(): Promise<void> {
    const hv = this.hv;
    this.hv = null;
    this.opening = null;
    if (hv) await hv.connectClose().catch(() => {});
  }
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
