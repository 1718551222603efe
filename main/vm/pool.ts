// The pre-booted VMs of every profile: kept at a target number of ready spares, refilled in the background,
// watched for health, and never shared between profiles.
import { EventEmitter } from "node:events";
import { createHash } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { cpus, freemem } from "node:os";
import { join, resolve } from "node:path";
import type { Accel } from "./domain-xml.ts";
import type { GuestSession } from "./guest-session.ts";
import { DEFAULT_VM_MEMORY_MIB, imageDir as defaultImageDir, type ImageManifest } from "./image-manifest.ts";
import type { VmDriver } from "./libvirt-driver.ts";
import {
  bootVm,
  newVmId,
  restoreVm,
  saveTemplate,
  vmName,
  type BootedVm,
  type BootOptions,
} from "./vm-boot.ts";
import { canTransition, VmStateError, type VmState } from "./vm-state.ts";

export interface PoolOptions {
  driver: VmDriver;
  manifest: ImageManifest;
  imageDir?: string;
  accel: Accel;
  /** Templates, console logs and scratch copies of save images live here. */
  dataDir: string;
  /** Ready spare VMs kept per profile. */
  warm?: number;
  maxPerProfile?: number;
  /** Boots (and restores) running at once across all profiles; each one keeps a core busy under TCG. */
  maxConcurrentBoots?: number;
  memoryMiB?: number;
  /** "auto": restore clones of a saved template, booting only when that fails; "boot": always boot. */
  refill?: "auto" | "boot";
  healthIntervalMs?: number;
  pingTimeoutMs?: number;
  bootTimeoutMs?: number;
}

export interface VmInfo {
  id: string;
  name: string;
  profile: string;
  state: VmState;
  origin: "boot" | "restore";
  createdAt: number;
  /** Wall time from asking for the VM to its agent being ready (after a restore: synced too). */
  readyMs?: number;
  restoreMs?: number;
  reason?: string;
}

/** How far one profile's pool is from its spares: shown as warm-up progress. */
export interface PoolWarmth {
  profile: string;
  /** Spare VMs the pool is bringing up: its warm size, or more while requests wait for one. */
  target: number;
  ready: number;
  booting: number;
  busy: number;
}

export interface VmStateChange {
  vm: VmInfo;
  from: VmState | null;
  to: VmState;
  reason?: string;
}

export interface PoolEvents {
  "vm-state": [VmStateChange];
  template: [
    {
      state: "building" | "ready" | "failed";
      file: string;
      bootMs?: number;
      saveMs?: number;
      error?: string;
    },
  ];
  problem: [{ profile?: string; message: string }];
}

export class PoolError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** One VM of one profile, for its whole life. */
export class PooledVm {
  state: VmState = "booting";
  session: GuestSession | null = null;
  origin: "boot" | "restore" = "boot";
  readyMs?: number;
  restoreMs?: number;
  reason?: string;
  readonly createdAt = Date.now();

  constructor(
    readonly id: string,
    readonly name: string,
    readonly profile: string,
  ) {}

  info(): VmInfo {
    return {
      id: this.id,
      name: this.name,
      profile: this.profile,
      state: this.state,
      origin: this.origin,
      createdAt: this.createdAt,
      ...(this.readyMs !== undefined ? { readyMs: Math.round(this.readyMs) } : {}),
      ...(this.restoreMs !== undefined ? { restoreMs: Math.round(this.restoreMs) } : {}),
      ...(this.reason ? { reason: this.reason } : {}),
    };
  }
}

interface Waiter {
  resolve: (vm: PooledVm) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const RESERVED_PROFILES = new Set(["template"]);

export function hostIdFor(dataDir: string): string {
  return createHash("sha256").update(resolve(dataDir)).digest("hex").slice(0, 12);
}

export class VmPool extends EventEmitter<PoolEvents> {
  readonly hostId: string;
  private readonly o: Required<Omit<PoolOptions, "imageDir">> & { imageDir: string };
  private readonly vms = new Map<string, PooledVm>();
  private readonly profiles = new Set<string>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly backoff = new Map<string, { failures: number; until: number }>();
  private readonly lastFailure = new Map<string, string>();
  private bootsRunning = 0;
  private readonly bootSlots: (() => void)[] = [];
  private templateState: "none" | "building" | "ready" | "broken" = "none";
  private templateBuild: Promise<string | null> | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private readonly spawning = new Set<Promise<void>>();
  private closed = false;
  /** Figures for the probe and the UI: the template's boot and save, the last restore. */
  readonly figures: { templateBootMs?: number; templateSaveMs?: number } = {};

  constructor(opts: PoolOptions) {
    super();
    this.o = {
      warm: 1,
      maxPerProfile: 4,
      maxConcurrentBoots: Math.max(1, Math.floor(cpus().length / 2)),
      memoryMiB: DEFAULT_VM_MEMORY_MIB,
      refill: "auto",
      healthIntervalMs: 5000,
      pingTimeoutMs: 3000,
      bootTimeoutMs: 90_000,
      ...opts,
      imageDir: opts.imageDir ?? defaultImageDir(),
    };
    this.hostId = hostIdFor(opts.dataDir);
  }

  get templateFile(): string {
    const m = this.o.manifest;
    return join(
      this.o.dataDir,
      "templates",
      `${m.inputsKey.slice(0, 16)}-${this.o.accel}-${this.o.memoryMiB}m.save`,
    );
  }

  private get logDir(): string {
    return join(this.o.dataDir, "logs", "vms");
  }

  /** Removes VMs an earlier run of this host left behind (a crash skips the shutdown), then starts health checks. */
  async start(): Promise<string[]> {
    const removed: string[] = [];
    for (const d of await this.o.driver.list()) {
      if (d.metadata?.host === this.hostId && !this.vms.has(d.name)) {
        await this.o.driver.destroy(d.name);
        removed.push(d.name);
      }
    }
    this.healthTimer = setInterval(() => void this.checkHealth(), this.o.healthIntervalMs);
    this.healthTimer.unref();
    return removed;
  }

  /** Starts keeping `warm` ready VMs for a profile. */
  ensure(profile: string): void {
    if (RESERVED_PROFILES.has(profile)) throw new PoolError("INVALID_PROFILE", `"${profile}" is reserved`);
    if (this.closed) throw new PoolError("POOL_CLOSED", "the pool is shut down");
    this.profiles.add(profile);
    this.refill(profile);
  }

  /** Takes a ready VM of the profile (ready → busy), booting one when none is spare; refills behind it. */
  acquire(profile: string, timeoutMs = 120_000): Promise<PooledVm> {
    this.ensure(profile);
    const vm = [...this.vms.values()].find((v) => v.profile === profile && v.state === "ready");
    if (vm) {
      this.transition(vm, "busy");
      this.refill(profile);
      return Promise.resolve(vm);
    }
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(profile) ?? [];
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.set(
            profile,
            (this.waiters.get(profile) ?? []).filter((w) => w !== waiter),
          );
          const last = this.lastFailure.get(profile);
          reject(
            new PoolError(
              "NO_VM_AVAILABLE",
              `no VM for profile "${profile}" within ${timeoutMs} ms${last ? `; last failure: ${last}` : ""}`,
            ),
          );
        }, timeoutMs),
      };
      list.push(waiter);
      this.waiters.set(profile, list);
      this.refill(profile);
    });
  }

  /** Gives a busy VM back as a ready spare. */
  release(vm: PooledVm): void {
    if (vm.state !== "busy") return;
    this.transition(vm, "ready");
    this.serveWaiters(vm.profile);
  }

  /** Takes a VM out of service for good (image changed, no longer trusted, pool shrinking). */
  async retire(vm: PooledVm, reason: string): Promise<void> {
    if (vm.state !== "ready" && vm.state !== "busy") return;
    this.transition(vm, "draining", reason);
    await this.destroy(vm);
    this.refill(vm.profile);
  }

  list(profile?: string): VmInfo[] {
    return [...this.vms.values()].filter((v) => !profile || v.profile === profile).map((v) => v.info());
  }

  /** Per kept profile (or just `profile`): target spares against ready, booting and busy VMs. */
  warmth(profile?: string): PoolWarmth[] {
    const kept = profile === undefined ? [...this.profiles] : this.profiles.has(profile) ? [profile] : [];
    return kept.map((p) => {
      const ready = this.count(p, ["ready"]);
      const booting = this.count(p, ["booting"]);
      return {
        profile: p,
        target: Math.max(this.o.warm, ready + booting),
        ready,
        booting,
        busy: this.count(p, ["busy"]),
      };
    });
  }

  get(name: string): PooledVm | undefined {
    return this.vms.get(name);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.healthTimer) clearInterval(this.healthTimer);
    for (const [profile, list] of this.waiters) {
      for (const w of list) {
        clearTimeout(w.timer);
        w.reject(
          new PoolError("POOL_CLOSED", `the pool shut down while profile "${profile}" waited for a VM`),
        );
      }
    }
    this.waiters.clear();
    await Promise.all(
      [...this.vms.values()].map(async (vm) => {
        if (vm.state === "ready" || vm.state === "busy") this.transition(vm, "draining", "shutdown");
        if (vm.state === "draining" || vm.state === "failed") await this.destroy(vm);
      }),
    );
    // VMs still booting finish into the closed pool, which destroys them.
    await Promise.all([...this.spawning]);
  }

  // ---- internals ----

  private transition(vm: PooledVm, to: VmState, reason?: string): void {
    if (!canTransition(vm.state, to)) throw new VmStateError(vm.state, to, vm.name);
    const from = vm.state;
    vm.state = to;
    if (reason) vm.reason = reason;
    if (to === "gone") this.vms.delete(vm.name);
    this.emit("vm-state", { vm: vm.info(), from, to, ...(reason ? { reason } : {}) });
  }

  private count(profile: string, states: VmState[]): number {
    let n = 0;
    for (const v of this.vms.values()) if (v.profile === profile && states.includes(v.state)) n++;
    return n;
  }

  private refill(profile: string): void {
    if (this.closed || !this.profiles.has(profile)) return;
    const b = this.backoff.get(profile);
    if (b && Date.now() < b.until) {
      setTimeout(() => this.refill(profile), b.until - Date.now()).unref();
      return;
    }
    const waiting = this.waiters.get(profile)?.length ?? 0;
    const spare = this.count(profile, ["ready", "booting"]);
    const live = this.count(profile, ["ready", "booting", "busy"]);
    const want = Math.min(this.o.warm + waiting - spare, this.o.maxPerProfile - live);
    for (let i = 0; i < want; i++) {
      const p = this.spawn(profile).finally(() => this.spawning.delete(p));
      this.spawning.add(p);
    }
  }

  private serveWaiters(profile: string): void {
    const list = this.waiters.get(profile);
    while (list?.length) {
      const vm = [...this.vms.values()].find((v) => v.profile === profile && v.state === "ready");
      if (!vm) break;
      const w = list.shift()!;
      clearTimeout(w.timer);
      this.transition(vm, "busy");
      w.resolve(vm);
    }
    this.refill(profile);
  }

  private async bootSlot(): Promise<() => void> {
    if (this.bootsRunning >= this.o.maxConcurrentBoots) {
      await new Promise<void>((r) => this.bootSlots.push(r));
    }
    this.bootsRunning++;
    return () => {
      this.bootsRunning--;
      this.bootSlots.shift()?.();
    };
  }

  private async spawn(profile: string): Promise<void> {
    const id = newVmId();
    const vm = new PooledVm(id, vmName(profile, id), profile);
    this.vms.set(vm.name, vm);
    this.emit("vm-state", { vm: vm.info(), from: null, to: "booting" });
    const done = await this.bootSlot();
    let booted: BootedVm | null = null;
    try {
      if (this.closed) throw new PoolError("POOL_CLOSED", "the pool shut down before the VM started");
      const needMiB = this.o.memoryMiB + 128;
      if (freemem() / 1048576 < needMiB) {
        throw new PoolError(
          "HOST_MEMORY_LOW",
          `${Math.round(freemem() / 1048576)} MiB free, a VM needs about ${needMiB} MiB`,
        );
      }
      booted = await this.startVm(vm);
    } catch (err) {
      vm.reason = (err as Error).message;
    } finally {
      done();
    }
    if (!booted) {
      this.lastFailure.set(profile, vm.reason ?? "unknown");
      this.transition(vm, "failed", vm.reason);
      this.transition(vm, "gone");
      const b = this.backoff.get(profile) ?? { failures: 0, until: 0 };
      b.failures++;
      b.until = Date.now() + Math.min(30_000, 500 * 2 ** b.failures);
      this.backoff.set(profile, b);
      this.emit("problem", { profile, message: `VM ${vm.name} failed to start: ${vm.reason}` });
      this.refill(profile);
      return;
    }
    this.backoff.delete(profile);
    vm.session = booted.session;
    vm.readyMs = booted.readyMs;
    if (booted.restoreMs !== undefined) vm.restoreMs = booted.restoreMs;
    booted.session.once("lost", (reason) => void this.fail(vm, `agent channel lost: ${reason}`));
    if (this.closed) {
      this.transition(vm, "ready");
      this.transition(vm, "draining", "shutdown");
      await this.destroy(vm);
      return;
    }
    this.transition(vm, "ready");
    this.serveWaiters(profile);
  }

  private async startVm(vm: PooledVm): Promise<BootedVm> {
    const template = await this.template();
    if (template) {
      try {
        vm.origin = "restore";
        return await restoreVm(this.o.driver, {
          host: this.hostId,
          profile: vm.profile,
          vmId: vm.id,
          template,
          logDir: this.logDir,
          workDir: join(this.o.dataDir, "run"),
          image: this.o.manifest.inputsKey,
          readyTimeoutMs: 30_000,
        });
      } catch (err) {
        // A template that cannot be restored is rebuilt once; until then VMs boot.
        this.emit("problem", {
          profile: vm.profile,
          message: `restore failed, booting instead: ${(err as Error).message}`,
        });
        this.templateState = "broken";
        rmSync(template, { force: true });
      }
    }
    vm.origin = "boot";
    return bootVm(this.o.driver, { ...this.bootOptions(vm.profile), vmId: vm.id });
  }

  /** How this pool boots a VM (and its template): image, acceleration, memory, logs. */
  private bootOptions(profile: string): BootOptions {
    return {
      host: this.hostId,
      profile,
      accel: this.o.accel,
      manifest: this.o.manifest,
      imageDir: this.o.imageDir,
      logDir: this.logDir,
      memoryMiB: this.o.memoryMiB,
      readyTimeoutMs: this.o.bootTimeoutMs,
    };
  }

  /** The save image VMs are restored from: made once per image, acceleration and memory size, kept across runs. */
  private template(): Promise<string | null> {
    // A template is cloned as a local file: a libvirt on another machine boots every VM instead.
    if (this.o.refill === "boot" || this.templateState === "broken" || !this.o.driver.local)
      return Promise.resolve(null);
    const file = this.templateFile;
    if (this.templateState === "ready" || (this.templateState === "none" && existsSync(file))) {
      this.templateState = "ready";
      return Promise.resolve(file);
    }
    this.templateBuild ??= (async () => {
      this.templateState = "building";
      this.emit("template", { state: "building", file });
      try {
        const r = await saveTemplate(this.o.driver, this.bootOptions("template"), file);
        this.figures.templateBootMs = r.bootMs;
        this.figures.templateSaveMs = r.saveMs;
        this.templateState = "ready";
        this.emit("template", { state: "ready", file, bootMs: r.bootMs, saveMs: r.saveMs });
        return file;
      } catch (err) {
        this.templateState = "broken";
        this.emit("template", { state: "failed", file, error: (err as Error).message });
        return null;
      } finally {
        this.templateBuild = null;
      }
    })();
    return this.templateBuild;
  }

  private async fail(vm: PooledVm, reason: string): Promise<void> {
    if (vm.state === "gone" || vm.state === "failed") return;
    this.lastFailure.set(vm.profile, `${vm.name}: ${reason}`);
    this.transition(vm, "failed", reason);
    await this.destroy(vm);
    this.refill(vm.profile);
  }

  private async destroy(vm: PooledVm): Promise<void> {
    vm.session?.removeAllListeners("lost");
    vm.session?.close();
    try {
      await this.o.driver.destroy(vm.name);
    } catch (err) {
      this.emit("problem", {
        profile: vm.profile,
        message: `could not destroy ${vm.name}: ${(err as Error).message}`,
      });
    }
    if (vm.state !== "gone") this.transition(vm, "gone");
  }

  /** Pings every serving VM; one that does not answer in time is failed and replaced. */
  private async checkHealth(): Promise<void> {
    const serving = [...this.vms.values()].filter((v) => v.state === "ready" || v.state === "busy");
    await Promise.all(
      serving.map(async (vm) => {
        try {
          await Promise.race([
            vm.session!.ping(),
            new Promise((_, reject) =>
              setTimeout(
                () => reject(new Error(`no pong within ${this.o.pingTimeoutMs} ms`)),
                this.o.pingTimeoutMs,
              ),
            ),
          ]);
        } catch (err) {
          await this.fail(vm, `health check failed: ${(err as Error).message}`);
        }
      }),
    );
  }
}
