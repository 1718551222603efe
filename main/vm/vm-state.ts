// A pooled VM's life as explicit states, with every allowed transition in this one table.
export type VmState = "booting" | "ready" | "busy" | "draining" | "gone" | "failed";

export const VM_TRANSITIONS: Readonly<Record<VmState, readonly VmState[]>> = {
  booting: ["ready", "failed"],
  ready: ["busy", "draining", "failed"],
  busy: ["ready", "draining", "failed"],
  draining: ["gone", "failed"],
  failed: ["gone"],
  gone: [],
};

export function canTransition(from: VmState, to: VmState): boolean {
  return VM_TRANSITIONS[from].includes(to);
}

export class VmStateError extends Error {
  constructor(
    readonly from: VmState,
    readonly to: VmState,
    vm: string,
  ) {
    super(`VM_STATE: ${vm} cannot go from ${from} to ${to}`);
  }
}
