// The composition root: builds the VM driver and pool (and, as they arrive, the store and the engine) from config.
import { join } from "node:path";
import { chooseAccel } from "./vm/accel-probe.ts";
import type { Accel } from "./vm/domain-xml.ts";
import {
  bootFiles,
  imageDir as defaultImageDir,
  loadManifest,
  type ImageManifest,
} from "./vm/image-manifest.ts";
import { LibvirtDriver, type VmDriver } from "./vm/libvirt-driver.ts";
import { VmPool } from "./vm/pool.ts";

export interface HostOptions {
  dataDir: string;
  imageDir?: string;
  driver?: VmDriver;
  /** Ready spare VMs per profile. */
  warm?: number;
  maxVmsPerProfile?: number;
}

export class Host {
  private constructor(
    readonly dataDir: string,
    readonly manifest: ImageManifest,
    readonly accel: Accel,
    readonly driver: VmDriver,
    readonly pool: VmPool,
    readonly removedAtStart: string[],
  ) {}

  static async start(o: HostOptions): Promise<Host> {
    const dir = o.imageDir ?? defaultImageDir();
    const manifest = loadManifest(dir);
    if (!manifest)
      throw new Error(`IMAGE_NOT_BUILT: no guest image in ${dir}; build it with "npm run image"`);
    const { accel } = await chooseAccel(bootFiles(manifest, dir));
    const driver = o.driver ?? new LibvirtDriver();
    const pool = new VmPool({
      driver,
      manifest,
      imageDir: dir,
      accel,
      dataDir: join(o.dataDir, "vm"),
      warm: o.warm ?? 1,
      maxPerProfile: o.maxVmsPerProfile ?? 4,
    });
    const removed = await pool.start();
    return new Host(o.dataDir, manifest, accel, driver, pool, removed);
  }

  /** Destroys every VM this host started; called on shutdown. */
  async close(): Promise<void> {
    await this.pool.close();
    await this.driver.close();
  }
}
