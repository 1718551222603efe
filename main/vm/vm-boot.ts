// Boots one VM through a driver and connects to its agent: the unit the pool is built from.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { domainXml, type Accel } from "./domain-xml.ts";
import { GuestSession } from "./guest-session.ts";
import { bootFiles, imageDir, type ImageManifest } from "./image-manifest.ts";
import type { VmDriver } from "./libvirt-driver.ts";

export interface BootOptions {
  profile: string;
  accel: Accel;
  manifest: ImageManifest;
  logDir: string;
  imageDir?: string;
  memoryMiB?: number;
  vcpus?: number;
  readyTimeoutMs?: number;
}

export interface BootedVm {
  name: string;
  vmId: string;
  session: GuestSession;
  consoleLog: string;
  /** Wall time of the driver's create call. */
  createMs: number;
  /** Wall time from asking for the VM to the agent's ready frame. */
  readyMs: number;
}

const PROFILE_RE = /^[a-z0-9][a-z0-9-]{0,30}$/;

export async function bootVm(driver: VmDriver, o: BootOptions): Promise<BootedVm> {
  if (!PROFILE_RE.test(o.profile))
    throw new Error(`INVALID_PROFILE: "${o.profile}" must be lowercase letters, digits and dashes`);
  const vmId = randomBytes(4).toString("hex");
  const name = `hearth-${o.profile}-${vmId}`;
  mkdirSync(o.logDir, { recursive: true });
  const consoleLog = join(o.logDir, `${name}.console.log`);
  const xml = domainXml({
    name,
    accel: o.accel,
    memoryMiB: o.memoryMiB ?? 256,
    vcpus: o.vcpus ?? 1,
    boot: bootFiles(o.manifest, o.imageDir ?? imageDir()),
    sandboxSlots: o.manifest.sandboxSlots,
    consoleLog,
    metadata: { profile: o.profile, vmId, image: o.manifest.inputsKey, createdAt: new Date().toISOString() },
  });
  const t0 = performance.now();
  await driver.create(xml);
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
