// Builds a Hearth VM's libvirt domain XML from typed options, every value escaped, and reads Hearth's metadata back.
import { CONTROL_PORT, sandboxPortName } from "./protocol.ts";
import type { BootFiles } from "./image-manifest.ts";

export type Accel = "kvm" | "tcg";

export const METADATA_NS = "https://hearth.dev/xmlns/vm/1";

export interface VmMetadata {
  /** Which Hearth host made the VM (a hash of its data directory): a host cleans up only its own leftovers. */
  host: string;
  profile: string;
  vmId: string;
  /** The image manifest's inputsKey: a VM from an older image is drained, not reused. */
  image: string;
  createdAt: string;
}

/**
 * The devices and memory layout of a VM's domain XML. A template saved with one layout cannot be restored into a
 * domain of another, so the template's file name carries it: change it with any device or memory change below.
 */
export const DOMAIN_LAYOUT = 4;

export interface DomainOptions {
  name: string;
  accel: Accel;
  memoryMiB: number;
  vcpus: number;
  boot: BootFiles;
  sandboxSlots: number;
  /** Console output of the guest (kernel and agent), one file per VM: virtlogd refuses a file already in use. */
  consoleLog: string;
  metadata: VmMetadata;
  /** Host socket paths per channel name; when absent libvirt picks them and the driver reads them back. */
  channelPaths?: Record<string, string>;
  /**
   * False under a user's own libvirt (qemu:///session), which has no DAC driver and refuses a label naming it:
   * QEMU runs as that user already. Default true.
   */
  dacLabel?: boolean;
}

export function escapeXml(value: string | number): string {
  return String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function domainXml(o: DomainOptions): string {
  if (!NAME_RE.test(o.name)) throw new Error(`INVALID_DOMAIN_NAME: "${o.name}" is not a valid VM name`);
  if (!Number.isInteger(o.memoryMiB) || o.memoryMiB < 64)
    throw new Error("INVALID_MEMORY: memoryMiB must be an integer ≥ 64");
  if (!Number.isInteger(o.vcpus) || o.vcpus < 1)
    throw new Error("INVALID_VCPUS: vcpus must be an integer ≥ 1");
  const e = escapeXml;
  const channel = (name: string): string => {
    const path = o.channelPaths?.[name];
    const source = path ? `<source mode='bind' path='${e(path)}'/>` : `<source mode='bind'/>`;
    return `    <channel type='unix'>${source}<target type='virtio' name='${e(name)}'/></channel>`;
  };
  const channels = [CONTROL_PORT];
  for (let slot = 1; slot <= o.sandboxSlots; slot++) channels.push(sandboxPortName(slot));
  const m = o.metadata;
  const disk = o.boot.root
    ? `    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${e(o.boot.root)}'/>` +
      `<target dev='vda' bus='virtio'/><readonly/></disk>`
    : "";
  return [
    `<domain type='${o.accel === "kvm" ? "kvm" : "qemu"}'>`,
    `  <name>${e(o.name)}</name>`,
    `  <metadata>${metadataElement(m)}</metadata>`,
    `  <memory unit='MiB'>${o.memoryMiB}</memory>`,
    // Guest memory in a memfd: what the guest frees (reported by the balloon, or inflated into it) goes back to the
    // host at once by a punched hole, and a restore does not turn every page it reads into a transparent huge page.
    `  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>`,
    `  <vcpu>${o.vcpus}</vcpu>`,
    `  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>${e(o.boot.kernel)}</kernel>` +
      `<initrd>${e(o.boot.initrd)}</initrd><cmdline>${e(o.boot.cmdline)}</cmdline></os>`,
    `  <features><acpi/></features>`,
    o.accel === "kvm" ? `  <cpu mode='host-passthrough'/>` : "",
    `  <clock offset='utc'/>`,
    `  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot><on_crash>destroy</on_crash>`,
    `  <devices>`,
    disk,
    `    <controller type='usb' model='none'/>`,
    `    <controller type='virtio-serial' index='0' ports='${channels.length + 1}'/>`,
    ...channels.map(channel),
    `    <serial type='pty'><log file='${e(o.consoleLog)}' append='off'/><target port='0'/></serial>`,
    `    <console type='pty'><target type='serial' port='0'/></console>`,
    `    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>`,
    // The balloon hands the guest's free memory back: free page reporting for blocks the guest frees, inflation
    // (VmDriver.setMemory) for a squeeze of an idle VM.
    // autodeflate: a guest short of memory takes pages back from an inflated balloon instead of killing a process.
    `    <memballoon model='virtio' autodeflate='on' freePageReporting='on'/>`,
    `  </devices>`,
    // Images are world-readable and shared read-only by every VM: relabelling them per VM would race.
    o.dacLabel === false ? "" : `  <seclabel type='none' model='dac'/>`,
    `</domain>`,
  ]
    .filter(Boolean)
    .join("\n");
}

export function metadataElement(m: VmMetadata): string {
  const e = escapeXml;
  return (
    `<hearth:vm xmlns:hearth='${METADATA_NS}' host='${e(m.host)}' profile='${e(m.profile)}' id='${e(m.vmId)}' ` +
    `image='${e(m.image)}' created='${e(m.createdAt)}'/>`
  );
}

/** Hearth's metadata in a domain's XML, or null for a domain Hearth did not make. */
export function parseMetadata(xml: string): VmMetadata | null {
  const tag = /<(?:\w+:)?vm\s[^>]*xmlns(?::\w+)?=["']https:\/\/hearth\.dev\/xmlns\/vm\/1["'][^>]*>/.exec(
    xml,
  )?.[0];
  if (!tag) return null;
  const attr = (name: string): string =>
    (new RegExp(`\\s${name}=["']([^"']*)["']`).exec(tag)?.[1] ?? "")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, "&");
  return {
    host: attr("host"),
    profile: attr("profile"),
    vmId: attr("id"),
    image: attr("image"),
    createdAt: attr("created"),
  };
}

/** The host-side unix socket of each channel, as the running domain's XML reports it. */
export function channelSockets(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /<channel type=["']unix["']>([\s\S]*?)<\/channel>/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    const body = m[1] ?? "";
    const path = /<source[^>]*\spath=["']([^"']+)["']/.exec(body)?.[1];
    const name = /<target[^>]*\sname=["']([^"']+)["']/.exec(body)?.[1];
    if (path && name) out.set(name, path);
  }
  return out;
}

/**
 * Points every unix channel of a domain's XML (ours, or libvirt's own formatting of it in a save image) at a socket
 * named after the channel in `dir`.
 */
export function withChannelDir(xml: string, dir: string): string {
  return xml.replace(
    /<channel\s+type=(["'])unix\1\s*>([\s\S]*?)<\/channel>/g,
    (whole, _q: string, body: string) => {
      const target = /<target\b[^>]*\bname=(["'])([^"']+)\1/.exec(body);
      if (!target) return whole;
      const source = `<source mode='bind' path='${escapeXml(`${dir}/${target[2]}`)}'/>`;
      const inner = /<source\b[^>]*\/>/.test(body)
        ? body.replace(/<source\b[^>]*\/>/, source)
        : source + body;
      return whole.replace(body, inner);
    },
  );
}
