// The Pool's charts' data from one history answer: per period, the chosen VM's figures (or every VM's added up),
// and VM starts per hour, as uPlot's aligned columns (x in seconds; null is a gap).
import type { PoolHistoryView, VmPoint } from "../../main/contract.ts";
import type { Columns } from "./stats-series.ts";

export interface PoolColumns {
  /** QEMU PSS, guest used (MB) */
  memory: Columns;
  /** CPU % of one host core */
  cpu: Columns;
  /** sandboxes, VMs */
  load: Columns;
  /** boots, restores per hour */
  starts: Columns;
}

const HOUR = 3_600_000;

/** Adds up what is there; null when no VM reported the figure in that period. */
function add(a: number | null, b: number | null): number | null {
  if (b === null) return a;
  return Math.round(((a ?? 0) + b) * 10) / 10;
}

export function poolColumns(h: PoolHistoryView, vm: string | null): PoolColumns {
  const n = Math.max(1, Math.ceil((h.until - h.since) / h.periodMs));
  const x = Array.from({ length: n }, (_, i) => (h.since + i * h.periodMs) / 1000);
  const pss = new Array<number | null>(n).fill(null);
  const guest = new Array<number | null>(n).fill(null);
  const cpu = new Array<number | null>(n).fill(null);
  const sandboxes = new Array<number | null>(n).fill(null);
  const vms = new Array<number | null>(n).fill(null);
  for (const series of h.vms) {
    if (vm !== null && series.vm !== vm) continue;
    for (const p of series.points as VmPoint[]) {
      const i = Math.min(n - 1, Math.max(0, Math.round((p.t - h.since) / h.periodMs)));
      pss[i] = add(pss[i]!, p.pssMb);
      guest[i] = add(guest[i]!, p.guestUsedMb);
      cpu[i] = add(cpu[i]!, p.cpuPct);
      sandboxes[i] = add(sandboxes[i]!, p.sandboxes);
      vms[i] = add(vms[i]!, 1);
    }
  }
  const firstHour = Math.floor(h.since / HOUR) * HOUR;
  const hours = Math.max(1, Math.ceil((h.until - firstHour) / HOUR));
  const hx = Array.from({ length: hours }, (_, i) => (firstHour + i * HOUR) / 1000);
  const boots = new Array<number>(hours).fill(0);
  const restores = new Array<number>(hours).fill(0);
  for (const s of h.startList) {
    if (vm !== null && s.vm !== vm) continue;
    const i = Math.min(hours - 1, Math.max(0, Math.floor((s.t - firstHour) / HOUR)));
    if (s.origin === "boot") boots[i]!++;
    else restores[i]!++;
  }
  return {
    memory: [x, pss, guest],
    cpu: [x, cpu],
    load: [x, sandboxes, vms],
    starts: [hx, boots, restores],
  };
}

/** Per VM: its newest figures and its peaks over the range. */
export interface VmSummary {
  vm: string;
  profile: string;
  pssMb: number | null;
  peakPssMb: number | null;
  guestUsedMb: number | null;
  cpuPct: number | null;
  peakCpuPct: number | null;
  sandboxes: number;
  calls: number;
}

export function vmSummaries(h: PoolHistoryView): VmSummary[] {
  return h.vms.map((v) => {
    const last = v.points.at(-1);
    const peak = (k: "pssMb" | "cpuPct"): number | null => {
      const xs = v.points.flatMap((p) => (p[k] === null ? [] : [p[k]]));
      return xs.length ? Math.max(...xs) : null;
    };
    return {
      vm: v.vm,
      profile: v.profile,
      pssMb: last?.pssMb ?? null,
      peakPssMb: peak("pssMb"),
      guestUsedMb: last?.guestUsedMb ?? null,
      cpuPct: last?.cpuPct ?? null,
      peakCpuPct: peak("cpuPct"),
      sandboxes: last?.sandboxes ?? 0,
      calls: last?.calls ?? 0,
    };
  });
}
