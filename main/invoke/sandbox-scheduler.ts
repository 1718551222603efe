// Places invocations on sandboxes: reuse a warm one, load one into a held VM, take a VM from the pool, and
// move a deployment line to newer code in the background while the older warm sandbox keeps serving.
import { EventEmitter } from "node:events";
import type { GuestSession, InvokeOptions, InvokeOutcome } from "../vm/guest-session.ts";
import type { PooledVm, VmPool } from "../vm/pool.ts";
import type { LambdaError, SandboxSpec } from "../vm/protocol.ts";

/** What to run, fully resolved: where, with which code and configuration. */
export interface Execution {
  /** The profile whose VMs run it; code of different profiles never shares a VM. */
  profile: string;
  /** Identity of a sandbox: task version + every configuration value (secrets included, hashed). */
  configKey: string;
  /** The task, across versions and aliases: its invocations share the per-task concurrency limit. */
  taskKey: string;
  /** A deployment line (a task's $LATEST, an alias, …): a newer configKey on a line replaces the older one. */
  lineKey: string;
  /** May an older warm sandbox of the line answer while this configKey loads? (No when a version was named.) */
  follow: boolean;
  spec: SandboxSpec;
  loadCode(): Promise<{ zip: Buffer; sha256: string }>;
  /**
   * The task's reserved concurrency (Lambda's): requests of the task in flight beyond it are throttled at once
   * rather than queued. Absent: only the scheduler's own per-task limit, with its queue.
   */
  reservedConcurrency?: number;
}

export interface RunOutcome extends InvokeOutcome {
  /** The function version that actually answered (an older one while a deploy is loading). */
  servedVersion: string;
  servedConfigKey: string;
  vm: string;
  /** This request waited for a sandbox to load. */
  coldStart: boolean;
  queuedMs: number;
  /** Where a cold start's wait went: the VM taken for its sandbox and that sandbox's load (its init apart). */
  cold?: SandboxStart;
  /** Invocations of the task running as this one started, itself included. */
  concurrency: number;
}

/** How one sandbox came to be: its VM (and how it got one), its load and its module's init, in ms. */
export interface SandboxStart {
  take: "held" | "warm" | "restored" | "booted";
  vmMs: number;
  loadMs: number;
  initMs: number;
}

/** What `execute` answers when the request never reached a handler (see `run`). */
const NOT_DELIVERED = Symbol("not delivered");
/** Sandboxes that may die under one request before it is answered with an error instead of sent on again. */
const MAX_UNDELIVERED = 2;
/**
 * What the guest session says when the VM, not the task's code, failed a load: the VM stopped or its agent went
 * quiet. Such a load is tried again (on whatever VM the pool gives then) before a caller hears of it, and is never
 * reported as the code's init failure.
 */
const VM_FAULT_CODES = new Set(["VM_LOST", "AGENT_TIMEOUT", "NOT_CONNECTED", "NO_SUCH_SLOT"]);
const MAX_VM_FAULT_RETRIES = 1;

export interface SchedulerOptions {
  pool: VmPool;
  /** Sandboxes of one configuration at once (parallel invocations beyond it queue). */
  maxSandboxesPerConfig?: number;
  /** Requests of one profile waiting for a sandbox before new ones are refused. */
  maxQueuePerProfile?: number;
  /** Invocations of one profile running at once; more wait in the queue. */
  maxConcurrentPerProfile?: number;
  /** Invocations of one task running at once (all its versions and aliases); more wait in the queue. */
  maxConcurrentPerTask?: number;
  /** How long a request waits for a sandbox before giving up. */
  maxWaitMs?: number;
  /** How long a VM may hold no sandbox before it goes back to the pool. */
  idleVmMs?: number;
  /**
   * A profile with no invocation for this long scales to zero: its sandboxes and VMs go, the pool keeps no spare for
   * it, and its next invocation restores a VM. 0: never.
   */
  idleProfileMs?: number;
}

/** Default time before an unused profile gives its VMs back: HEARTH_IDLE_MINUTES, else ten minutes. */
export function defaultIdleProfileMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.HEARTH_IDLE_MINUTES;
  if (raw === undefined || raw.trim() === "") return 10 * 60_000;
  const minutes = Number(raw);
  if (!Number.isFinite(minutes) || minutes < 0) {
    throw new SchedulerError(
      "INVALID_CONFIG",
      `HEARTH_IDLE_MINUTES must be a number of minutes ≥ 0 (0: never scale to zero), not "${raw}"`,
    );
  }
  return Math.round(minutes * 60_000);
}

export class SchedulerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly lambda?: LambdaError,
    /** Lambda's Reason of a throttle (TooManyRequestsException), when it is one Lambda names. */
    readonly reason?: string,
  ) {
    super(`${code}: ${message}`);
  }
}

type SandboxState = "loading" | "ready" | "retiring" | "unloading";

interface Sandbox {
  exec: Execution;
  /** Null while the sandbox waits for a place (a VM from the pool, a slot to free up). */
  held: HeldVm | null;
  slot: number;
  state: SandboxState;
  busy: boolean;
  loaded: Promise<void>;
  lastUsedAt: number;
  /** Order of creation: the newest of a line runs its latest configuration. */
  seq: number;
  /** When its placement began (performance.now()), and how it went once it is ready. */
  startedAt: number;
  start?: SandboxStart;
  take?: SandboxStart["take"];
}

interface HeldVm {
  vm: PooledVm;
  sandboxes: Map<number, Sandbox>;
  idleSince: number;
  /** The pool asked for this VM back (another profile waits on a full host): it finishes what runs, then goes. */
  yielding?: boolean;
}

/** One sandbox as status views show it: a busy flag folded into the state, its task by id (the caller names it). */
export interface SandboxReport {
  slot: number;
  taskKey: string;
  version: string;
  state: "loading" | "ready" | "busy";
  configKey: string;
}

/** What one VM held by the scheduler carries: its sandboxes (slot order) and the invocations it has served. */
export interface VmReport {
  sandboxes: SandboxReport[];
  invocations: number;
  /** The request id of the last call it ran. */
  lastRequestId?: string;
}

export interface SchedulerEvents {
  sandbox: [
    {
      profile: string;
      vm: string;
      slot: number;
      configKey: string;
      lineKey: string;
      state: SandboxState | "gone";
      version: string;
    },
  ];
}

export class SandboxScheduler extends EventEmitter<SchedulerEvents> {
  private readonly o: Required<SchedulerOptions>;
  private readonly held = new Map<string, HeldVm[]>();
  /** Configurations whose background load (deployState) failed, with the error, by config key. */
  private readonly failedLoads = new Map<string, string>();
  /** Requests of a task with reserved concurrency between their arrival and their answer, by task. */
  private readonly inFlightByTask = new Map<string, number>();
  /** Sandboxes being placed, by profile: visible as "loading" at once, so no second request starts the same. */
  private readonly placing = new Map<string, Set<Sandbox>>();
  private readonly waiting = new Map<string, number>();
  private readonly runningByProfile = new Map<string, number>();
  private readonly runningByTask = new Map<string, number>();
  private changeWaiters: (() => void)[] = [];
  /** Invocations each VM has served; kept on the VM itself so a VM given back and taken again keeps its count. */
  private readonly served = new WeakMap<PooledVm, number>();
  private readonly lastRequest = new WeakMap<PooledVm, string>();
  private idleTimer: NodeJS.Timeout;
  private profileTimer: NodeJS.Timeout | null = null;
  /** Last invocation (start or end) per profile; a profile never invoked counts from the scheduler's start. */
  private readonly profileActiveAt = new Map<string, number>();
  private readonly startedAt = Date.now();
  private closed = false;
  private sandboxSeq = 0;

  constructor(opts: SchedulerOptions) {
    super();
    this.o = {
      maxSandboxesPerConfig: 4,
      maxQueuePerProfile: 256,
      maxConcurrentPerProfile: 32,
      maxConcurrentPerTask: 16,
      maxWaitMs: 120_000,
      idleVmMs: 5 * 60_000,
      idleProfileMs: defaultIdleProfileMs(),
      ...opts,
    };
    this.idleTimer = setInterval(() => this.releaseIdleVms(), Math.min(this.o.idleVmMs, 30_000));
    if (this.o.idleProfileMs > 0) {
      this.profileTimer = setInterval(
        () => this.parkIdleProfiles(),
        Math.max(250, Math.min(this.o.idleProfileMs / 4, 30_000)),
      );
      this.profileTimer.unref();
    }
    this.idleTimer.unref();
    this.o.pool.on("yield", (e) => this.yieldVm(e.profile));
  }

  /** Runs one invocation to its end; never throws for the handler's own failures (see RunOutcome.error). */
  async run(exec: Execution, payload: string, opts: InvokeOptions = {}): Promise<RunOutcome> {
    if (this.closed) throw new SchedulerError("ENGINE_CLOSED", "Hearth is shutting down");
    const reserved = exec.reservedConcurrency;
    if (reserved === undefined) return this.admitted(exec, payload, opts);
    const inFlight = this.inFlightByTask.get(exec.taskKey) ?? 0;
    if (inFlight >= reserved) {
      throw new SchedulerError(
        "TOO_MANY_REQUESTS",
        reserved === 0
          ? `Rate Exceeded: ${exec.spec.functionName} has a reserved concurrency of 0, which stops every call`
          : `Rate Exceeded: ${exec.spec.functionName} has a reserved concurrency of ${reserved}, all in use`,
        undefined,
        "ReservedFunctionConcurrentInvocationLimitExceeded",
      );
    }
    this.inFlightByTask.set(exec.taskKey, inFlight + 1);
    try {
      return await this.admitted(exec, payload, opts);
    } finally {
      const n = (this.inFlightByTask.get(exec.taskKey) ?? 1) - 1;
      if (n <= 0) this.inFlightByTask.delete(exec.taskKey);
      else this.inFlightByTask.set(exec.taskKey, n);
    }
  }

  private async admitted(exec: Execution, payload: string, opts: InvokeOptions): Promise<RunOutcome> {
    const started = performance.now();
    const deadline = Date.now() + this.o.maxWaitMs;
    let coldStart = false;
    let queued = false;
    let undelivered = 0;
    let loadFailure = null as { error: unknown } | null;
    let vmFaults = 0;
    try {
      for (;;) {
        const pick = this.withinLimits(exec) ? this.pick(exec) : null;
        if (pick) {
          // A sandbox loaded while this request waited is the cold start it had: its load is part of this wait. One
          // that was warm before it came (freed while the load this request began went on) cost it no start.
          const loadedForIt = coldStart && pick.startedAt >= started;
          const cold = loadedForIt ? pick.start : undefined;
          const outcome = await this.execute(pick, payload, opts, {
            coldStart: loadedForIt,
            queuedMs: performance.now() - started,
            ...(cold ? { cold } : {}),
          });
          // Its sandbox died before the handler saw it (a crash, a restart that failed): no code ran for it, so it
          // goes to another sandbox; a caller hears of the sandbox's trouble only when that happens again.
          if (outcome !== NOT_DELIVERED) return outcome;
          if (++undelivered > MAX_UNDELIVERED) {
            throw new SchedulerError(
              "SANDBOX_LOST",
              `the sandboxes of ${exec.spec.functionName} stopped ${undelivered} times before this request reached one`,
            );
          }
          continue;
        }
        if (loadFailure) {
          const { error } = loadFailure;
          if (!(error instanceof SchedulerError && error.code === "VM_FAULT")) throw error;
          if (++vmFaults > MAX_VM_FAULT_RETRIES) {
            throw new SchedulerError("NO_VM_AVAILABLE", error.message.replace(/^VM_FAULT: /, ""));
          }
          loadFailure = null;
        }
        if (this.withinLimits(exec) && this.canGrow(exec) && !this.replacing(exec)) {
          coldStart = true;
          // Load in the background and wait like any queued request: another request may take the new sandbox
          // first, and a sandbox that frees up meanwhile serves this one (a load may wait long for a VM on a
          // full host). Only a load that fails ends this request, with its error.
          this.startSandbox(exec, (error) => (loadFailure = { error })).catch(() => {});
          continue;
        }
        if (!queued) {
          queued = true;
          const n = (this.waiting.get(exec.profile) ?? 0) + 1;
          if (n > this.o.maxQueuePerProfile) {
            throw new SchedulerError(
              "TOO_MANY_REQUESTS",
              `${this.o.maxQueuePerProfile} requests of this profile are already waiting for a sandbox`,
            );
          }
          this.waiting.set(exec.profile, n);
        }
        if (Date.now() > deadline) {
          throw new SchedulerError(
            "SANDBOX_WAIT_TIMEOUT",
            `no sandbox for ${exec.spec.functionName} within ${this.o.maxWaitMs} ms`,
          );
        }
        await this.nextChange(deadline - Date.now());
      }
    } finally {
      if (queued) this.waiting.set(exec.profile, (this.waiting.get(exec.profile) ?? 1) - 1);
    }
  }

  /**
   * An idle ready sandbox for this configuration or — for a following request while its line moves to this
   * configuration — an idle older sandbox of the line. Such a request also keeps the move going: the first new
   * sandbox loads alone (a version that fails to start costs one load) while the old ones serve; once it is ready
   * the line's traffic is its (moveLine), and no request ever waits for a load.
   */
  private pick(exec: Execution): Sandbox | null {
    const all = this.sandboxes(exec.profile);
    const exact = all.find((s) => s.exec.configKey === exec.configKey && s.state === "ready" && !s.busy);
    if (exact) return exact;
    if (!exec.follow) return null;
    const older = this.olderOfLine(exec);
    if (older.length === 0) return null;
    const mine = all.filter((s) => s.exec.configKey === exec.configKey);
    const loading = mine.filter((s) => s.state === "loading").length;
    const ready = mine.length - loading;
    // Each old sandbox still serving wants one replacement; the first waits for no other.
    const want = ready === 0 ? 1 : Math.min(older.length, this.widthOf(exec) - ready);
    for (let n = loading; n < want; n++) void this.startSandbox(exec).catch(() => {});
    return older.filter((s) => !s.busy).sort((a, b) => b.lastUsedAt - a.lastUsedAt)[0] ?? null;
  }

  /**
   * A following request's line is moving to its configuration and a replacement is already loading: it waits for
   * whichever frees first, the busy old sandbox or the new one, instead of starting a load of its own that it would
   * wait for (the cold start a deploy must not cost).
   */
  private replacing(exec: Execution): boolean {
    if (!exec.follow || this.olderOfLine(exec).length === 0) return false;
    return this.sandboxes(exec.profile).some(
      (s) => s.exec.configKey === exec.configKey && s.state === "loading",
    );
  }

  /** Serving sandboxes of the execution's line that run another configuration. */
  private olderOfLine(exec: Execution): Sandbox[] {
    return this.sandboxes(exec.profile).filter(
      (s) => s.exec.lineKey === exec.lineKey && s.exec.configKey !== exec.configKey && s.state === "ready",
    );
  }

  private withinLimits(exec: Execution): boolean {
    return (
      (this.runningByProfile.get(exec.profile) ?? 0) < this.o.maxConcurrentPerProfile &&
      (this.runningByTask.get(exec.taskKey) ?? 0) < this.o.maxConcurrentPerTask
    );
  }

  private count(map: Map<string, number>, key: string, delta: number): void {
    const n = (map.get(key) ?? 0) + delta;
    if (n > 0) map.set(key, n);
    else map.delete(key);
  }

  private canGrow(exec: Execution): boolean {
    const mine = this.sandboxes(exec.profile).filter((s) => s.exec.configKey === exec.configKey);
    if (mine.some((s) => s.state === "loading")) return false;
    // While older sandboxes of the line still serve, wait for them (or the move) instead of a cold start.
    if (exec.follow && this.olderOfLine(exec).length > 0) return false;
    return mine.length < this.widthOf(exec);
  }

  /**
   * How many sandboxes one configuration may have. One under a debugger: its inspector is one process, and calls
   * wait their turn for it rather than run unseen beside it.
   */
  private widthOf(exec: Execution): number {
    return exec.spec.inspect ? 1 : this.o.maxSandboxesPerConfig;
  }

  /**
   * Makes sure the execution has a sandbox, loading one if none is there or loading, and waits until one is
   * ready. Used to have a debugger's target in place before any call comes.
   */
  async ensure(exec: Execution): Promise<void> {
    const mine = (): Sandbox[] =>
      this.sandboxes(exec.profile).filter((s) => s.exec.configKey === exec.configKey);
    if (mine().length === 0) {
      await this.startSandbox(exec).catch((err: unknown) => {
        if (err instanceof SchedulerError && err.code === "VM_FAULT") {
          throw new SchedulerError("NO_VM_AVAILABLE", err.message.replace(/^VM_FAULT: /, ""));
        }
        throw err;
      });
    } else await Promise.all(mine().map((s) => s.loaded.catch(() => undefined)));
  }

  /**
   * Where a following line stands against `exec`'s configuration, moving it when it must: when older sandboxes of
   * the line are warm and none of this configuration is there, one loads now, in the background, so the next call
   * finds it ready instead of being served the old one. "current": this configuration serves the line's next call
   * (or nothing warm is left to replace); "moving": it is loading while the old one serves; "failed": its load
   * failed, and the old one still serves.
   */
  deployState(exec: Execution): { state: "current" | "moving" | "failed"; reason?: string } {
    if (!exec.follow) return { state: "current" };
    const mine = this.sandboxes(exec.profile).filter((s) => s.exec.configKey === exec.configKey);
    if (mine.some((s) => s.state === "ready")) return { state: "current" };
    if (this.olderOfLine(exec).length === 0) return { state: "current" };
    if (mine.some((s) => s.state === "loading")) return { state: "moving" };
    const failed = this.failedLoads.get(exec.configKey);
    if (failed !== undefined) return { state: "failed", reason: failed };
    this.startSandbox(exec).catch((err: unknown) => {
      this.failedLoads.set(exec.configKey, (err as Error).message);
      // Bounded: each change to a task makes a new key, and only the newest matter.
      if (this.failedLoads.size > 200) this.failedLoads.delete(this.failedLoads.keys().next().value!);
    });
    return { state: "moving" };
  }

  /** The session and slot of the newest ready sandbox of a line, or null: where a debugger attaches. */
  newestOfLine(profile: string, lineKey: string): { session: GuestSession; slot: number } | null {
    const ready = this.sandboxes(profile).filter(
      (s) => s.exec.lineKey === lineKey && (s.state === "ready" || s.state === "retiring") && s.held,
    );
    const newest = ready.sort((a, b) => b.seq - a.seq)[0];
    const session = newest?.held?.vm.session;
    return newest && session ? { session, slot: newest.slot } : null;
  }

  private sandboxes(profile: string): Sandbox[] {
    const placed = (this.held.get(profile) ?? []).flatMap((h) => [...h.sandboxes.values()]);
    return [...placed, ...(this.placing.get(profile) ?? [])];
  }

  private async execute(
    sb: Sandbox,
    payload: string,
    opts: InvokeOptions,
    m: { coldStart: boolean; queuedMs: number; cold?: SandboxStart },
  ): Promise<RunOutcome | typeof NOT_DELIVERED> {
    sb.busy = true;
    sb.lastUsedAt = Date.now();
    this.profileActiveAt.set(sb.exec.profile, sb.lastUsedAt);
    this.count(this.runningByProfile, sb.exec.profile, 1);
    this.count(this.runningByTask, sb.exec.taskKey, 1);
    const concurrency = this.runningByTask.get(sb.exec.taskKey) ?? 1;
    const vm = sb.held!.vm; // a ready sandbox is always placed
    vm.touch();
    this.served.set(vm, (this.served.get(vm) ?? 0) + 1);
    if (opts.requestId !== undefined) this.lastRequest.set(vm, opts.requestId);
    try {
      const outcome = await vm.session!.invoke(sb.slot, payload, opts);
      if (outcome.undelivered) return NOT_DELIVERED;
      return {
        ...outcome,
        servedVersion: sb.exec.spec.functionVersion,
        servedConfigKey: sb.exec.configKey,
        vm: vm.name,
        coldStart: m.coldStart,
        queuedMs: m.queuedMs,
        ...(m.cold ? { cold: m.cold } : {}),
        concurrency,
      };
    } catch {
      // The session refuses only when the VM is gone or the slot failed or was emptied under us, before sending
      // anything: that sandbox serves nobody any more.
      const held = sb.held!;
      if (held.sandboxes.get(sb.slot) === sb) {
        held.sandboxes.delete(sb.slot);
        this.emitSandbox(sb, "gone");
      }
      return NOT_DELIVERED;
    } finally {
      sb.busy = false;
      sb.lastUsedAt = Date.now();
      this.profileActiveAt.set(sb.exec.profile, sb.lastUsedAt);
      vm.touch();
      this.count(this.runningByProfile, sb.exec.profile, -1);
      this.count(this.runningByTask, sb.exec.taskKey, -1);
      if (sb.held?.yielding && sb.state === "ready") sb.state = "retiring";
      if (sb.state === "retiring") void this.unload(sb);
      this.changed();
    }
  }

  /**
   * Loads a new sandbox for the execution (on a held VM with room, else a VM from the pool) and waits for it.
   * `onFail` hears of a failed load before anyone waiting is woken, so a waiter never sees the failed sandbox gone
   * without its error and starts a second load of code that just failed.
   */
  private startSandbox(exec: Execution, onFail?: (err: SchedulerError) => void): Promise<void> {
    const fail = (err: SchedulerError): never => {
      onFail?.(err);
      this.changed();
      throw err;
    };
    const sb: Sandbox = {
      exec,
      held: null,
      slot: -1,
      state: "loading",
      busy: false,
      loaded: Promise.resolve(),
      lastUsedAt: Date.now(),
      seq: ++this.sandboxSeq,
      startedAt: performance.now(),
    };
    const placing = this.placing.get(exec.profile) ?? new Set<Sandbox>();
    placing.add(sb);
    this.placing.set(exec.profile, placing);
    sb.loaded = (async () => {
      let held: HeldVm;
      try {
        held = await this.place(sb);
      } catch (err) {
        return fail(
          err instanceof SchedulerError ? err : new SchedulerError("NO_VM_AVAILABLE", (err as Error).message),
        );
      } finally {
        placing.delete(sb);
      }
      this.emitSandbox(sb);
      // A load needs the VM's memory: an idle squeeze under way stops.
      held.vm.touch();
      const placedAt = performance.now();
      try {
        const { zip, sha256 } = await exec.loadCode();
        const loaded = await held.vm.session!.load(sb.slot, exec.spec, zip, sha256);
        const loadMs = performance.now() - placedAt;
        sb.start = {
          take: sb.take ?? "held",
          vmMs: placedAt - sb.startedAt,
          loadMs: Math.max(0, loadMs - loaded.initMs),
          initMs: Math.min(loaded.initMs, loadMs),
        };
      } catch (err) {
        if (held.sandboxes.get(sb.slot) === sb) held.sandboxes.delete(sb.slot);
        this.emitSandbox(sb, "gone");
        const e = err as Error & { code?: string };
        if (e.code !== undefined && VM_FAULT_CODES.has(e.code)) {
          return fail(
            new SchedulerError("VM_FAULT", `the VM failed while loading the sandbox (${e.message})`),
          );
        }
        const lambda = /^Runtime\.|^[A-Z]\w+Error/.test(e.message.replace(/^\w+: /, ""))
          ? initError(e.message)
          : undefined;
        // A runtime the image has not got is the task's configuration, said as Lambda says it; anything else
        // that kept the sandbox from starting is the code's.
        const code =
          e.code === "VM_MEMORY_FULL" || e.code === "RUNTIME_UNSUPPORTED" ? e.code : "SANDBOX_INIT_FAILED";
        return fail(new SchedulerError(code, e.message, code === "SANDBOX_INIT_FAILED" ? lambda : undefined));
      }
      sb.state = "ready";
      this.emitSandbox(sb);
      this.moveLine(sb);
      this.changed();
    })();
    return sb.loaded;
  }

  /**
   * A new sandbox of a moving line is ready. The first one takes the line's traffic at once: every old sandbox
   * finishes the call it runs and goes, and the replacements that give the line back its width load now, on the
   * VMs the old ones free (loading beside old code that keeps serving, they would wait seconds for a vCPU the
   * traffic holds, and the old version would answer all that time). A ready sandbox of a line that moved already
   * retires one old sandbox, if any is left.
   */
  private moveLine(sb: Sandbox): void {
    const exec = sb.exec;
    const older = this.olderOfLine(exec);
    if (older.length === 0) return;
    const mine = this.sandboxes(exec.profile).filter((s) => s.exec.configKey === exec.configKey);
    const retire = (old: Sandbox): void => {
      old.state = "retiring";
      this.emitSandbox(old);
      if (!old.busy) void this.unload(old);
    };
    if (mine.some((s) => s !== sb && s.state === "ready")) {
      retire(older.sort((a, b) => Number(a.busy) - Number(b.busy) || a.lastUsedAt - b.lastUsedAt)[0]!);
      return;
    }
    const width = Math.min(older.length, this.widthOf(exec));
    for (const old of older) retire(old);
    // One replacement per held VM that runs none of this code: on a VM that already serves it, a load would take
    // turns on its vCPU with the calls. Past that, the line grows back as calls wait (canGrow).
    const free = (this.held.get(exec.profile) ?? []).filter(
      (h) => ![...h.sandboxes.values()].some((s) => s.exec.configKey === exec.configKey),
    ).length;
    const loads = Math.min(width - mine.length, free);
    for (let n = 0; n < loads; n++) void this.startSandbox(exec).catch(() => {});
  }

  /**
   * Finds the sandbox a slot: on a held VM with room, else in place of an idle sandbox of another configuration,
   * else on a VM taken from the pool. Every claim happens in the same turn as the check, so two loads never
   * pick one slot.
   */
  private async place(sb: Sandbox): Promise<HeldVm> {
    const exec = sb.exec;
    const claim = (h: HeldVm): boolean => {
      const ready = h.vm.session?.ready;
      if (!ready || h.vm.state !== "busy" || h.yielding) return false;
      const used = [...h.sandboxes.values()].reduce((sum, s) => sum + s.exec.spec.memoryMb, 0);
      if (used + exec.spec.memoryMb > ready.sandboxMemoryMb) return false;
      const slot = ready.slots.find((n) => !h.sandboxes.has(n));
      if (slot === undefined) return false;
      h.sandboxes.set(slot, sb);
      sb.held = h;
      sb.slot = slot;
      sb.take ??= "held";
      return true;
    };
    const held = this.held.get(exec.profile) ?? [];
    const runsThis = (h: HeldVm): boolean =>
      [...h.sandboxes.values()].some((s) => s.exec.configKey === exec.configKey && s !== sb);
    // A deploy (older code of the line still serving): the new code loads where a vCPU is free, so the load does
    // not queue behind the traffic it is about to take over: a held VM running nothing, else a ready spare.
    if (this.olderOfLine(exec).length > 0) {
      const running = (h: HeldVm): boolean => [...h.sandboxes.values()].some((s) => s.busy);
      for (const h of held) if (!running(h) && !runsThis(h) && claim(h)) return h;
      if (this.o.pool.list(exec.profile).some((v) => v.state === "ready")) {
        return this.adopt(await this.o.pool.acquire(exec.profile, this.o.maxWaitMs), sb, claim);
      }
    }
    // Parallel calls of one configuration are spread over VMs: each VM has one vCPU, and two sandboxes on one
    // VM take turns on it while a second VM runs on another host core.
    for (const h of held) if (!runsThis(h) && claim(h)) return h;
    if (held.some(runsThis) && this.o.pool.list(exec.profile).some((v) => v.state === "ready")) {
      return this.adopt(await this.o.pool.acquire(exec.profile, this.o.maxWaitMs), sb, claim);
    }
    // Two loads on one VM share its vCPU and both take twice as long: a VM loading nothing comes first.
    const loading = (h: HeldVm): boolean =>
      [...h.sandboxes.values()].some((s) => s.state === "loading" && s !== sb);
    for (const h of held) if (!loading(h) && claim(h)) return h;
    for (const h of held) if (claim(h)) return h;
    const idle = this.idleOtherSandbox(exec);
    const vmsHeld = (this.held.get(exec.profile) ?? []).length;
    if (idle && (vmsHeld >= 2 || this.o.pool.atLimit(exec.profile))) {
      await this.unload(idle);
      if (claim(idle.held!)) return idle.held!;
    }
    return this.waitForPlace(sb, claim);
  }

  /** The least recently used idle sandbox of the profile that runs another configuration. */
  private idleOtherSandbox(exec: Execution): Sandbox | undefined {
    return this.sandboxes(exec.profile)
      .filter((s) => s.state === "ready" && !s.busy && s.held && s.exec.configKey !== exec.configKey)
      .sort((a, b) => a.lastUsedAt - b.lastUsedAt)[0];
  }

  /**
   * Waits for a VM from the pool, or for room on a VM the profile already holds, whichever comes first: on a full
   * host the pool may have nothing for this profile until one of its own sandboxes frees a slot or goes idle.
   */
  private async waitForPlace(sb: Sandbox, claim: (h: HeldVm) => boolean): Promise<HeldVm> {
    const exec = sb.exec;
    const deadline = Date.now() + this.o.maxWaitMs;
    const withdraw = new AbortController();
    const fromPool = this.o.pool.acquire(exec.profile, this.o.maxWaitMs, withdraw.signal).then(
      (vm) => ({ vm }),
      (error: unknown) => ({ error }),
    );
    try {
      for (;;) {
        const got = await Promise.race([
          fromPool,
          this.nextChange(Math.max(0, deadline - Date.now())).then(() => null),
        ]);
        if (got) {
          if ("error" in got) throw got.error;
          return this.adopt(got.vm, sb, claim);
        }
        if (this.closed) throw new SchedulerError("ENGINE_CLOSED", "Hearth is shutting down");
        for (const h of this.held.get(exec.profile) ?? []) if (claim(h)) return h;
        const idle = this.o.pool.atLimit(exec.profile) ? this.idleOtherSandbox(exec) : undefined;
        if (idle) {
          await this.unload(idle);
          if (idle.held && claim(idle.held)) return idle.held;
        }
      }
    } finally {
      withdraw.abort();
    }
  }

  /** Takes a VM from the pool into the scheduler's hands and claims a slot on it. */
  private adopt(vm: PooledVm, sb: Sandbox, claim: (h: HeldVm) => boolean): HeldVm {
    const exec = sb.exec;
    // A VM that became ready after this sandbox asked for one was started for it; else it was a waiting spare.
    const placeEpoch = Date.now() - (performance.now() - sb.startedAt);
    sb.take = (vm.readyAt ?? 0) >= placeEpoch ? (vm.origin === "restore" ? "restored" : "booted") : "warm";
    const h: HeldVm = { vm, sandboxes: new Map(), idleSince: Date.now() };
    const list = this.held.get(exec.profile) ?? [];
    list.push(h);
    this.held.set(exec.profile, list);
    vm.session!.once("lost", () => this.dropVm(h));
    const drop = (slot: number): void => {
      const failed = h.sandboxes.get(slot);
      if (failed) {
        h.sandboxes.delete(slot);
        this.emitSandbox(failed, "gone");
        this.changed();
      }
    };
    vm.session!.on("sandbox-failed", (e) => drop(e.slot));
    // A sandbox that crashed too often is not restarted by the guest: the next request loads a fresh one.
    vm.session!.on("sandbox-exit", (e) => {
      if (!e.restarting) drop(e.slot);
    });
    if (!claim(h)) {
      throw new SchedulerError(
        "VM_MEMORY_FULL",
        `a ${exec.spec.memoryMb} MB sandbox does not fit in an empty VM`,
      );
    }
    return h;
  }

  /** Stops a sandbox. Its slot (and memory) stay taken until the guest confirms, so nothing loads over it. */
  private async unload(sb: Sandbox): Promise<void> {
    const held = sb.held;
    if (!held || held.sandboxes.get(sb.slot) !== sb || sb.state === "unloading") return;
    sb.state = "unloading";
    this.emitSandbox(sb, "gone");
    try {
      await held.vm.session?.unload(sb.slot);
    } catch {
      // the VM went away; its slots go with it
    }
    if (held.sandboxes.get(sb.slot) === sb) held.sandboxes.delete(sb.slot);
    if (held.sandboxes.size === 0) {
      held.idleSince = Date.now();
      if (held.yielding) this.giveBack(held);
    }
    this.changed();
  }

  /**
   * The pool wants one of the profile's VMs back for a profile waiting on a full host: the held VM running the
   * fewest invocations stops taking new ones, finishes those it runs, unloads and goes back.
   */
  private yieldVm(profile: string): void {
    const running = (h: HeldVm): number => [...h.sandboxes.values()].filter((s) => s.busy).length;
    const h = (this.held.get(profile) ?? [])
      .filter((x) => !x.yielding)
      .sort((a, b) => running(a) - running(b) || a.sandboxes.size - b.sandboxes.size)[0];
    if (!h) return;
    h.yielding = true;
    for (const sb of h.sandboxes.values()) {
      if (sb.state !== "ready") continue;
      sb.state = "retiring";
      this.emitSandbox(sb);
      if (!sb.busy) void this.unload(sb);
    }
    if (h.sandboxes.size === 0) this.giveBack(h);
  }

  /** Hands a held VM back to the pool. */
  private giveBack(h: HeldVm): void {
    const list = this.held.get(h.vm.profile) ?? [];
    if (!list.includes(h)) return;
    this.held.set(
      h.vm.profile,
      list.filter((x) => x !== h),
    );
    h.vm.session?.removeAllListeners("sandbox-failed");
    h.vm.session?.removeAllListeners("sandbox-exit");
    this.o.pool.release(h.vm);
  }

  private dropVm(h: HeldVm): void {
    const list = (this.held.get(h.vm.profile) ?? []).filter((x) => x !== h);
    this.held.set(h.vm.profile, list);
    for (const sb of h.sandboxes.values()) this.emitSandbox(sb, "gone");
    h.sandboxes.clear();
    this.changed();
  }

  /**
   * Scale to zero: a profile the pool keeps VMs for, with nothing running, waiting or loading and no invocation
   * for idleProfileMs, gives its sandboxes and VMs back; the pool parks it until its next invocation.
   */
  private parkIdleProfiles(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const { profile } of this.o.pool.warmth()) {
      const active = this.profileActiveAt.get(profile) ?? this.startedAt;
      if (now - active < this.o.idleProfileMs) continue;
      if ((this.runningByProfile.get(profile) ?? 0) > 0 || (this.waiting.get(profile) ?? 0) > 0) continue;
      this.parkProfile(profile, "its profile was idle");
    }
  }

  /**
   * A deleted profile's VMs go back to the host's budget at once (those busy finish first, then the idle parker
   * takes them): a removed profile must not keep warm VMs that other profiles need.
   */
  dropProfile(profile: string): void {
    if (!this.parkProfile(profile, "its profile was deleted")) this.profileActiveAt.set(profile, 0);
  }

  /** Retires the profile's VMs and stops keeping spares for it; false (nothing done) while any of it is busy. */
  private parkProfile(profile: string, reason: string): boolean {
    if ((this.placing.get(profile)?.size ?? 0) > 0) return false;
    const held = this.held.get(profile) ?? [];
    if (held.some((h) => [...h.sandboxes.values()].some((sb) => sb.busy || sb.state === "loading")))
      return false;
    this.held.delete(profile);
    for (const h of held) {
      h.vm.session?.removeAllListeners("sandbox-failed");
      h.vm.session?.removeAllListeners("sandbox-exit");
      for (const sb of h.sandboxes.values()) this.emitSandbox(sb, "gone");
      h.sandboxes.clear();
      void this.o.pool.retire(h.vm, reason);
    }
    this.o.pool.park(profile);
    this.profileActiveAt.delete(profile);
    this.changed();
    return true;
  }

  /** VMs without sandboxes for a while go back to the pool as spares. */
  private releaseIdleVms(): void {
    for (const list of this.held.values()) {
      for (const h of list) {
        if (h.sandboxes.size === 0 && Date.now() - h.idleSince > this.o.idleVmMs) this.giveBack(h);
      }
    }
  }

  private changed(): void {
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const w of waiters) w();
  }

  private nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, Math.max(0, Math.min(timeoutMs, 1000)));
      this.changeWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private emitSandbox(sb: Sandbox, state: SandboxState | "gone" = sb.state): void {
    this.emit("sandbox", {
      profile: sb.exec.profile,
      vm: sb.held?.vm.name ?? "",
      slot: sb.slot,
      configKey: sb.exec.configKey,
      lineKey: sb.exec.lineKey,
      state,
      version: sb.exec.spec.functionVersion,
    });
  }

  /** Sandboxes by profile, for status views. */
  snapshot(): {
    profile: string;
    vm: string;
    slot: number;
    version: string;
    state: SandboxState;
    busy: boolean;
  }[] {
    return [...this.held.keys()].flatMap((p) =>
      this.sandboxes(p).map((s) => ({
        profile: p,
        vm: s.held?.vm.name ?? "",
        slot: s.slot,
        version: s.exec.spec.functionVersion,
        state: s.state,
        busy: s.busy,
      })),
    );
  }

  /**
   * Per VM name, what the scheduler holds there and how many invocations it served, for the pool's status view.
   * Read-only and linear in the profile's sandboxes; a sandbox being unloaded is already gone from it.
   */
  vmReport(profile?: string): Map<string, VmReport> {
    const out = new Map<string, VmReport>();
    for (const [p, list] of this.held) {
      if (profile !== undefined && p !== profile) continue;
      for (const h of list) {
        const sandboxes: SandboxReport[] = [];
        for (const s of h.sandboxes.values()) {
          if (s.state === "unloading") continue;
          sandboxes.push({
            slot: s.slot,
            taskKey: s.exec.taskKey,
            version: s.exec.spec.functionVersion,
            state: s.state === "loading" ? "loading" : s.busy ? "busy" : "ready",
            configKey: s.exec.configKey,
          });
        }
        sandboxes.sort((a, b) => a.slot - b.slot);
        const last = this.lastRequest.get(h.vm);
        out.set(h.vm.name, {
          sandboxes,
          invocations: this.served.get(h.vm) ?? 0,
          ...(last !== undefined ? { lastRequestId: last } : {}),
        });
      }
    }
    return out;
  }

  /** Invocations a VM has served, held or not (0 for one the scheduler never used). */
  invocationsOn(vm: PooledVm): number {
    return this.served.get(vm) ?? 0;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.idleTimer);
    if (this.profileTimer) clearInterval(this.profileTimer);
    this.changed();
  }

  /**
   * Stops taking new invocations and waits for the running ones to finish (or for `timeoutMs`), so a shutdown
   * answers what it already accepted. Resolves with how many were still running when it gave up.
   */
  async drain(timeoutMs: number): Promise<number> {
    this.close();
    const deadline = Date.now() + timeoutMs;
    const busy = (): number =>
      [...this.held.keys()].flatMap((p) => this.sandboxes(p)).filter((s) => s.busy).length;
    while (busy() > 0 && Date.now() < deadline) await this.nextChange(deadline - Date.now());
    return busy();
  }
}

/** Turns an agent's init failure ("SANDBOX_INIT_FAILED: Runtime.HandlerNotFound: …") into Lambda's error shape. */
function initError(message: string): LambdaError {
  const m = /(Runtime\.\w+|\w+Error): (.*)$/s.exec(message);
  return { errorType: m?.[1] ?? "Runtime.Unknown", errorMessage: m?.[2] ?? message, trace: [] };
}
