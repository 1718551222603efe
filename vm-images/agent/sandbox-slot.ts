// One sandbox slot in the guest: its uid, directory, cgroup and port, and the runtime process it supervises.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  INSPECTOR_PORT,
  slotUidRange,
  type ExitReason,
  type LambdaError,
  type SandboxSpec,
  type SandboxStats,
} from "../../main/vm/protocol.ts";
import { isInterpreterVariable } from "../../main/domain/tasks/interpreter-variables.ts";
import { DEFAULT_NODE_MAJOR, nodeMajorOf, runtimeFamily } from "../../main/domain/tasks/runtime-ids.ts";
import { guestRuntimeProblem, nodeBinary, readGuestRuntimes } from "./guest-runtimes.ts";

/** The runtimes this image carries, read once. */
const GUEST_RUNTIMES = readGuestRuntimes();

export interface SlotEvents {
  exit(e: {
    reason: ExitReason;
    exitCode: number | null;
    signal: string | null;
    detail: string;
    restarting: boolean;
  }): void;
  up(initMs: number, pid: number): void;
  /** The slot's sandboxes now run as `uid`: a new load, or a runtime prewarmed for the next one. */
  uid(uid: number): void;
  failed(error: LambdaError): void;
  output(stream: "stdout" | "stderr", line: string): void;
}

export class SlotError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly lambda?: LambdaError,
  ) {
    super(message);
  }
}

const RUNTIME_DIR = "/opt/hearth/runtime";
/** Starts a runtime in its own mount namespace (its /tmp is the slot's) as the slot's uid: see guestctl.c. */
const GUESTCTL = "/opt/hearth/bin/guestctl";
/** What every runtime's environment starts from. */
const BASE_ENV = { PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8", TZ: ":UTC" };
/** A runtime's start environment: the base, and the word that its task's environment follows on stdin. */
const BASE_START_ENV = { ...BASE_ENV, _HEARTH_TASK_ON_STDIN: "1" };
/**
 * A prewarmed runtime is a Node.js runtime started ahead of need, as the slot's uid, that waits on stdin for its
 * task's environment: its heap limit is fixed at start, so it serves sandboxes of this size (Lambda's default).
 */
export const PREWARM_MEMORY_MB = 128;
const PREWARM_HEAP_MB = Math.floor(PREWARM_MEMORY_MB * 0.9);
/**
 * Each slot's folder is a file system of its own (tmpfs) of this size: its code, home and /tmp. A sandbox that fills
 * it gets ENOSPC (or meets its memory limit first: what it writes there counts against it) and no other sandbox
 * notices. Lambda's /tmp is 512 MB; unpacked code is at most 250 MB.
 */
export const SLOT_DISK_MB = 512;
/** A runtime that dies this many times within RESTART_WINDOW_MS is left failed instead of restarted again. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

/** Runs guestctl as root, without holding up the agent's answers meanwhile; null when it succeeded, else why not. */
function guestctl(argv: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    const p = spawn(GUESTCTL, argv, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (c: Buffer) => (err += c.toString()));
    p.on("error", (e) => resolve(String(e)));
    p.on("exit", (code) => resolve(code === 0 ? null : `guestctl ${argv[0]} exited ${code}: ${err.trim()}`));
  });
}

function setOomScore(pid: number | undefined, score: number): void {
  if (pid === undefined) return;
  try {
    writeFileSync(`/proc/${pid}/oom_score_adj`, String(score));
  } catch {
    // already gone
  }
}

function memoryEventsOomKills(cgroup: string): number {
  try {
    const m = /oom_kill (\d+)/.exec(readFileSync(join(cgroup, "memory.events"), "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Processes any of whose uids (real, effective, saved, file system) lies in `first`…`last`, as /proc shows them. */
function pidsOfUids(first: number, last: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const m = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, "utf8"));
      if (m && m.slice(1).some((u) => Number(u) >= first && Number(u) <= last)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** The longest status line a runtime writes (a load error with its trace); longer is not a status. */
const MAX_STATUS_LINE = 64 * 1024;

interface RuntimeStatus {
  up?: boolean;
  error?: LambdaError;
  timeout?: boolean;
}

/** A status line from fd 3, or null when it is not one the runtimes write. */
function parseStatus(line: string): RuntimeStatus | null {
  if (line.length > MAX_STATUS_LINE) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (o.timeout === true) return { timeout: true };
  if (o.up === true) return { up: true };
  if (o.up !== false) return null;
  const e = o.error as Record<string, unknown> | undefined;
  const text = (x: unknown, max: number): string => (typeof x === "string" ? x.slice(0, max) : "");
  return {
    up: false,
    error: {
      errorType: text(e?.errorType, 256) || "Runtime.Unknown",
      errorMessage: text(e?.errorMessage, 16_384),
      trace: Array.isArray(e?.trace) ? e.trace.slice(0, 100).map((l) => text(l, 1024)) : [],
    },
  };
}

/** The folders of a slot its sandbox's uid owns; the slot's root itself is root's. */
const OWN_FOLDERS = ["task", "tmp", "home"] as const;

export class SandboxSlot {
  /** The uid of the slot's current load (or of the load its prewarmed runtime waits for): see slotUidRange. */
  uid: number;
  /** Whether the slot's folder is a tmpfs of its own, which each load replaces with a fresh one. */
  private ownDisk = false;
  /** Loads (and prewarmed runtimes) the slot has had in this VM's life; the next uid follows from it. */
  private loads: number;
  readonly dir: string;
  readonly taskDir: string;
  readonly cgroup: string;
  spec: SandboxSpec | null = null;
  proc: ChildProcess | null = null;
  /** A prewarmed runtime waiting for the slot's next Node.js task (see PREWARM_MEMORY_MB). */
  private prewarmed: ChildProcess | null = null;
  state: SandboxStats["state"] = "failed";
  restarts = 0;
  private recentStarts: number[] = [];
  private killReason: "timeout" | "host" | null = null;
  private stopping = false;
  private stderrTail = "";
  /** Loads and unloads of a slot run one after another, in the order the host sent them. */
  private ops: Promise<unknown> = Promise.resolve();
  private oomBefore = 0;

  constructor(
    readonly slot: number,
    readonly portDevice: string,
    private readonly events: SlotEvents,
  ) {
    this.uid = slotUidRange(slot).first;
    this.loads = this.readLoads();
    this.dir = `/var/sandboxes/${slot}`;
    this.taskDir = join(this.dir, "task");
    this.cgroup = `/sys/fs/cgroup/sbx${slot}`;
  }

  /**
   * Gives the slot its own file system (once per VM: an agent started again finds it mounted). Without it, the
   * slot's folder lives on the VM's shared sandbox disk, and the console log says so.
   */
  mountDir(): void {
    mkdirSync(this.dir, { recursive: true });
    const mounted = readFileSync("/proc/self/mounts", "utf8")
      .split("\n")
      .some((l) => l.split(" ")[1] === this.dir);
    if (mounted) {
      this.ownDisk = true;
      return;
    }
    // The root of the slot is root's (0711): the sandbox may enter it to reach its own task, tmp and home, but
    // can neither rename nor replace them, so no cleanup by the agent ever follows a link the sandbox planted.
    const options = `size=${SLOT_DISK_MB}m,mode=0711,uid=0,gid=0,nosuid,nodev`;
    const r = spawnSync("/bin/busybox", ["mount", "-t", "tmpfs", "-o", options, "tmpfs", this.dir], {
      encoding: "utf8",
    });
    this.ownDisk = r.status === 0;
    if (!this.ownDisk)
      console.log(
        `hearth-agent: slot ${this.slot} has no disk of its own: ${(r.stderr || String(r.error)).trim()}`,
      );
  }

  /**
   * Where the count of the slot's loads outlives the agent: an agent started again by init must not hand out a
   * uid its predecessor already gave a load (/run is the guest's own tmpfs, root's alone).
   */
  private get loadsFile(): string {
    return `/run/hearth-slot-${this.slot}-loads`;
  }

  private readLoads(): number {
    try {
      return Number(readFileSync(this.loadsFile, "utf8")) || 0;
    } catch {
      return 0;
    }
  }

  /** The uid no earlier load of this VM's life ran as (until the range wraps: see slotUidRange). */
  private nextUid(): number {
    this.loads++;
    try {
      writeFileSync(this.loadsFile, String(this.loads));
    } catch (err) {
      console.log(`hearth-agent: slot ${this.slot}'s load count is not kept: ${String(err)}`);
    }
    const { first, last } = slotUidRange(this.slot);
    return first + (this.loads % (last - first + 1));
  }

  /**
   * Gives the slot a new uid and folders no earlier load ever had: a fresh tmpfs holding that uid's own empty task,
   * tmp and home (none with `uid` null). Nothing of the old folders is followed or even emptied: the old file system
   * is detached whole, so a link or folder an earlier load planted, or swapped while it was being removed, leads
   * nowhere, and a process of an earlier load that somehow survived keeps only its old files.
   */
  private async freshFolders(uid: number | null): Promise<void> {
    if (uid !== null) this.uid = uid;
    const argv = ["fresh", this.dir, String(SLOT_DISK_MB), ...(uid === null ? [] : [String(uid)])];
    const failure = this.ownDisk ? await guestctl(argv) : "the slot has no disk of its own";
    if (failure !== null) {
      if (this.ownDisk)
        this.events.output("stderr", `hearth-agent: fresh disk for slot ${this.slot} failed: ${failure}`);
      // The folders are emptied in place instead.
      this.emptyDir(false, uid !== null);
    }
    if (uid !== null) this.events.uid(uid);
  }

  get hasPrewarmed(): boolean {
    return this.prewarmed !== null;
  }

  /**
   * Starts a runtime that waits for the slot's next task, so loading it is unpacking code and importing the
   * handler, not starting Node.js (0.4–0.9 s under TCG). Only ever called after the VM's restore and resync: a
   * process from before the restore would carry the template's random state into every clone. In turn with the
   * slot's loads: one sent meanwhile finds the runtime ready to take.
   */
  prewarm(): Promise<void> {
    return this.serial(() => this.prewarmNow());
  }

  private async prewarmNow(): Promise<void> {
    if (this.prewarmed || this.spec || this.proc) return;
    // Started as the uid of the load that will take it, in that load's fresh folders (see loadNow).
    this.killStrays();
    await this.freshFolders(this.nextUid());
    const [cmd, ...args] = this.command("nodejs", PREWARM_MEMORY_MB);
    const p = spawn(cmd!, args, {
      cwd: "/",
      env: BASE_START_ENV,
      stdio: ["pipe", "pipe", "pipe", "pipe"],
    });
    this.prewarmed = p;
    const forget = (): void => {
      if (this.prewarmed === p) this.prewarmed = null;
    };
    p.on("error", forget);
    p.on("exit", forget);
    // Until it has a task, it is the first process the guest gives up when memory runs out.
    setOomScore(p.pid, 1000);
  }

  dropPrewarmed(): void {
    const p = this.prewarmed;
    this.prewarmed = null;
    p?.kill("SIGKILL");
  }

  /** The prewarmed runtime, if it can serve `spec`; any other is killed, as no load will ever take it. */
  private takePrewarmed(spec: SandboxSpec): ChildProcess | null {
    const p = this.prewarmed;
    this.prewarmed = null;
    if (!p) return null;
    // A `provided` task's runtime is the same Node.js program relaying to its bootstrap, whose heap limit the
    // bootstrap does not share: it fits at any size.
    const family = runtimeFamily(spec.runtime);
    const fits =
      ((family === "nodejs" &&
        nodeMajorOf(spec.runtime) === DEFAULT_NODE_MAJOR &&
        spec.memoryMb === PREWARM_MEMORY_MB) ||
        family === "provided") &&
      // The inspector is a start option too.
      !spec.inspect &&
      // A runtime already started cannot honour what its owner set for its start (NODE_OPTIONS, say).
      !Object.keys(this.startEnvironment(spec)).some((k) => !Object.hasOwn(BASE_START_ENV, k)) &&
      p.exitCode === null &&
      p.signalCode === null &&
      p.stdin?.writable === true;
    if (!fits) {
      p.kill("SIGKILL");
      return null;
    }
    setOomScore(p.pid, 0);
    return p;
  }

  /** Replaces whatever the slot held with new code and starts its runtime; resolves once the handler is loaded. */
  load(
    spec: SandboxSpec,
    codeB64: string,
    sha256: string,
  ): Promise<{ initMs: number; pid: number; prewarmed: boolean }> {
    return this.serial(() => this.loadNow(spec, codeB64, sha256));
  }

  unload(): Promise<void> {
    return this.serial(() => this.unloadNow());
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.ops.then(op, op);
    this.ops = run.catch(() => undefined);
    return run;
  }

  private async loadNow(
    spec: SandboxSpec,
    codeB64: string,
    sha256: string,
  ): Promise<{ initMs: number; pid: number; prewarmed: boolean }> {
    const unavailable = guestRuntimeProblem(spec.runtime, GUEST_RUNTIMES);
    if (unavailable !== null) throw new SlotError("RUNTIME_UNSUPPORTED", unavailable);
    const code = Buffer.from(codeB64, "base64");
    const actual = createHash("sha256").update(code).digest("hex");
    if (actual !== sha256) {
      throw new SlotError("CODE_CHECKSUM_MISMATCH", `code sha256 is ${actual}, expected ${sha256}`);
    }
    await this.stop();
    this.spec = null;
    // A prewarmed runtime already runs as a uid of its own, in fresh folders nothing but it has seen: the load
    // that takes it takes both. Every other load gets a new uid and new folders, after every process of the
    // slot's earlier loads is gone.
    const prewarmed = this.takePrewarmed(spec);
    this.killStrays(prewarmed?.pid);
    if (!prewarmed) await this.freshFolders(this.nextUid());
    const zip = join(this.dir, "code.zip");
    try {
      // Created, never opened if something is there already: the slot's root is root's, and this is its only file.
      const fd = openSync(
        zip,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o400,
      );
      try {
        writeFileSync(fd, code);
        fchownSync(fd, this.uid, this.uid);
      } finally {
        closeSync(fd);
      }
      // Unpacked as the load's own uid into its new task folder: a crafted entry can write nowhere that uid could
      // not write anyway, and no earlier load's uid can reach that folder while it is being filled.
      await this.runAs(["/bin/busybox", "unzip", "-q", "-o", zip, "-d", this.taskDir]);
    } catch (err) {
      prewarmed?.kill("SIGKILL");
      throw err;
    } finally {
      rmSync(zip, { force: true });
    }
    chownSync(this.portDevice, this.uid, this.uid);
    chmodSync(this.portDevice, 0o600);
    this.setupCgroup(spec.memoryMb);
    this.spec = spec;
    this.restarts = 0;
    this.recentStarts = [];
    return this.start(prewarmed);
  }

  private runAs(argv: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const p = spawn(argv[0]!, argv.slice(1), {
        uid: this.uid,
        gid: this.uid,
        stdio: ["ignore", "ignore", "pipe"],
      });
      let err = "";
      p.stderr!.on("data", (c: Buffer) => (err += c.toString()));
      p.on("error", reject);
      p.on("exit", (code) =>
        code === 0
          ? resolve()
          : reject(new SlotError("CODE_UNPACK_FAILED", `unzip exited ${code}: ${err.trim()}`)),
      );
    });
  }

  private setupCgroup(memoryMb: number): void {
    try {
      mkdirSync(this.cgroup, { recursive: true });
      writeFileSync(join(this.cgroup, "memory.max"), String(memoryMb * 1024 * 1024));
      writeFileSync(join(this.cgroup, "memory.swap.max"), "0");
      writeFileSync(join(this.cgroup, "pids.max"), "256");
    } catch (err) {
      // Without cgroups the sandbox still runs; the memory limit then rests on the runtime's own heap limit.
      this.events.output("stderr", `hearth-agent: cgroup setup for slot ${this.slot} failed: ${String(err)}`);
    }
  }

  private command(runtime: SandboxSpec["runtime"], memoryMb: number, inspect = false): string[] {
    const enter = [GUESTCTL, "enter", join(this.dir, "tmp"), String(this.uid)];
    // -I: isolated, so no PYTHON* variable, user site or current folder shapes the runtime before it runs.
    if (runtimeFamily(runtime) === "python3")
      return [...enter, "/usr/bin/python3", "-I", "-B", `${RUNTIME_DIR}/python.py`];
    // A `provided` task's bootstrap is served by Node.js's runtime program (see runtime-provided.ts).
    const heapMb =
      runtimeFamily(runtime) === "provided" ? PREWARM_HEAP_MB : Math.max(16, Math.floor(memoryMb * 0.9));
    // The inspector listens on the sandbox's own loopback: only the agent's tunnels reach it (inspector-tunnels.ts).
    const inspector =
      inspect && runtimeFamily(runtime) === "nodejs" ? [`--inspect=127.0.0.1:${INSPECTOR_PORT}`] : [];
    return [
      ...enter,
      nodeBinary(runtime),
      `--max-old-space-size=${heapMb}`,
      ...inspector,
      `${RUNTIME_DIR}/node.mjs`,
    ];
  }

  /**
   * Leaves the slot's folder root's, holding (with `withFolders`) its uid's own empty tmp and home, and its task
   * folder: the code when `keepTask`, empty otherwise. Anything in the root that is not one of the kept real
   * folders goes, a link included, without being followed; ownership is set through a descriptor opened with
   * O_NOFOLLOW. Used to restart a load's runtime with its code, and for a slot with no disk of its own.
   */
  private emptyDir(keepTask: boolean, withFolders = true): void {
    const kept = new Set<string>(keepTask ? OWN_FOLDERS : []);
    const root = lstatSync(this.dir);
    if (!root.isDirectory()) throw new SlotError("SLOT_BROKEN", `${this.dir} is not a directory`);
    chownSync(this.dir, 0, 0);
    chmodSync(this.dir, 0o711);
    for (const entry of readdirSync(this.dir)) {
      const path = join(this.dir, entry);
      const st = lstatSync(path);
      if (kept.has(entry) && st.isDirectory()) continue;
      if (st.isDirectory()) rmSync(path, { recursive: true, force: true });
      else unlinkSync(path);
    }
    if (withFolders) for (const name of OWN_FOLDERS) this.ownFolder(name, name !== "task");
  }

  /** Makes `name` a real folder of the slot's uid (mode 0700), emptied when `empty`. */
  private ownFolder(name: string, empty: boolean): void {
    const path = join(this.dir, name);
    let exists = true;
    try {
      lstatSync(path);
    } catch {
      exists = false;
    }
    if (!exists) mkdirSync(path, { mode: 0o700 });
    const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      if (empty) {
        // Entries are removed, never followed: rmSync looks at each with lstat.
        for (const entry of readdirSync(path)) rmSync(join(path, entry), { recursive: true, force: true });
      }
      fchownSync(fd, this.uid, this.uid);
      fchmodSync(fd, 0o700);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Kills every process of the slot: its cgroup, and anything else running as any uid of the slot's range, the
   * current load's or an earlier one's (a runtime an earlier agent left behind, which no cgroup of this agent's
   * knows). `spare` is a process the slot still means to use (its prewarmed runtime).
   */
  killStrays(spare?: number): void {
    const { first, last } = slotUidRange(this.slot);
    try {
      writeFileSync(join(this.cgroup, "cgroup.kill"), "1");
    } catch {
      // no cgroup yet
    }
    for (let round = 0; round < 50; round++) {
      const pids = pidsOfUids(first, last).filter((p) => p !== spare);
      if (pids.length === 0) return;
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      Atomics.wait(PAUSE, 0, 0, 2);
    }
  }

  /**
   * The task's whole environment, as its code sees it once the runtime has started. A caller's variable that
   * steers a runtime or the loader is dropped here whatever the host sent: defence in depth behind the host's
   * allow-list, for the code the task itself starts later (a child process reads LD_PRELOAD, NODE_OPTIONS…).
   */
  private environment(spec: SandboxSpec): Record<string, string> {
    const caller = new Set(spec.callerEnv ?? []);
    const taskEnv = Object.fromEntries(
      Object.entries(spec.env).filter(([k]) => !(caller.has(k) && isInterpreterVariable(k))),
    );
    return {
      ...BASE_ENV,
      ...taskEnv,
      // Set after the task's environment so that a task cannot redirect its own runtime.
      HOME: join(this.dir, "home"),
      TMPDIR: join(this.dir, "tmp"),
      LAMBDA_TASK_ROOT: this.taskDir,
      LAMBDA_RUNTIME_DIR: RUNTIME_DIR,
      _HANDLER: spec.handler,
      AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: spec.functionVersion,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
      _HEARTH_PORT: this.portDevice,
      // Set here whatever the task's environment said: only the agent decides whether a bootstrap runs.
      _HEARTH_BOOTSTRAP: runtimeFamily(spec.runtime) === "provided" ? "1" : "0",
      _HEARTH_TIMEOUT_MS: String(spec.timeoutMs),
    };
  }

  /**
   * What a runtime process starts with: Hearth's fixed variables and only the interpreter variables the task's
   * owner set (NODE_OPTIONS for source maps, say). Everything else, a caller's values above all, arrives on the
   * runtime's stdin after it started (environment()), so nothing a caller sent can shape how it starts.
   */
  private startEnvironment(spec: SandboxSpec): Record<string, string> {
    const caller = new Set(spec.callerEnv ?? []);
    const owners = Object.entries(spec.env).filter(([k]) => !caller.has(k) && isInterpreterVariable(k));
    const fixed = new Set(Object.keys(BASE_ENV));
    return {
      ...BASE_START_ENV,
      ...Object.fromEntries(owners.filter(([k]) => !fixed.has(k) && k !== "HOME" && k !== "TMPDIR")),
    };
  }

  /** Starts the slot's runtime, or hands its task to `ready`, a prewarmed one that waits for it. */
  private start(
    ready: ChildProcess | null = null,
  ): Promise<{ initMs: number; pid: number; prewarmed: boolean }> {
    const spec = this.spec!;
    const started = performance.now();
    this.state = "starting";
    this.killReason = null;
    this.stderrTail = "";
    this.oomBefore = memoryEventsOomKills(this.cgroup);
    this.recentStarts = [...this.recentStarts.filter((t) => Date.now() - t < RESTART_WINDOW_MS), Date.now()];
    const [cmd, ...args] = this.command(spec.runtime, spec.memoryMb, spec.inspect === true);
    const proc =
      ready ??
      spawn(cmd!, args, {
        cwd: this.taskDir,
        env: this.startEnvironment(spec),
        stdio: ["pipe", "pipe", "pipe", "pipe"],
      });
    this.proc = proc;
    try {
      writeFileSync(join(this.cgroup, "cgroup.procs"), String(proc.pid));
    } catch {
      // no cgroup (see setupCgroup)
    }
    // Every runtime gets its task's environment only now, inside the slot's cgroup, on stdin: the environment and
    // where the code is. A runtime that died before reading it leaves a pipe error nobody needs to hear of.
    proc.stdin!.on("error", () => undefined);
    proc.stdin!.end(`${JSON.stringify({ env: this.environment(spec), cwd: this.taskDir })}\n`);
    this.forwardLines(proc, "stdout");
    this.forwardLines(proc, "stderr");

    return new Promise((resolve, reject) => {
      let status = "";
      let settled = false;
      const settle = (fn: () => void): void => {
        if (!settled) {
          settled = true;
          fn();
        }
      };
      // fd 3 carries the runtime's status lines: first whether the handler loaded, later its own watchdog's
      // word that an invocation overran its timeout (it then kills itself; the exit is a timeout, not a crash).
      // The task's own code can write to fd 3 too: every line is checked, and one that is not a status ends the
      // runtime (as a failed start, or a crash) instead of the agent.
      (proc.stdio[3] as NodeJS.ReadableStream).on("data", (c: Buffer) => {
        status += c.toString();
        if (status.length > MAX_STATUS_LINE && !status.includes("\n")) status = "{}\n";
        let nl: number;
        while ((nl = status.indexOf("\n")) >= 0) {
          const line = status.slice(0, nl);
          status = status.slice(nl + 1);
          const msg = parseStatus(line);
          if (msg === null) {
            this.killAll();
            settle(() =>
              reject(new SlotError("SANDBOX_INIT_FAILED", "Runtime.Unknown: unreadable runtime status")),
            );
            continue;
          }
          if (msg.timeout) {
            this.killReason ??= "timeout";
          } else if (msg.up) {
            this.state = "up";
            settle(() =>
              resolve({
                initMs: Math.round(performance.now() - started),
                pid: proc.pid!,
                prewarmed: ready !== null,
              }),
            );
          } else if (!settled) {
            const error = msg.error ?? {
              errorType: "Runtime.Unknown",
              errorMessage: "runtime failed to start",
              trace: [],
            };
            this.state = "failed";
            settle(() =>
              reject(
                new SlotError("SANDBOX_INIT_FAILED", `${error.errorType}: ${error.errorMessage}`, error),
              ),
            );
          }
        }
      });
      proc.on("error", (err) => {
        this.state = "failed";
        settle(() => reject(new SlotError("SANDBOX_SPAWN_FAILED", String(err))));
      });
      proc.on("exit", (code, signal) => {
        const detail = this.stderrTail.trim().split("\n").slice(-5).join("\n");
        settle(() =>
          reject(
            new SlotError(
              "SANDBOX_INIT_FAILED",
              `runtime exited during start (${signal ?? `exit ${code}`}): ${detail}`,
              {
                errorType: "Runtime.ExitError",
                errorMessage: `Runtime exited during init with ${signal ? `signal: ${signal}` : `exit status ${code}`}`,
                trace: detail ? detail.split("\n") : [],
              },
            ),
          ),
        );
        this.onExit(proc, code, signal);
      });
    });
  }

  private forwardLines(proc: ChildProcess, stream: "stdout" | "stderr"): void {
    let pending = "";
    proc[stream]!.on("data", (c: Buffer) => {
      const text = c.toString();
      if (stream === "stderr") this.stderrTail = (this.stderrTail + text).slice(-4096);
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        this.events.output(stream, pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      if (pending.length > 8192) {
        this.events.output(stream, pending);
        pending = "";
      }
    });
  }

  private classify(code: number | null, signal: string | null): ExitReason {
    if (this.killReason === "timeout") return "timeout";
    if (this.killReason === "host" || this.stopping) return "killed";
    if (memoryEventsOomKills(this.cgroup) > this.oomBefore) return "oom";
    if (/heap out of memory|Reached heap limit|MemoryError/.test(this.stderrTail)) return "oom";
    return signal ? "signal" : "exit";
  }

  private onExit(proc: ChildProcess, code: number | null, signal: string | null): void {
    if (this.proc !== proc) return;
    this.proc = null;
    const reason = this.classify(code, signal);
    const detail = this.stderrTail.trim().split("\n").slice(-5).join("\n");
    if (this.stopping || !this.spec || this.state !== "up") {
      // Stopped on purpose, or died while starting: the caller of start() hears of it through its promise.
      this.state = "failed";
      return;
    }
    const budgetLeft =
      this.recentStarts.filter((t) => Date.now() - t < RESTART_WINDOW_MS).length < MAX_RESTARTS;
    const restarting = budgetLeft;
    this.events.exit({ reason, exitCode: code, signal, detail, restarting });
    // A runtime that died leaves a fresh environment behind, as Lambda does: nothing it started lives on in the
    // cgroup (a fork bomb's shells would kill its successor during init), and what it wrote is gone (a full
    // sandbox disk would refuse every other sandbox of the VM its code).
    this.killAll();
    this.killStrays(this.prewarmed?.pid);
    this.clearScratch();
    if (!restarting) {
      this.state = "failed";
      return;
    }
    this.state = "restarting";
    this.restarts++;
    this.start().then(
      ({ initMs, pid }) => this.events.up(initMs, pid),
      (err: unknown) => {
        this.state = "failed";
        const e = err as SlotError;
        this.events.failed(e.lambda ?? { errorType: "Runtime.Unknown", errorMessage: e.message, trace: [] });
      },
    );
  }

  /** Empties the slot's folder but for its code: home and tmp as a new runtime finds them. */
  private clearScratch(): void {
    try {
      this.emptyDir(true);
    } catch (err) {
      this.events.output("stderr", `hearth-agent: clearing slot ${this.slot} failed: ${String(err)}`);
    }
  }

  /**
   * Kills the runtime and everything it started; the exit handler decides whether it comes back. With `pid`, only
   * that runtime: the host's timer and the runtime's own watchdog can both fire for one overrun, and the host's
   * word must not reach the runtime started in its place.
   */
  kill(reason: "timeout" | "host", pid?: number): void {
    if (pid !== undefined && this.proc?.pid !== pid) return;
    this.killReason = reason;
    this.killAll();
  }

  private killAll(): void {
    try {
      writeFileSync(join(this.cgroup, "cgroup.kill"), "1");
    } catch {
      this.proc?.kill("SIGKILL");
    }
    this.proc?.kill("SIGKILL");
  }

  /** Stops the runtime for good (no restart) and waits until it is gone. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.stopping = true;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      this.killAll();
    });
    this.stopping = false;
  }

  private async unloadNow(): Promise<void> {
    await this.stop();
    this.killStrays(this.prewarmed?.pid);
    this.spec = null;
    this.state = "failed";
    // Nothing of the load stays behind, not even its empty folders: the next load brings its own. A prewarmed
    // runtime (the host unloaded a slot it never loaded) keeps the folders it was started in.
    if (!this.prewarmed) await this.freshFolders(null);
    try {
      rmdirSync(this.cgroup);
    } catch {
      // busy or absent: it is reused by the next load
    }
  }

  stats(): SandboxStats | null {
    if (!this.spec) return null;
    let rssKb = 0;
    if (this.proc?.pid) {
      try {
        const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${this.proc.pid}/status`, "utf8"));
        rssKb = m ? Number(m[1]) : 0;
      } catch {
        // exited between the check and the read
      }
    }
    return {
      slot: this.slot,
      pid: this.proc?.pid ?? null,
      state: this.state,
      rssKb,
      functionName: this.spec.functionName,
      functionVersion: this.spec.functionVersion,
      restarts: this.restarts,
    };
  }
}
