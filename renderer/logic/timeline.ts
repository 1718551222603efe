// One call's timeline as a waterfall: each phase it went through, where it starts and how much of the whole it took.
import type { InvocationPhases, InvocationView } from "../../main/contract.ts";

export type Phase = keyof InvocationPhases;

/** The order phases happen in; a warm call skips vm, load and init. */
export const PHASES: readonly Phase[] = ["queue", "vm", "load", "init", "handler", "transfer", "host"];

const LABELS: Record<Phase, string> = {
  queue: "Queue",
  vm: "VM",
  load: "Load",
  init: "Init",
  handler: "Handler",
  transfer: "Transfer",
  host: "Host",
};

export interface WaterfallRow {
  phase: Phase;
  label: string;
  ms: number;
  /** Where the bar starts and how wide it is, in percent of the scale. */
  offsetPct: number;
  widthPct: number;
}

export interface Waterfall {
  rows: WaterfallRow[];
  totalMs: number;
}

/**
 * The rows of the phases present, in order, each after the ones before it. The scale is the call's total, or the
 * phases' sum when rounding made that a hair longer, so no bar runs past the end.
 */
export function waterfall(v: Pick<InvocationView, "phases" | "totalMs" | "vmTake">): Waterfall {
  const present = PHASES.filter((p) => v.phases[p] !== undefined);
  const sum = present.reduce((a, p) => a + Math.max(0, v.phases[p] ?? 0), 0);
  const scale = Math.max(v.totalMs, sum);
  let at = 0;
  const rows = present.map((phase) => {
    const ms = Math.max(0, v.phases[phase] ?? 0);
    const row: WaterfallRow = {
      phase,
      label: phase === "vm" && v.vmTake ? `VM (${v.vmTake})` : LABELS[phase],
      ms,
      offsetPct: scale > 0 ? (at / scale) * 100 : 0,
      widthPct: scale > 0 ? (ms / scale) * 100 : 0,
    };
    at += ms;
    return row;
  });
  return { rows, totalMs: v.totalMs };
}
