// The tray's words for the pool: ready and busy VMs per profile, named as the user named the profiles.
import type { VmInfo } from "../vm/pool.ts";

export interface ProfileLoad {
  profile: string;
  ready: number;
  busy: number;
  booting: number;
}

/** Counts VMs per profile in the states a user cares about; profiles without VMs are listed too. */
export function poolLoad(
  vms: readonly Pick<VmInfo, "profile" | "state">[],
  profiles: readonly { id: string; name: string }[],
): ProfileLoad[] {
  const byId = new Map<string, ProfileLoad>();
  const named = new Map(profiles.map((p) => [p.id, p.name]));
  for (const p of profiles) byId.set(p.id, { profile: p.name, ready: 0, busy: 0, booting: 0 });
  for (const vm of vms) {
    let load = byId.get(vm.profile);
    if (!load)
      byId.set(
        vm.profile,
        (load = { profile: named.get(vm.profile) ?? vm.profile, ready: 0, busy: 0, booting: 0 }),
      );
    if (vm.state === "ready") load.ready++;
    else if (vm.state === "busy") load.busy++;
    else if (vm.state === "booting") load.booting++;
  }
  return [...byId.values()].sort((a, b) => a.profile.localeCompare(b.profile));
}

export function loadLine(l: ProfileLoad): string {
  const booting = l.booting ? `, ${l.booting} booting` : "";
  return `${l.profile}: ${l.ready} ready, ${l.busy} busy${booting}`;
}

/** The tray's tooltip: one line per profile under a title. */
export function poolTooltip(loads: readonly ProfileLoad[]): string {
  if (loads.length === 0) return "Hearth: no profiles yet";
  const ready = loads.reduce((n, l) => n + l.ready, 0);
  const busy = loads.reduce((n, l) => n + l.busy, 0);
  return [`Hearth: ${ready} ready, ${busy} busy`, ...loads.map(loadLine)].join("\n");
}
