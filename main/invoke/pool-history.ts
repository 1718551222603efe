// The pool over time: every VM's memory (QEMU's PSS on the host, what the guest uses), CPU, sandboxes and calls
// served, sampled every few seconds, and each VM start (boot or restore), kept in a bounded series on disk.
import type { PoolSamplePoint, PoolStartPoint } from "../domain/metrics/pool-series.ts";
import { SeriesStore } from "../store/series-store.ts";
import type { VmDriver } from "../vm/libvirt-driver.ts";
import type { VmPool, VmStateChange } from "../vm/pool.ts";
import { processUsage } from "../vm/vm-usage.ts";
import type { SandboxScheduler } from "./sandbox-scheduler.ts";

export type PoolSample = PoolSamplePoint | PoolStartPoint;

function decodeSample(v: unknown): PoolSample | null {
  if (typeof v !== "object" || v === null) return null;
  const r = v as Record<string, unknown>;
  if (typeof r.t !== "number" || typeof r.vm !== "string" || typeof r.profile !== "string") return null;
  if (r.kind === "vm" && typeof r.sandboxes === "number" && typeof r.calls === "number")
    return v as PoolSample;
  if (r.kind === "start" && (r.origin === "boot" || r.origin === "restore")) return v as PoolSample;
  return null;
}

export interface PoolHistoryOptions {
  dir: string;
  maxBytes: number;
  pool: VmPool;
  scheduler: SandboxScheduler;
  driver: VmDriver;
  /** Time between samples; HEARTH_POOL_SAMPLE_SECONDS, else 10 s. */
  intervalMs?: number;
}

/** The sampling interval asked for in the environment, else 10 s (at least 1 s). */
export function poolSampleMs(env: NodeJS.ProcessEnv): number {
  const raw = env.HEARTH_POOL_SAMPLE_SECONDS;
  if (raw === undefined || raw === "") return 10_000;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 1 || n > 3600)
    throw new Error(`INVALID_CONFIG: HEARTH_POOL_SAMPLE_SECONDS must be from 1 to 3600, not "${raw}"`);
  return Math.round(n * 1000);
}

export class PoolHistory {
  readonly series: SeriesStore<PoolSample>;
  private timer: NodeJS.Timeout | null = null;
  private readonly pids = new Map<string, number | null>();
  private readonly lastCpu = new Map<string, { at: number; cpuMs: number }>();
  private sampling = false;
  private readonly onState: (e: VmStateChange) => void;

  constructor(private readonly o: PoolHistoryOptions) {
    this.series = new SeriesStore<PoolSample>(
      o.dir,
      {
        maxBytes: o.maxBytes,
        onError: (err) => console.error(`hearth: pool history could not be written: ${err.message}`),
      },
      decodeSample,
    );
    this.onState = (e) => {
      if (e.from === "booting" && e.to === "ready") {
        this.series.append({
          t: Date.now(),
          kind: "start",
          vm: e.vm.name,
          profile: e.vm.profile,
          origin: e.vm.origin,
          ...(e.vm.readyMs !== undefined ? { readyMs: Math.round(e.vm.readyMs) } : {}),
        });
      }
      if (e.to === "gone" || e.to === "failed") {
        this.pids.delete(e.vm.name);
        this.lastCpu.delete(e.vm.name);
      }
    };
  }

  async start(): Promise<void> {
    await this.series.open();
    this.o.pool.on("vm-state", this.onState);
    this.timer = setInterval(() => void this.sample(), this.o.intervalMs ?? 10_000);
    this.timer.unref();
  }

  /** One sample of every live VM; a sample still running when the next is due makes that one skip. */
  async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const reports = this.o.scheduler.vmReport();
      const t = Date.now();
      await Promise.all(
        this.o.pool
          .list()
          .filter((vm) => vm.state === "ready" || vm.state === "busy")
          .map(async (info) => {
            const vm = this.o.pool.get(info.name);
            let pid = this.pids.get(info.name);
            if (pid === undefined) {
              pid = await this.o.driver.pid(info.name).catch(() => null);
              this.pids.set(info.name, pid);
            }
            const usage = pid === null ? null : await processUsage(pid);
            let cpuPct: number | undefined;
            if (usage) {
              const now = performance.now();
              const last = this.lastCpu.get(info.name);
              if (last && now > last.at)
                cpuPct = Math.round(((usage.cpuMs - last.cpuMs) / (now - last.at)) * 1000) / 10;
              this.lastCpu.set(info.name, { at: now, cpuMs: usage.cpuMs });
            }
            const stats = await vm?.session
              ?.stats()
              .then((s) => s.memTotalKb - s.memAvailableKb)
              .catch(() => undefined);
            const report = reports.get(info.name);
            this.series.append({
              t,
              kind: "vm",
              vm: info.name,
              profile: info.profile,
              ...(usage ? { pssKb: usage.pssKb } : {}),
              ...(stats !== undefined ? { guestUsedKb: stats } : {}),
              ...(cpuPct !== undefined ? { cpuPct: Math.max(0, cpuPct) } : {}),
              sandboxes: report?.sandboxes.length ?? 0,
              calls: report?.invocations ?? (vm ? this.o.scheduler.invocationsOn(vm) : 0),
            });
          }),
      );
    } finally {
      this.sampling = false;
    }
  }

  /** Samples and starts within [since, until), of one profile or every profile. */
  async read(q: { since: number; until: number; profile?: string }): Promise<PoolSample[]> {
    const out: PoolSample[] = [];
    await this.series.scan({ since: q.since, until: q.until }, (s) => {
      if (q.profile === undefined || s.profile === q.profile) out.push(s);
    });
    return out;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.o.pool.off("vm-state", this.onState);
    await this.series.close();
  }
}
