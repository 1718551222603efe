// The composition root: builds the store, the VM driver and pool, the scheduler, the engine, logs, the async
// queue, the connections to other machines' Hearths, the sharing registry and the invoker every transport calls
// from config, and takes them down in order.
import { join } from "node:path";
import { AsyncInvocations } from "./invoke/async-invocations.ts";
import { Engine } from "./invoke/engine.ts";
import { ScheduleRunner } from "./invoke/schedule-runner.ts";
import { InspectorPorts } from "./invoke/inspector-ports.ts";
import { ProjectSessions } from "./project/project-sessions.ts";
import { InvocationLogs } from "./invoke/invocation-logs.ts";
import { InvocationMetrics } from "./invoke/invocation-metrics.ts";
import { PoolHistory, poolSampleMs } from "./invoke/pool-history.ts";
import { Telemetry } from "./invoke/telemetry.ts";
import { Invoker } from "./invoke/invoker.ts";
import { SandboxScheduler } from "./invoke/sandbox-scheduler.ts";
import { RemoteConnections } from "./remote/remote-connections.ts";
import { SharingRegistry } from "./remote/sharing-registry.ts";
import { openHearthStore, type HearthStore } from "./store/hearth-store.ts";
import { openDataDir } from "./store/private-data-dir.ts";
import { LogFiles } from "./store/log-files.ts";
import { megabytesSetting } from "./store/size-setting.ts";
import { systemRandom } from "./store/system-random.ts";
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
import type { StartupProgress } from "./startup-progress.ts";

export interface HostOptions {
  dataDir: string;
  imageDir?: string;
  driver?: VmDriver;
  /** Ready spare VMs per profile. */
  warm?: number;
  maxVmsPerProfile?: number;
  /** VMs alive at once across all profiles; by default HEARTH_MAX_VMS, else twice the cores (at least 4). */
  maxVms?: number;
  asyncRetryDelaysMs?: number[];
  /** A profile unused this long gives its VMs back (scale to zero); by default HEARTH_IDLE_MINUTES, else 10 min. */
  idleProfileMs?: number;
  /**
   * A VM untouched this long gives its spare guest memory back (0: never); by default HEARTH_SQUEEZE_SECONDS, else
   * never (free page reporting alone gives back what the guest frees).
   */
  squeezeIdleMs?: number;
  /** The bound of the metrics kept on disk, in MB; by default HEARTH_METRICS_MB, else 50. */
  metricsMb?: number;
}

/** HEARTH_SQUEEZE_SECONDS: seconds a VM stays untouched before its spare memory is squeezed out; unset or 0: never. */
export function squeezeIdleMsFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.HEARTH_SQUEEZE_SECONDS;
  if (raw === undefined || raw.trim() === "") return 0;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new Error(`INVALID_CONFIG: HEARTH_SQUEEZE_SECONDS must be a number of seconds ≥ 0, not "${raw}"`);
  return Math.round(seconds * 1000);
}

export class Host {
  /** How this host's start went, when someone watched it (the window shows it); absent: started in-process. */
  startup: StartupProgress | null = null;

  private constructor(
    readonly dataDir: string,
    readonly manifest: ImageManifest,
    readonly accel: Accel,
    readonly driver: VmDriver,
    readonly store: HearthStore,
    readonly pool: VmPool,
    readonly scheduler: SandboxScheduler,
    readonly logs: InvocationLogs,
    /** Every invocation's figures and timeline, kept within the metrics' bound. */
    readonly metrics: InvocationMetrics,
    /** Each VM's memory, CPU, sandboxes and calls over time, and every VM start. */
    readonly poolHistory: PoolHistory,
    /** The export of invocations as OpenTelemetry spans, when the owner names a collector. */
    readonly telemetry: Telemetry,
    readonly engine: Engine,
    readonly async: AsyncInvocations,
    /** The one way into an invocation: the Lambda API, the native API, the window and APIs all call it. */
    readonly invoker: Invoker,
    readonly removedAtStart: string[],
    /** The pinned connections to teammates' shared listeners that remote aliases and APIs call through. */
    readonly remoteConnections: RemoteConnections,
    /** The shared listener serving this host while sharing is on, and what share links name. */
    readonly sharing: SharingRegistry,
    /** The profiles' rate and cron schedules, sent through the async queue while Hearth runs. */
    readonly schedules: ScheduleRunner,
  ) {
    this.inspectors = new InspectorPorts(scheduler, (taskId) => engine.inspectExecution(taskId));
  }

  /** The ports debuggers attach to, one per task under the debugger (on 127.0.0.1 only). */
  readonly inspectors: InspectorPorts;

  /** Projects opened from the window, following their files. */
  readonly projects = new ProjectSessions();

  static async start(o: HostOptions): Promise<Host> {
    // First, before the acceleration probe writes its answer there: a data directory open to others is refused.
    await openDataDir(o.dataDir);
    const dir = o.imageDir ?? defaultImageDir();
    const manifest = loadManifest(dir);
    if (!manifest)
      throw new Error(`IMAGE_NOT_BUILT: no guest image in ${dir}; build it with "npm run image"`);
    const { accel } = await chooseAccel(bootFiles(manifest, dir), join(o.dataDir, "vm", "accel.json"));
    const store = await openHearthStore(o.dataDir);
    const driver = o.driver ?? new LibvirtDriver();
    const pool = new VmPool({
      driver,
      manifest,
      imageDir: dir,
      accel,
      dataDir: join(o.dataDir, "vm"),
      warm: o.warm ?? 1,
      maxPerProfile: o.maxVmsPerProfile ?? 4,
      ...maxVmsOption(o.maxVms),
      squeezeIdleMs: o.squeezeIdleMs ?? squeezeIdleMsFromEnv(process.env),
    });
    let removed: string[];
    try {
      removed = await pool.start();
    } catch (err) {
      await store.close();
      throw err;
    }
    const scheduler = new SandboxScheduler({
      pool,
      ...(o.idleProfileMs !== undefined ? { idleProfileMs: o.idleProfileMs } : {}),
    });
    const logs = new InvocationLogs(
      new LogFiles(join(o.dataDir, "logs", "tasks"), {
        maxTotalBytes: megabytesSetting("HEARTH_LOGS_MB", process.env.HEARTH_LOGS_MB, 200, 1_000_000),
      }),
    );
    // Four fifths of the bound for invocations, one for the pool's samples.
    const metricsBound = megabytesSetting(
      "HEARTH_METRICS_MB",
      o.metricsMb ?? process.env.HEARTH_METRICS_MB,
      50,
      100_000,
    );
    const metrics = new InvocationMetrics({
      dir: join(o.dataDir, "metrics", "invocations"),
      maxBytes: Math.floor(metricsBound * 0.8),
    });
    metrics
      .open()
      .catch((err: unknown) =>
        console.error(`hearth: earlier invocation metrics could not be read: ${(err as Error).message}`),
      );
    const poolHistory = new PoolHistory({
      dir: join(o.dataDir, "metrics", "pool"),
      maxBytes: Math.max(64 * 1024, Math.floor(metricsBound * 0.2)),
      pool,
      scheduler,
      driver,
      intervalMs: poolSampleMs(process.env),
    });
    await poolHistory.start();
    const telemetry = new Telemetry(o.dataDir, metrics, store);
    await telemetry.start();
    const engine = new Engine(store, scheduler, systemRandom.float, logs, metrics);
    const asyncInvocations = new AsyncInvocations(engine, {
      dir: join(o.dataDir, "async"),
      ...(o.asyncRetryDelaysMs ? { retryDelaysMs: o.asyncRetryDelaysMs } : {}),
    });
    await asyncInvocations.start();
    const schedules = new ScheduleRunner(store, asyncInvocations);
    await schedules.start();
    // Every profile gets its warm VMs from the start: its first invocation finds one ready.
    for (const p of store.documents.state.profiles) pool.ensure(p.id);
    const remoteConnections = new RemoteConnections();
    return new Host(
      o.dataDir,
      manifest,
      accel,
      driver,
      store,
      pool,
      scheduler,
      logs,
      metrics,
      poolHistory,
      telemetry,
      engine,
      asyncInvocations,
      new Invoker({ store, engine, async: asyncInvocations, remoteConnections }),
      removed,
      remoteConnections,
      new SharingRegistry(),
      schedules,
    );
  }

  /**
   * Stops a shared listener still serving, answers what was accepted (up to `drainMs`), then closes the connections
   * to other machines, destroys every VM this host started and closes the store.
   */
  async close(drainMs = 10_000): Promise<void> {
    await this.sharing.close();
    this.inspectors.closeAll();
    await this.projects.closeAll();
    this.schedules.close();
    this.async.pause();
    await this.scheduler.drain(drainMs);
    this.async.close();
    await this.logs.flush();
    await this.telemetry.close();
    await this.metrics.close();
    await this.poolHistory.close();
    this.remoteConnections.close();
    await this.pool.close();
    await this.driver.close();
    await this.store.close();
  }
}

/** The host-wide VM cap asked for, by option or HEARTH_MAX_VMS; absent: the pool's default for this machine. */
function maxVmsOption(asked: number | undefined): { maxVms?: number } {
  const raw = asked ?? process.env.HEARTH_MAX_VMS;
  if (raw === undefined || raw === "") return {};
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw new Error(
      `INVALID_INPUT: HEARTH_MAX_VMS must be a whole number from 1 to 1024, not "${String(raw)}"`,
    );
  }
  return { maxVms: n };
}
