// The pool over time as charts draw it: each VM's samples reduced to one point per period (the most memory, the
// mean CPU), and VM starts (boots, restores) counted per hour.
import { defaultPeriodMs } from "./invocation-stats.ts";

export interface PoolSamplePoint {
  t: number;
  kind: "vm";
  vm: string;
  profile: string;
  pssKb?: number;
  guestUsedKb?: number;
  cpuPct?: number;
  sandboxes: number;
  calls: number;
}

export interface PoolStartPoint {
  t: number;
  kind: "start";
  vm: string;
  profile: string;
  origin: "boot" | "restore";
  readyMs?: number;
}

/** One VM's point of one period. */
export interface VmPoint {
  t: number;
  pssMb: number | null;
  guestUsedMb: number | null;
  cpuPct: number | null;
  sandboxes: number;
  /** Calls the VM had served by the period's end. */
  calls: number;
}

export interface VmSeries {
  vm: string;
  profile: string;
  points: VmPoint[];
}

export interface StartsPerHour {
  /** The hour's start, epoch ms. */
  t: number;
  boots: number;
  restores: number;
}

export interface PoolHistoryView {
  since: number;
  until: number;
  periodMs: number;
  vms: VmSeries[];
  starts: StartsPerHour[];
  /** Every start in the range, newest last (how long each took). */
  startList: { t: number; vm: string; profile: string; origin: "boot" | "restore"; readyMs?: number }[];
}

const HOUR = 3_600_000;

function mb(kb: number): number {
  return Math.round((kb / 1024) * 10) / 10;
}

/** Reduces samples to at most about 100 points per VM (or one per sample when they are fewer). */
export function poolHistoryView(
  samples: readonly (PoolSamplePoint | PoolStartPoint)[],
  range: { since: number; until: number; periodMs?: number; profileName?: (id: string) => string },
): PoolHistoryView {
  const { since, until } = range;
  const periodMs = range.periodMs ?? defaultPeriodMs(until - since);
  const name = range.profileName ?? ((id: string) => id);
  const byVm = new Map<string, { profile: string; buckets: Map<number, PoolSamplePoint[]> }>();
  const hours = new Map<number, StartsPerHour>();
  const startList: PoolHistoryView["startList"] = [];
  for (const s of samples) {
    if (s.t < since || s.t >= until) continue;
    if (s.kind === "start") {
      const h = Math.floor(s.t / HOUR) * HOUR;
      const e = hours.get(h) ?? { t: h, boots: 0, restores: 0 };
      if (s.origin === "boot") e.boots++;
      else e.restores++;
      hours.set(h, e);
      startList.push({
        t: s.t,
        vm: s.vm,
        profile: name(s.profile),
        origin: s.origin,
        ...(s.readyMs !== undefined ? { readyMs: s.readyMs } : {}),
      });
      continue;
    }
    const v = byVm.get(s.vm) ?? { profile: s.profile, buckets: new Map() };
    const b = since + Math.floor((s.t - since) / periodMs) * periodMs;
    const list = v.buckets.get(b) ?? [];
    list.push(s);
    v.buckets.set(b, list);
    byVm.set(s.vm, v);
  }
  const vms: VmSeries[] = [...byVm].map(([vm, v]) => ({
    vm,
    profile: name(v.profile),
    points: [...v.buckets]
      .sort((a, b) => a[0] - b[0])
      .map(([t, list]) => {
        const pss = list.flatMap((s) => (s.pssKb === undefined ? [] : [s.pssKb]));
        const guest = list.flatMap((s) => (s.guestUsedKb === undefined ? [] : [s.guestUsedKb]));
        const cpu = list.flatMap((s) => (s.cpuPct === undefined ? [] : [s.cpuPct]));
        return {
          t,
          pssMb: pss.length ? mb(Math.max(...pss)) : null,
          guestUsedMb: guest.length ? mb(Math.max(...guest)) : null,
          cpuPct: cpu.length ? Math.round((cpu.reduce((a, c) => a + c, 0) / cpu.length) * 10) / 10 : null,
          sandboxes: Math.max(...list.map((s) => s.sandboxes)),
          calls: Math.max(...list.map((s) => s.calls)),
        };
      }),
  }));
  vms.sort((a, b) => a.profile.localeCompare(b.profile) || a.vm.localeCompare(b.vm));
  return {
    since,
    until,
    periodMs,
    vms,
    starts: [...hours.values()].sort((a, b) => a.t - b.t),
    startList,
  };
}
