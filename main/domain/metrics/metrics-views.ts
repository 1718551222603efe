// What callers read of invocation metrics: records with names instead of ids, and stats of a task or alias.
import type { CallerLabel, InvocationOutcome, InvocationPhases, VmTake } from "./invocation-record.ts";
import type { InvocationStats } from "./invocation-stats.ts";

export type { InvocationStats, StatsBucket, StatsFigures, DurationFigures } from "./invocation-stats.ts";
export type { CallerLabel, InvocationOutcome, InvocationPhases, VmTake } from "./invocation-record.ts";

/** One invocation as the window and the CLI show it. */
export interface InvocationView {
  requestId: string;
  /** When the host took the call (ISO). */
  t: string;
  task: string;
  alias?: string;
  /** The profile it ran for, by name; and how it came (a token by its label, a teammate's remote call). */
  caller: string;
  via: CallerLabel;
  version: string;
  servedVersion?: string;
  outcome: InvocationOutcome;
  errorType?: string;
  coldStart: boolean;
  /** How the sandbox of a cold start got its VM; the VM (for the task's owner only). */
  vmTake?: VmTake;
  vm?: string;
  phases: InvocationPhases;
  totalMs: number;
  durationMs?: number;
  initDurationMs?: number;
  maxMemoryUsedMb: number;
  memoryMb: number;
  concurrency: number;
}

export interface InvocationStatsView extends InvocationStats {
  task?: string;
  alias?: string;
}
