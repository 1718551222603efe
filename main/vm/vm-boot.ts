// Boots one VM through a driver and connects to its agent: the unit the pool is built from.
import { randomBytes, randomUUID } from "node:crypto";
import { chmodSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { domainXml, escapeXml, metadataElement, type Accel, type VmMetadata } from "./domain-xml.ts";
import { GuestSession } from "./guest-session.ts";
import { bootFiles, DEFAULT_VM_MEMORY_MIB, imageDir, type ImageManifest } from "./image-manifest.ts";
import type { VmDriver } from "./libvirt-driver.ts";
import { cloneSaveImage, replaceElement } from "./save-image.ts";

export interface BootOptions {
  /** Identifies the Hearth host in the VM's metadata. */
  host: string;
  profile: string;
  accel: Accel;
  manifest: ImageManifest;
  logDir: string;
  imageDir?: string;
  memoryMiB?: number;
  vcpus?: number;
  readyTimeoutMs?: number;
  /** Chosen by the caller when it must know the VM's name before the boot ends. */
  vmId?: string;
}

export interface BootedVm {
  name: string;
  vmId: string;
  session: GuestSession;
  consoleLog: string;
  /** Wall time of the driver's create call. */
  createMs: number;
  /** Wall time from asking for the VM to the agent's ready frame (after a restore: and the clock/entropy sync). */
  readyMs: number;
  /** Wall time of the driver's restore call, when the VM came from a saved image. */
  restoreMs?: number;
}

const PROFILE_RE = /^[a-z0-9][a-z0-9_-]{0,30}$/;
/**
 * Folders the pool makes in the data directory (console logs, restore copies, templates): its owner's alone, as
 * the rest of it. libvirtd (root, or the user itself for qemu:///session) reads and writes the files in them, and
 * QEMU never opens them by path: virtlogd writes the console log, and libvirtd opens a save image and hands QEMU
 * the open file. So libvirt-qemu, which QEMU runs as, needs no way in.
 */
export const VM_DIR_MODE = 0o700;

/** The libvirt name of a profile's VM: `virsh list` shows whose it is. */
export function vmName(profile: string, vmId: string): string {
  return `hearth-${profile}-${vmId}`;
}

export function newVmId(): string {
  return randomBytes(4).toString("hex");
}

function newIdentity(
  profile: string,
  logDir: string,
  id?: string,
): { vmId: string; name: string; consoleLog: string } {
  if (!PROFILE_RE.test(profile)) {
    throw new Error(
      `INVALID_PROFILE: "${profile}" must be lowercase letters, digits, dashes and underscores`,
    );
  }
  const vmId = id ?? newVmId();
  const name = vmName(profile, vmId);
  mkdirSync(logDir, { recursive: true, mode: VM_DIR_MODE });
  return { vmId, name, consoleLog: join(logDir, `${name}.console.log`) };
}

export async function bootVm(driver: VmDriver, o: BootOptions): Promise<BootedVm> {
  const { vmId, name, consoleLog } = newIdentity(o.profile, o.logDir, o.vmId);
  const xml = domainXml({
    name,
    accel: o.accel,
    memoryMiB: o.memoryMiB ?? DEFAULT_VM_MEMORY_MIB,
    vcpus: o.vcpus ?? 1,
    boot: bootFiles(o.manifest, o.imageDir ?? imageDir()),
    sandboxSlots: o.manifest.sandboxSlots,
    consoleLog,
    dacLabel: !driver.session,
    metadata: {
      host: o.host,
      profile: o.profile,
      vmId,
      image: o.manifest.inputsKey,
      createdAt: new Date().toISOString(),
    },
  });
  const t0 = performance.now();
  await driver.create(driver.prepareXml ? driver.prepareXml(xml) : xml);
  const createMs = performance.now() - t0;
  try {
    const session = new GuestSession(await driver.channelSockets(name));
    await session.connect(o.readyTimeoutMs ?? 90_000);
    return { name, vmId, session, consoleLog, createMs, readyMs: performance.now() - t0 };
  } catch (err) {
    await driver.destroy(name).catch(() => {});
    throw new Error(
      `VM_BOOT_FAILED: ${name} did not become ready (${(err as Error).message}); see ${consoleLog}`,
      {
        cause: err,
      },
    );
  }
}

export interface RestoreOptions {
  host: string;
  profile: string;
  /** A save image made by saveTemplate. */
  template: string;
  logDir: string;
  /** Where the per-VM copy of the image lives while libvirt reads it. */
  workDir: string;
  image: string;
  readyTimeoutMs?: number;
  vmId?: string;
}

/** The saved domain's XML under a new identity: libvirt restores an image only under the name it was saved with. */
export function cloneXml(xml: string, name: string, consoleLog: string, meta: VmMetadata): string {
  let out = replaceElement(xml, "name", name);
  // A save image from libvirt always has a UUID; a clone must not keep it (one UUID runs once).
  if (/<uuid>/.test(out)) out = replaceElement(out, "uuid", randomUUID());
  const metaRe = /<(\w+):vm\s[^>]*xmlns:\1=["']https:\/\/hearth\.dev\/xmlns\/vm\/1["'][^>]*\/>/;
  if (!metaRe.test(out)) throw new Error("SAVE_IMAGE_XML: the saved domain has no Hearth metadata");
  out = out.replace(metaRe, metadataElement(meta));
  return out.replace(/<log file=(["'])[^"']*\1/g, `<log file='${escapeXml(consoleLog)}'`);
}

/**
 * Restores a VM from a template image under a new name, then gives the guest the host's clock and fresh
 * randomness before anything else: every clone starts from the same memory, RNG state included.
 */
export async function restoreVm(driver: VmDriver, o: RestoreOptions): Promise<BootedVm> {
  const { vmId, name, consoleLog } = newIdentity(o.profile, o.logDir, o.vmId);
  mkdirSync(o.workDir, { recursive: true, mode: VM_DIR_MODE });
  const copy = join(o.workDir, `${name}.save`);
  const t0 = performance.now();
  const meta = {
    host: o.host,
    profile: o.profile,
    vmId,
    image: o.image,
    createdAt: new Date().toISOString(),
  };
  try {
    cloneSaveImage(o.template, copy, (xml) => {
      const clone = cloneXml(xml, name, consoleLog, meta);
      return driver.prepareXml ? driver.prepareXml(clone) : clone;
    });
    const r0 = performance.now();
    await driver.restore(copy);
    const restoreMs = performance.now() - r0;
    rmSync(copy, { force: true });
    try {
      const session = new GuestSession(await driver.channelSockets(name));
      await session.connect(o.readyTimeoutMs ?? 30_000);
      await session.sync();
      return {
        name,
        vmId,
        session,
        consoleLog,
        createMs: restoreMs,
        restoreMs,
        readyMs: performance.now() - t0,
      };
    } catch (err) {
      await driver.destroy(name).catch(() => {});
      throw err;
    }
  } catch (err) {
    rmSync(copy, { force: true });
    throw new Error(`VM_RESTORE_FAILED: ${name} (${(err as Error).message})`, { cause: err });
  }
}

/** Boots a VM, lets it settle and saves it as the template every later VM of this image is restored from. */
export async function saveTemplate(
  driver: VmDriver,
  o: BootOptions,
  file: string,
): Promise<{ bootMs: number; saveMs: number }> {
  const vm = await bootVm(driver, { ...o, profile: "template" });
  // Hang up first: the clone's agent must see a fresh host connection after the restore.
  vm.session.close();
  await new Promise((r) => setTimeout(r, 200));
  mkdirSync(join(file, ".."), { recursive: true, mode: VM_DIR_MODE });
  const tmp = `${file}.partial`;
  const t0 = performance.now();
  try {
    await driver.save(vm.name, tmp);
  } catch (err) {
    await driver.destroy(vm.name).catch(() => {});
    rmSync(tmp, { force: true });
    throw err;
  }
  const saveMs = performance.now() - t0;
  renameSync(tmp, file);
  // libvirt makes the image 0600 today; held to it here, since it is a guest's whole memory.
  chmodSync(file, 0o600);
  return { bootMs: vm.readyMs, saveMs };
}
