// A pool and scheduler over the fake driver, for unit tests of scheduling rules and of what is reported about them.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SandboxScheduler, type SchedulerOptions } from "../../main/invoke/sandbox-scheduler.ts";
import type { ImageManifest } from "../../main/vm/image-manifest.ts";
import { VmPool, type PoolOptions } from "../../main/vm/pool.ts";
import { FakeDriver } from "./fake-driver.ts";

/** An image the fake driver "boots": two sandbox slots per VM, no files behind it. */
export const FAKE_MANIFEST = {
  schema: 1,
  inputsKey: "e".repeat(64),
  layout: "rootfs",
  cmdline: "x",
  sandboxSlots: 2,
  files: { vmlinuz: { path: "v" }, "initrd.img": { path: "i" }, "root.squashfs": { path: "r" } },
} as unknown as ImageManifest;

export interface FakeStackOptions {
  delays?: ConstructorParameters<typeof FakeDriver>[0];
  warm?: number;
  /** The pool's folder; a fresh temporary one by default. */
  dataDir?: string;
  scheduler?: Partial<SchedulerOptions>;
  pool?: Partial<PoolOptions>;
}

export function fakeSchedulerStack(o: FakeStackOptions = {}) {
  const driver = new FakeDriver(o.delays ?? { loadDelayMs: 30, invokeDelayMs: 20 });
  const pool = new VmPool({
    driver,
    manifest: FAKE_MANIFEST,
    accel: "tcg",
    dataDir: o.dataDir ?? mkdtempSync(join(tmpdir(), "hearth-sched-")),
    imageDir: "/x",
    refill: "boot",
    warm: o.warm ?? 1,
    ...o.pool,
  });
  const scheduler = new SandboxScheduler({ pool, ...o.scheduler });
  const close = async (): Promise<void> => {
    scheduler.close();
    await pool.close();
    await driver.close();
  };
  return { driver, pool, scheduler, close };
}
