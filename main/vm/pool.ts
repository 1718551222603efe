// The pre-booted VMs of every profile: kept at a target number of ready spares, refilled in the background,
// watched for health, and never shared between profiles.
import { EventEmitter } from "node:events";
import { createHash } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { cpus, freemem } from "node:os";
import { join, resolve } from "node:path";
import { DOMAIN_LAYOUT, type Accel } from "./domain-xml.ts";
import type { GuestSession } from "./guest-session.ts";
import {
  backoffMs,
  cpuSharesPerVm,
  defaultMaxVms,
  fairShare,
  nextBoot,
  profileToYield,
  spareToReclaim,
  YOUNG_DEATH_MS,
  type ProfileLoad,
  type QueuedBoot,
} from "./host-budget.ts";
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
  /** VMs alive at once across all profiles (booting, ready or busy), shared fairly between them. */
  maxVms?: number;
  /** Boots (and restores) running at once across all profiles; each one keeps a core busy under TCG. */
  maxConcurrentBoots?: number;
  memoryMiB?: number;
  /** "auto": restore clones of a saved template, booting only when that fails; "boot": always boot. */
  refill?: "auto" | "boot";
  healthIntervalMs?: number;
  /**
   * A serving VM untouched for this long is squeezed once (until it is used again): its balloon inflates over the
   * guest's spare memory, which goes back to the host, and deflates again. 0 (the default): never. Needs a driver
   * with setMemory.
   */
  squeezeIdleMs?: number;
  /**
   * A profile whose VMs have all been untouched this long, one of them held (its warm sandboxes serve the next
   * call), gives its spares back until one of its VMs is used again. 0: spares are kept however idle.
   */
  leanIdleMs?: number;
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
  /** Why the profile's last VM failed to start, while none of its VMs is up (the pool keeps trying). */
  failing?: string;
}

export interface VmStateChange {
  vm: VmInfo;
  from: VmState | null;
  to: VmState;
  reason?: string;
}

export interface PoolEvents {
  "vm-state": [VmStateChange];
  /** An idle VM gave its spare memory back: how far the balloon got and how long the squeeze took. */
  squeeze: [{ vm: string; profile: string; guestKeptKb: number; ms: number; interrupted: boolean }];
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
  /**
   * The host is full and a profile under its fair share waits for a VM: whoever holds VMs of `profile` (over its
   * share) should finish what runs on one of them and give it back with release().
   */
  yield: [{ profile: string; for: string }];
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
  /** When it became ready: a VM that dies young counts against its profile's back-off. */
  readyAt?: number;
  /** The CPU weight last given to its QEMU process (libvirt's default until the pool sets one). */
  cpuShares?: number;
  /** Last time it was taken or ran an invocation (see touch). */
  activeAt = Date.now();
  /** When its spare memory was last given back; a VM is squeezed again only after it was used. */
  squeezedAt = 0;
  squeezing = false;
  /** Set while the VM is squeezed: a touch ends the squeeze at once. */
  interruptSqueeze: (() => void) | null = null;
  /** Since when its agent has not answered a ping (performance.now()), while its sandboxes kept answering. */
  agentLateSince: number | null = null;
  /** Set by the pool while the VM's profile is lean: the first touch brings its spares back. */
  wake: (() => void) | null = null;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly profile: string,
  ) {}

  /** Marks the VM as in use: an idle squeeze under way stops and the balloon deflates. Cheap: per invocation. */
  touch(): void {
    this.activeAt = Date.now();
    if (this.interruptSqueeze) this.interruptSqueeze();
    if (this.wake) {
      const wake = this.wake;
      this.wake = null;
      wake();
    }
  }

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
  signal?: AbortSignal;
}

const RESERVED_PROFILES = new Set(["template"]);
/** A squeeze leaves the guest what it uses plus this, and never less than the floor (its kernel and agent). */
const SQUEEZE_MARGIN_KB = 48 * 1024;
const SQUEEZE_FLOOR_KB = 160 * 1024;
const SQUEEZE_MAX_MS = 10_000;
const SQUEEZE_ASK_MS = 3000;
/** A busy VM's agent may be late to a ping this many ping timeouts in a row while its sandboxes answer. */
const BUSY_AGENT_WAITS = 4;
/** A squeeze starts only when no VM of the host has been used for this long. */
const SQUEEZE_QUIET_MS = 5000;

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
  /** Boots holding a slot, by profile: they count as that profile's VMs when the next boot is chosen. */
  private readonly bootsOf = new Map<string, number>();
  private readonly bootQueue: (QueuedBoot & { go: () => void })[] = [];
  /** Profiles asked to give a held VM back, and when: one ask at a time each. */
  private readonly yieldAsked = new Map<string, number>();
  /** Spares being destroyed so that a waiting profile can have the room. */
  private reclaiming = 0;
  private cpuSharesBroken = false;
  /** Profiles idle with a held VM: no spares are kept for them until one of their VMs is touched. */
  private readonly lean = new Set<string>();
  /** Squeezes run one at a time: each keeps a guest vCPU busy for a second or two. */
  private squeezeRunning = false;
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
      maxVms: defaultMaxVms(cpus().length),
      maxConcurrentBoots: Math.max(1, Math.floor(cpus().length / 2)),
      memoryMiB: DEFAULT_VM_MEMORY_MIB,
      refill: "auto",
      healthIntervalMs: 5000,
      squeezeIdleMs: 0,
      leanIdleMs: 60_000,
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
      `${m.inputsKey.slice(0, 16)}-${this.o.accel}-${this.o.memoryMiB}m-l${DOMAIN_LAYOUT}.save`,
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

  /**
   * Takes a ready VM of the profile (ready → busy), booting one when none is spare; refills behind it. An aborted
   * `signal` withdraws the request (it rejects with ACQUIRE_ABORTED); a VM it had already been given goes back.
   */
  acquire(profile: string, timeoutMs = 120_000, signal?: AbortSignal): Promise<PooledVm> {
    this.ensure(profile);
    if (signal) {
      if (signal.aborted)
        return Promise.reject(new PoolError("ACQUIRE_ABORTED", "the request was withdrawn"));
      return new Promise((resolve, reject) => {
        const withdraw = (): void => {
          const list = this.waiters.get(profile) ?? [];
          const w = list.find((x) => x.signal === signal);
          if (!w) return;
          clearTimeout(w.timer);
          this.waiters.set(
            profile,
            list.filter((x) => x !== w),
          );
          reject(new PoolError("ACQUIRE_ABORTED", "the request was withdrawn"));
        };
        signal.addEventListener("abort", withdraw, { once: true });
        this.take(profile, timeoutMs, signal).then(
          (vm) => {
            signal.removeEventListener("abort", withdraw);
            if (signal.aborted) this.release(vm);
            else resolve(vm);
          },
          (err: Error) => {
            signal.removeEventListener("abort", withdraw);
            reject(err);
          },
        );
      });
    }
    return this.take(profile, timeoutMs);
  }

  private take(profile: string, timeoutMs: number, signal?: AbortSignal): Promise<PooledVm> {
    this.wakeProfile(profile);
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
        ...(signal ? { signal } : {}),
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

  /**
   * Gives a busy VM back as a ready spare; on a full host where another profile waits for a VM and this one
   * does not, the VM makes room for it instead.
   */
  release(vm: PooledVm): void {
    if (vm.state !== "busy") return;
    // A VM given back because the pool asked goes to the profile it was asked for, whoever else waits.
    const asked = this.yieldAsked.delete(vm.profile);
    this.transition(vm, "ready");
    if (!this.giveWay(vm, asked)) this.serveWaiters(vm.profile);
  }

  /**
   * On a full host, a ready VM that its own profile does not wait for (or that it was asked to give back) makes
   * room for a profile that waits; true when it went.
   */
  private giveWay(vm: PooledVm, asked: boolean): boolean {
    if (!asked && (this.waiters.get(vm.profile)?.length ?? 0) > 0) return false;
    if (this.liveTotal() < this.o.maxVms || !this.someoneElseWaits(vm.profile)) return false;
    void this.reclaim(vm, "given back to a profile waiting for a VM");
    return true;
  }

  /**
   * Destroys a ready VM to make room for another profile. It counts as being reclaimed until it is gone, and no
   * longer when the freed room is handed out, so every profile still short can ask again then.
   */
  private async reclaim(vm: PooledVm, reason: string): Promise<void> {
    if (vm.state !== "ready") return;
    this.reclaiming++;
    this.transition(vm, "draining", reason);
    try {
      await this.destroy(vm);
    } finally {
      this.reclaiming--;
    }
    this.roomFreed(vm.profile);
  }

  /**
   * Stops keeping spares for an idle profile (scale to zero): its ready VMs go and none is started for it until
   * its next ensure or acquire, which restores one. VMs it holds are the holder's to give back (see retire).
   */
  park(profile: string): void {
    this.lean.delete(profile);
    if (!this.profiles.delete(profile)) return;
    for (const vm of [...this.vms.values()]) {
      if (vm.profile === profile && vm.state === "ready") void this.reclaim(vm, "its profile was idle");
    }
  }

  /** Whether the pool keeps spares for the profile (false once parked, until it is asked for a VM again). */
  keeps(profile: string): boolean {
    return this.profiles.has(profile);
  }

  /** Takes a VM out of service for good (image changed, no longer trusted, pool shrinking). */
  async retire(vm: PooledVm, reason: string): Promise<void> {
    if (vm.state !== "ready" && vm.state !== "busy") return;
    this.transition(vm, "draining", reason);
    await this.destroy(vm);
    this.roomFreed(vm.profile);
  }

  /**
   * Whether the profile cannot have another VM without waiting for its own to free: it holds its maximum, or the
   * host is full, it has its fair share and no other profile's spare may give way.
   */
  atLimit(profile: string): boolean {
    const live = this.count(profile, ["booting", "ready", "busy"]);
    if (live >= this.o.maxPerProfile) return true;
    if (this.liveTotal() < this.o.maxVms) return false;
    const loads = this.loads();
    const share = fairShare(this.o.maxVms, loads);
    return live >= share && spareToReclaim(profile, loads, share) === null;
  }

  /** The host-wide budget as it stands: the cap, each active profile's fair share, VMs alive now. */
  budget(): { maxVms: number; fairShare: number; live: number } {
    return {
      maxVms: this.o.maxVms,
      fairShare: fairShare(this.o.maxVms, this.loads()),
      live: this.liveTotal(),
    };
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
      const busy = this.count(p, ["busy"]);
      const failing = ready + busy === 0 ? this.lastFailure.get(p) : undefined;
      return {
        profile: p,
        target: Math.max(this.o.warm, ready + booting),
        ready,
        booting,
        busy,
        ...(failing !== undefined ? { failing } : {}),
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
    // VMs still booting finish into the closed pool, which destroys them; a template being made is saved (its VM
    // goes with the save) so the next start restores from it.
    await Promise.all([...this.spawning, this.templateSettled()]);
  }

  // ---- internals ----

  private transition(vm: PooledVm, to: VmState, reason?: string): void {
    if (!canTransition(vm.state, to)) throw new VmStateError(vm.state, to, vm.name);
    const from = vm.state;
    vm.state = to;
    if (to === "busy") vm.touch();
    if (reason) vm.reason = reason;
    if (to === "gone") this.vms.delete(vm.name);
    this.emit("vm-state", { vm: vm.info(), from, to, ...(reason ? { reason } : {}) });
  }

  private count(profile: string, states: VmState[]): number {
    let n = 0;
    for (const v of this.vms.values()) if (v.profile === profile && states.includes(v.state)) n++;
    return n;
  }

  private liveTotal(): number {
    let n = 0;
    for (const v of this.vms.values())
      if (v.state === "booting" || v.state === "ready" || v.state === "busy") n++;
    return n;
  }

  /** Requests of the profile that no ready or booting VM will serve. */
  private unmet(profile: string): number {
    return Math.max(0, (this.waiters.get(profile)?.length ?? 0) - this.count(profile, ["ready", "booting"]));
  }

  private someoneElseWaits(profile: string): boolean {
    for (const p of this.waiters.keys()) if (p !== profile && this.unmet(p) > 0) return true;
    return false;
  }

  private loads(): ProfileLoad[] {
    return [...this.profiles].map((p) => ({
      profile: p,
      live: this.count(p, ["booting", "ready", "busy"]),
      spares: this.count(p, ["ready"]),
      waiting: this.waiters.get(p)?.length ?? 0,
    }));
  }

  /**
   * Brings the profile to its spares plus what its waiting requests need, within its own cap and the host's.
   * Requests come first: spares are made only from free room while no other profile waits, and a request that
   * finds the host full takes room from another profile (see makeRoom).
   */
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
    const warm = this.lean.has(profile) ? 0 : this.o.warm;
    const want = Math.min(warm + waiting - spare, this.o.maxPerProfile - live);
    if (want <= 0) return;
    const needed = Math.min(want, this.unmet(profile));
    const room = Math.max(0, this.o.maxVms - this.liveTotal());
    const n = needed > 0 || !this.someoneElseWaits(profile) ? Math.min(want, room) : 0;
    for (let i = 0; i < n; i++) {
      const p = this.spawn(profile).finally(() => this.spawning.delete(p));
      this.spawning.add(p);
    }
    if (needed > n) this.makeRoom(profile, needed - n);
    else if (n < want && n === 0 && !this.someoneElseWaits(profile)) this.makeRoomForSpare(profile);
  }

  /**
   * A profile under its fair share wants a spare on a full host: a spare of a profile over its share gives way
   * (one at a time). Never from a profile at or under its share, so two profiles never take spares back and forth.
   */
  private makeRoomForSpare(profile: string): void {
    if (this.reclaiming > 0) return;
    const loads = this.loads();
    // The profile asking counts as active although it holds nothing yet.
    const share = fairShare(
      this.o.maxVms,
      loads.map((l) => (l.profile === profile ? { ...l, waiting: Math.max(1, l.waiting) } : l)),
    );
    const mine = loads.find((l) => l.profile === profile)?.live ?? 0;
    if (mine >= share) return;
    const giver = loads
      .filter((l) => l.profile !== profile && l.spares > 0 && l.waiting === 0 && l.live > share)
      .sort((a, b) => b.live - a.live)[0];
    if (!giver) return;
    const vm = [...this.vms.values()]
      .filter((v) => v.profile === giver.profile && v.state === "ready")
      .sort((a, b) => a.createdAt - b.createdAt)[0]!;
    void this.reclaim(vm, `room for a spare of profile "${profile}"`);
  }

  /**
   * The host is full and `profile` waits for VMs: spares of other profiles give way first (destroyed, their room
   * goes to the waiting profile); if none may, a profile over its fair share is asked to give a held VM back.
   */
  private makeRoom(profile: string, short: number): void {
    let loads = this.loads();
    const share = fairShare(this.o.maxVms, loads);
    while (this.reclaiming < short) {
      const giver = spareToReclaim(profile, loads, share);
      if (!giver) break;
      const vm = [...this.vms.values()]
        .filter((v) => v.profile === giver && v.state === "ready")
        .sort((a, b) => a.createdAt - b.createdAt)[0]!;
      void this.reclaim(vm, `room for profile "${profile}", which waits for a VM`);
      loads = this.loads();
    }
    if (this.reclaiming >= short) return;
    const over = profileToYield(profile, loads, share);
    const asked = over ? this.yieldAsked.get(over) : undefined;
    // One ask per profile at a time; asked again if it did not answer within a while (its calls may be long).
    if (over && (asked === undefined || Date.now() - asked > 30_000)) {
      this.yieldAsked.set(over, Date.now());
      this.emit("yield", { profile: over, for: profile });
    }
  }

  /**
   * A VM of `profile` is gone: profiles waiting for one come first, then spares; each group fewest VMs first, so
   * room a profile gave up goes to the one that needed it, not back to the giver.
   */
  private roomFreed(profile: string): void {
    const order = this.loads().sort(
      (a, b) =>
        Number(b.waiting > 0) - Number(a.waiting > 0) ||
        a.live - b.live ||
        Number(a.profile === profile) - Number(b.profile === profile),
    );
    for (const l of order) this.refill(l.profile);
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

  /** One of the host's boot slots; queued boots go in the order nextBoot chooses, not first come first served. */
  private async bootSlot(profile: string): Promise<() => void> {
    if (this.bootsRunning >= this.o.maxConcurrentBoots) {
      await new Promise<void>((go) => this.bootQueue.push({ profile, queuedAt: performance.now(), go }));
    } else {
      this.bootsRunning++;
    }
    this.bootsOf.set(profile, (this.bootsOf.get(profile) ?? 0) + 1);
    return () => {
      // Chosen while this boot still counts for its profile: the VM it made is not ready yet.
      const i = nextBoot(
        this.bootQueue,
        (p) => this.count(p, ["ready", "busy"]) + (this.bootsOf.get(p) ?? 0),
      );
      const left = (this.bootsOf.get(profile) ?? 1) - 1;
      if (left > 0) this.bootsOf.set(profile, left);
      else this.bootsOf.delete(profile);
      // The slot passes straight to the next boot: nobody else can take it in between.
      if (i >= 0) this.bootQueue.splice(i, 1)[0]!.go();
      else this.bootsRunning--;
    };
  }

  private async spawn(profile: string): Promise<void> {
    const id = newVmId();
    const vm = new PooledVm(id, vmName(profile, id), profile);
    this.vms.set(vm.name, vm);
    this.emit("vm-state", { vm: vm.info(), from: null, to: "booting" });
    const done = await this.bootSlot(profile);
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
      this.backOff(profile);
      this.emit("problem", { profile, message: `VM ${vm.name} failed to start: ${vm.reason}` });
      this.roomFreed(profile);
      return;
    }
    // A start that worked lifts the wait, but the count of failures stays until a VM has lived a while.
    const b = this.backoff.get(profile);
    if (b) b.until = 0;
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
    vm.readyAt = Date.now();
    // Idle counts from now: a VM that took its time to start is not idle yet.
    vm.activeAt = vm.readyAt;
    this.transition(vm, "ready");
    // Its profile was parked (scaled to zero) while it started: it goes too, unless a call of the profile waits.
    if (!this.profiles.has(profile) && (this.waiters.get(profile)?.length ?? 0) === 0) {
      void this.reclaim(vm, "its profile was idle");
      return;
    }
    // A spare that finished starting while another profile waits on a full host goes to that profile's room.
    if (this.giveWay(vm, false)) return;
    this.serveWaiters(profile);
    this.reweigh(profile);
  }

  /** One more failed or short-lived VM of the profile: its next boot waits longer (up to 30 s). */
  private backOff(profile: string): void {
    const b = this.backoff.get(profile) ?? { failures: 0, until: 0 };
    b.failures++;
    b.until = Date.now() + backoffMs(b.failures);
    this.backoff.set(profile, b);
  }

  /**
   * Gives every serving VM of the profile its part of the profile's CPU weight, so that under contention a
   * profile with four busy VMs gets the same CPU as one with a single VM.
   */
  private reweigh(profile: string): void {
    if (this.cpuSharesBroken) return;
    const serving = [...this.vms.values()].filter(
      (v) => v.profile === profile && (v.state === "ready" || v.state === "busy"),
    );
    const shares = cpuSharesPerVm(serving.length);
    for (const vm of serving) {
      if (vm.cpuShares === shares) continue;
      vm.cpuShares = shares;
      this.o.driver.setCpuShares(vm.name, shares).catch((err: Error) => {
        if (vm.state === "gone" || vm.state === "draining" || this.closed) return;
        // A libvirt without cgroups (a user session) cannot weigh VMs: said once, then not tried again.
        this.cpuSharesBroken = true;
        this.emit("problem", {
          profile,
          message: `VMs cannot be given CPU weights, so one profile's busy VMs may slow another's: ${err.message}`,
        });
      });
    }
  }

  private async startVm(vm: PooledVm): Promise<BootedVm> {
    const template = this.readyTemplate();
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
    const booted = await bootVm(this.o.driver, { ...this.bootOptions(vm.profile), vmId: vm.id });
    try {
      // The agent starts a runtime ahead of the first load only after a sync (the template's VM never gets one), so
      // a booted VM's first task, like a restored one's, does not wait for Node.js to start.
      await booted.session.sync();
    } catch (err) {
      booted.session.close();
      await this.o.driver.destroy(booted.name).catch(() => {});
      throw new Error(
        `VM_BOOT_FAILED: ${booted.name} did not answer its first sync (${(err as Error).message})`,
        {
          cause: err,
        },
      );
    }
    return booted;
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

  /**
   * The template's file when VMs can be restored from it now. Until then VMs boot, and the template is made in the
   * background: the first VM of a fresh install does not wait for a boot, a save and a restore.
   */
  private readyTemplate(): string | null {
    if (this.o.refill === "boot" || this.templateState === "broken" || !this.o.driver.local) return null;
    if (this.templateState === "ready" || (this.templateState === "none" && existsSync(this.templateFile))) {
      this.templateState = "ready";
      return this.templateFile;
    }
    void this.template();
    return null;
  }

  /** Resolves once no template is being made (for a shutdown: the template's own VM goes when it is saved). */
  templateSettled(): Promise<void> {
    return (this.templateBuild ?? Promise.resolve(null)).then(() => undefined);
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
    if (vm.readyAt !== undefined && Date.now() - vm.readyAt < YOUNG_DEATH_MS) {
      this.backOff(vm.profile);
      this.emit("problem", {
        profile: vm.profile,
        message: `VM ${vm.name} died ${Math.round((Date.now() - vm.readyAt) / 1000)} s after it was ready: ${reason}`,
      });
    }
    await this.destroy(vm);
    this.roomFreed(vm.profile);
  }

  /** Idle profiles that hold a VM give their spares back (see leanIdleMs); their first touched VM wakes them. */
  private leanIdleProfiles(serving: PooledVm[]): void {
    if (this.o.leanIdleMs <= 0 || this.closed) return;
    const now = Date.now();
    const byProfile = new Map<string, PooledVm[]>();
    for (const vm of serving) byProfile.set(vm.profile, [...(byProfile.get(vm.profile) ?? []), vm]);
    for (const [profile, vms] of byProfile) {
      if (this.lean.has(profile) || (this.waiters.get(profile)?.length ?? 0) > 0) continue;
      if (!vms.some((v) => v.state === "busy") || !vms.some((v) => v.state === "ready")) continue;
      if (vms.some((v) => now - v.activeAt < this.o.leanIdleMs)) continue;
      this.lean.add(profile);
      const wake = (): void => this.wakeProfile(profile);
      for (const v of vms) {
        if (v.state === "ready")
          void this.reclaim(v, "its profile is idle: the VM it holds serves its next call");
        else v.wake = wake;
      }
    }
  }

  /** A lean profile is used again: its spares come back. */
  private wakeProfile(profile: string): void {
    if (!this.lean.delete(profile)) return;
    for (const v of this.vms.values()) if (v.profile === profile) v.wake = null;
    this.refill(profile);
  }

  private squeezeOneIdle(serving: PooledVm[]): void {
    if (this.squeezeRunning || this.o.squeezeIdleMs <= 0 || !this.o.driver.setMemory || this.closed) return;
    // Not while a VM or the template starts, nor while any VM of the host serves: inflating a balloon keeps a core
    // busy for seconds under TCG, which calls (a deploy's load above all) would feel. The squeeze can wait.
    if (this.bootsRunning > 0 || this.templateBuild) return;
    const now = Date.now();
    if (serving.some((v) => now - v.activeAt < SQUEEZE_QUIET_MS)) return;
    const vm = serving
      .filter((v) => v.session && v.squeezedAt < v.activeAt && now - v.activeAt >= this.o.squeezeIdleMs)
      .sort((a, b) => a.activeAt - b.activeAt)[0];
    if (!vm) return;
    this.squeezeRunning = true;
    this.squeeze(vm)
      .catch((err: Error) => {
        if (vm.state === "ready" || vm.state === "busy")
          this.emit("problem", {
            profile: vm.profile,
            message: `could not squeeze ${vm.name}: ${err.message}`,
          });
      })
      .finally(() => (this.squeezeRunning = false));
  }

  /**
   * Gives an idle VM's spare memory back to the host: the balloon inflates until the guest keeps what it uses plus
   * a margin (pages the host takes back at once: guest memory is a memfd), then deflates, so the guest can have it
   * all again the moment it needs it. Stops early when the VM is used meanwhile.
   */
  async squeeze(vm: PooledVm): Promise<{ guestKeptKb: number; ms: number; interrupted: boolean }> {
    const setMemory = this.o.driver.setMemory?.bind(this.o.driver);
    const session = vm.session;
    if (!setMemory || !session) throw new PoolError("SQUEEZE_UNSUPPORTED", "this driver has no balloon");
    if (vm.squeezing) throw new PoolError("SQUEEZE_RUNNING", `${vm.name} is being squeezed`);
    vm.squeezing = true;
    // The guest answers within a second or two even while its balloon inflates; one that does not is left to the
    // health check.
    const stats = async (): ReturnType<GuestSession["stats"]> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          session.stats(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new PoolError("AGENT_TIMEOUT", `${vm.name} did not answer`)),
              SQUEEZE_ASK_MS,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    };
    const since = vm.activeAt;
    const t0 = performance.now();
    const fullKb = this.o.memoryMiB * 1024;
    // A touch (a call, a load) ends the wait at once, and the balloon deflates before the next poll.
    let wakeUp: () => void = () => {};
    const touched = new Promise<void>((r) => (wakeUp = r));
    vm.interruptSqueeze = wakeUp;
    let kept: number;
    let inflated = false;
    try {
      const s = await stats();
      // The balloon deflates by itself when the guest runs short (autodeflate), so its pages count as used, not as
      // less memory: progress shows as MemAvailable falling towards the margin.
      const giveKb = Math.min(s.memAvailableKb - SQUEEZE_MARGIN_KB, fullKb - SQUEEZE_FLOOR_KB);
      if (vm.activeAt !== since || giveKb <= 0)
        return { guestKeptKb: s.memTotalKb, ms: 0, interrupted: true };
      inflated = true;
      await setMemory(vm.name, fullKb - giveKb);
      // The balloon inflates a few hundred MiB a second under TCG: wait until it is there or stalls.
      let last = s.memAvailableKb;
      let stalled = 0;
      const deadline = performance.now() + SQUEEZE_MAX_MS;
      while (vm.activeAt === since && stalled < 3 && performance.now() < deadline) {
        await Promise.race([touched, new Promise((r) => setTimeout(r, 200))]);
        if (vm.activeAt !== since) break;
        const now = (await stats()).memAvailableKb;
        stalled = now < last - 1024 ? 0 : stalled + 1;
        last = now;
        if (s.memAvailableKb - now >= giveKb - 4096) break;
      }
      kept = s.memTotalKb - (s.memAvailableKb - last);
    } finally {
      vm.interruptSqueeze = null;
      vm.squeezedAt = Date.now();
      // Over before the deflate is confirmed: a VM that stopped answering is the health check's again at once.
      vm.squeezing = false;
      if (inflated) await setMemory(vm.name, fullKb);
    }
    const r = {
      guestKeptKb: kept,
      ms: Math.round(performance.now() - t0),
      interrupted: vm.activeAt !== since,
    };
    this.emit("squeeze", { vm: vm.name, profile: vm.profile, ...r });
    return r;
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
    this.reweigh(vm.profile);
  }

  /** Pings every serving VM; one that does not answer in time is failed and replaced. Squeezes an idle one. */
  private async checkHealth(): Promise<void> {
    const serving = [...this.vms.values()].filter((v) => v.state === "ready" || v.state === "busy");
    this.leanIdleProfiles(serving);
    this.squeezeOneIdle(serving);
    // A profile whose VM has served a while is healthy again: its back-off starts over.
    for (const vm of serving) {
      if (vm.readyAt !== undefined && Date.now() - vm.readyAt >= YOUNG_DEATH_MS)
        this.backoff.delete(vm.profile);
    }
    await Promise.all(
      // A VM being squeezed answers its balloon on its one vCPU first: its agent gets three times as long to answer
      // (a frozen VM is still failed within seconds: the squeeze gives up on it sooner, see squeeze).
      serving.map(async (vm) => {
        const limit = vm.squeezing ? 3 * this.o.pingTimeoutMs : this.o.pingTimeoutMs;
        try {
          await Promise.race([
            vm.session!.ping(),
            new Promise((_, reject) =>
              setTimeout(() => reject(new Error(`no pong within ${limit} ms`)), limit),
            ),
          ]);
          vm.agentLateSince = null;
        } catch (err) {
          // A guest whose sandboxes answered meanwhile is busy, not frozen: under load its agent waits its turn on
          // the one vCPU (a deploy's loads, eight callers). Failing it would fail every call it runs. It is failed
          // when nothing at all came from it while the ping waited, or its agent stayed silent BUSY_AGENT_WAITS×
          // as long.
          const now = performance.now();
          if (vm.session && vm.state !== "gone") {
            vm.agentLateSince ??= now - limit;
            const heard = now - vm.session.heardAt < limit;
            if (heard && now - vm.agentLateSince < BUSY_AGENT_WAITS * limit) return;
          }
          const silent = vm.agentLateSince !== null ? Math.round(now - vm.agentLateSince) : limit;
          await this.fail(
            vm,
            `health check failed: ${(err as Error).message}` +
              (silent > limit ? ` (its agent silent for ${silent} ms)` : ""),
          );
        }
      }),
    );
  }
}
