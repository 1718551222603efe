// The VM driver on libvirt, through the @unraid/libvirt N-API binding: create, inspect, list and destroy domains.
import * as binding from "@unraid/libvirt";
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

  async close(): Promise<void> {
    const hv = this.hv;
    this.hv = null;
    this.opening = null;
    if (hv) await hv.connectClose().catch(() => {});
  }
}
