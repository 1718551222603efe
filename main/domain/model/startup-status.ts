// How far Hearth's start has come, as the window shows it; main/startup-progress.ts keeps it up to date.

export type StartupPhase = "image" | "checks" | "host" | "ready" | "failed";

export interface StartupStatus {
  phase: StartupPhase;
  /** What the phase is doing, in a few words ("building the guest image"). */
  title: string;
  /** The current step of a phase that counts its steps (the image build has 7). */
  step?: { n: number; of: number; message: string };
  startedAt: string;
  /** Since the start, or the whole start once ready or failed. */
  elapsedMs: number;
  /** How long each finished phase took, in order. */
  phases: { phase: StartupPhase; title: string; ms: number }[];
  /** The last lines the work printed, oldest first. */
  lines: string[];
  error?: string;
}
