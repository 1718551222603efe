// The VMs every profile of one host shares: how many may live at once, each profile's fair share of them, whose
// VM gives way when another profile waits for one, whose boot goes next, and what CPU weight a profile's VMs get.

/** One profile's VMs as the budget sees them. */
export interface ProfileLoad {
  profile: string;
  /** VMs booting, ready or busy. */
  live: number;
  /** Ready VMs nobody holds: the cheapest to give back. */
  spares: number;
  /** Requests waiting for a VM of this profile. */
  waiting: number;
}

/**
 * VMs alive at once on a host with `cores` cores. Under software emulation each busy VM keeps a host core busy,
 * so the cap stays near the core count, with room for the idle spares that make first calls fast.
 */
export function defaultMaxVms(cores: number): number {
  return Math.max(4, 2 * cores);
}

/** What each active profile (one with VMs or with requests waiting) is sure to get, at least one VM. */
export function fairShare(maxVms: number, loads: readonly ProfileLoad[]): number {
  const active = loads.filter((l) => l.live > 0 || l.waiting > 0).length;
  return Math.max(1, Math.floor(maxVms / Math.max(1, active)));
}

const byMostLive = (a: ProfileLoad, b: ProfileLoad): number =>
  b.live - a.live || a.profile.localeCompare(b.profile);

/**
 * The profile whose spare VM gives way to `needy`, which waits on a full host: any spare when `needy` is under
 * its share, else only the spare of a profile over its share; never the spare of a profile that waits itself.
 */
export function spareToReclaim(needy: string, loads: readonly ProfileLoad[], share: number): string | null {
  const mine = loads.find((l) => l.profile === needy)?.live ?? 0;
  const giver = loads
    .filter((l) => l.profile !== needy && l.spares > 0 && l.waiting === 0 && (mine < share || l.live > share))
    .sort(byMostLive)[0];
  return giver?.profile ?? null;
}

/**
 * The profile that hands one of its held VMs back so `needy`, under its share, gets one: one over its share, or,
 * for a profile with no VM at all on a host with more active profiles than VMs, one at its share (the profiles
 * then take turns instead of one waiting for ever). Null when `needy` already has its share.
 */
export function profileToYield(needy: string, loads: readonly ProfileLoad[], share: number): string | null {
  const mine = loads.find((l) => l.profile === needy)?.live ?? 0;
  if (mine >= share) return null;
  const others = loads.filter((l) => l.profile !== needy).sort(byMostLive);
  const over = others.find((l) => l.live > share);
  if (over) return over.profile;
  return mine === 0 ? (others.find((l) => l.live >= share && l.live > 0)?.profile ?? null) : null;
}

/** A boot waiting for one of the host's boot slots. */
export interface QueuedBoot {
  profile: string;
  queuedAt: number;
}

/**
 * Which queued boot goes next: the profile with the fewest live VMs first, so one profile asking for many VMs
 * (or whose VMs keep dying) cannot keep another from its first; among equals, the one queued first.
 */
export function nextBoot(queue: readonly QueuedBoot[], liveOf: (profile: string) => number): number {
  let best = -1;
  for (let i = 0; i < queue.length; i++) {
    if (best < 0) {
      best = i;
      continue;
    }
    const a = queue[i]!;
    const b = queue[best]!;
    const d = liveOf(a.profile) - liveOf(b.profile);
    if (d < 0 || (d === 0 && a.queuedAt < b.queuedAt)) best = i;
  }
  return best;
}

/** libvirt's default CPU weight of a VM (cgroup cpu.shares). */
export const DEFAULT_CPU_SHARES = 1024;

/**
 * The CPU weight of each VM of a profile that runs `vms` VMs: the profile's weight split between them, so under
 * contention every profile gets the same CPU whether it runs one VM or four.
 */
export function cpuSharesPerVm(vms: number, profileShares = DEFAULT_CPU_SHARES): number {
  return Math.max(2, Math.round(profileShares / Math.max(1, vms)));
}

/** A VM that dies within this long of being ready counts as a failed start for its profile's back-off. */
export const YOUNG_DEATH_MS = 60_000;

/** How long a profile waits before its next boot after `failures` failed or short-lived VMs in a row. */
export function backoffMs(failures: number): number {
  return failures <= 0 ? 0 : Math.min(30_000, 500 * 2 ** failures);
}
