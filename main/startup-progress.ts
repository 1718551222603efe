// What Hearth is doing while it starts (building the guest image, checking the machine, starting the VM pool), so
// the window can show it instead of a blank page: the phase, the step of a counted phase, the last lines printed.

import type { StartupPhase, StartupStatus } from "./domain/model/startup-status.ts";

export type { StartupPhase, StartupStatus } from "./domain/model/startup-status.ts";

/** Lines kept for the window: enough to see what the build is doing, not the whole terminal. */
export const STARTUP_LINES_KEPT = 30;
const LINE_MAX = 500;

export class StartupProgress {
  private phase: StartupPhase = "host";
  private title = "starting";
  private step: StartupStatus["step"];
  private readonly started: number;
  private phaseStarted: number;
  private ended: number | null = null;
  private readonly done: StartupStatus["phases"] = [];
  private readonly lines: string[] = [];
  private error: string | undefined;

  constructor(private readonly now: () => number = Date.now) {
    this.started = now();
    this.phaseStarted = this.started;
  }

  /** Moves to the next phase; the one before counts as finished. */
  begin(phase: Exclude<StartupPhase, "ready" | "failed">, title: string): void {
    if (this.ended !== null) throw new Error(`startup already ${this.phase}`);
    this.closePhase();
    this.phase = phase;
    this.title = title;
    this.step = undefined;
  }

  /** Step `n` of `of` of the current phase. */
  stepTo(n: number, of: number, message: string): void {
    this.step = { n, of, message: message.slice(0, LINE_MAX) };
  }

  line(text: string): void {
    for (const l of text.split("\n")) {
      if (!l.trim()) continue;
      this.lines.push(l.slice(0, LINE_MAX));
      if (this.lines.length > STARTUP_LINES_KEPT) this.lines.shift();
    }
  }

  ready(): void {
    if (this.ended !== null) return;
    this.closePhase();
    this.phase = "ready";
    this.title = "ready";
    this.step = undefined;
    this.ended = this.now();
  }

  fail(err: unknown): void {
    if (this.ended !== null) return;
    this.error = err instanceof Error ? err.message : String(err);
    this.phase = "failed";
    this.ended = this.now();
  }

  get current(): StartupPhase {
    return this.phase;
  }

  status(): StartupStatus {
    return {
      phase: this.phase,
      title: this.title,
      ...(this.step ? { step: { ...this.step } } : {}),
      startedAt: new Date(this.started).toISOString(),
      elapsedMs: (this.ended ?? this.now()) - this.started,
      phases: this.done.map((p) => ({ ...p })),
      lines: [...this.lines],
      ...(this.error !== undefined ? { error: this.error } : {}),
    };
  }

  private closePhase(): void {
    const t = this.now();
    if (this.phase !== "ready" && this.phase !== "failed" && this.title !== "starting")
      this.done.push({ phase: this.phase, title: this.title, ms: t - this.phaseStarted });
    this.phaseStarted = t;
  }
}

/** The status of a Hearth that started without anyone watching (tests, hosts built in-process). */
export function readyStatus(): StartupStatus {
  const p = new StartupProgress();
  p.ready();
  return p.status();
}
