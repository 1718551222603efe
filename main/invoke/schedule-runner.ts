// Runs the profiles' schedules while Hearth runs: each run is sent through the persisted async queue as the
// schedule's profile, with EventBridge's Scheduled Event (or the schedule's own input); runs that fell while Hearth
// was stopped, or while the machine slept, are counted and reported on the schedule, never replayed.
import { randomUUID } from "node:crypto";
import { nextRun, parseScheduleExpression, runsBetween } from "../domain/schedules/schedule-expression.ts";
import { recordMissedRuns, recordScheduleRun, scheduleCursor } from "../domain/schedules/schedules.ts";
import type { Schedule } from "../domain/model/state.ts";
import type { HearthStore } from "../store/hearth-store.ts";
import type { AsyncInvocations } from "./async-invocations.ts";

/** The timer never sleeps longer than this, so a schedule made or changed is seen soon even without a nudge. */
const MAX_SLEEP_MS = 15_000;

/** EventBridge's event for a scheduled rule's run. */
export function scheduledEvent(s: Schedule, at: number, accountId: string): string {
  return JSON.stringify({
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: accountId,
    time: new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: "local",
    resources: [`arn:aws:events:local:${accountId}:rule/${s.name}`],
    detail: {},
  });
}

export class ScheduleRunner {
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private firing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: HearthStore,
    private readonly queue: Pick<AsyncInvocations, "enqueue">,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Reports the runs missed while Hearth was stopped, then waits for the next ones. */
  async start(): Promise<{ missed: number }> {
    const now = this.clock();
    let missed = 0;
    for (const s of this.store.documents.state.schedules) {
      if (s.state !== "enabled") continue;
      let expr;
      try {
        expr = parseScheduleExpression(s.expression);
      } catch {
        continue;
      }
      const gap = runsBetween(expr, scheduleCursor(s), now, Date.parse(s.anchorAt));
      if (gap.count === 0) continue;
      missed += gap.count;
      await this.store.documents.update((st) =>
        recordMissedRuns(st, s.id, { count: gap.count, first: gap.first!, last: gap.last! }, now),
      );
      process.stderr.write(
        `hearth: schedule "${s.name}" missed ${gap.count} run(s) while Hearth was stopped ` +
          `(${new Date(gap.first!).toISOString()} to ${new Date(gap.last!).toISOString()}); they are not replayed\n`,
      );
    }
    this.arm();
    return { missed };
  }

  /** A schedule was made or changed: look again now. */
  changed(): void {
    if (!this.closed) this.arm();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Settles when the runs being sent now are sent (for tests). */
  settled(): Promise<void> {
    return this.firing;
  }

  private due(s: Schedule, now: number): { at: number; missed: { count: number; first: number } } | null {
    if (s.state !== "enabled") return null;
    let expr;
    try {
      expr = parseScheduleExpression(s.expression);
    } catch {
      return null;
    }
    const runs = runsBetween(expr, scheduleCursor(s), now, Date.parse(s.anchorAt));
    if (runs.count === 0) return null;
    // After a sleep several runs may be due: the newest is sent, the rest are missed.
    return { at: runs.last!, missed: { count: runs.count - 1, first: runs.first! } };
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    const now = this.clock();
    let soonest = now + MAX_SLEEP_MS;
    for (const s of this.store.documents.state.schedules) {
      if (s.state !== "enabled") continue;
      try {
        const expr = parseScheduleExpression(s.expression);
        const n = nextRun(expr, Math.max(scheduleCursor(s), now - 1), Date.parse(s.anchorAt));
        if (n !== null && n < soonest) soonest = n;
      } catch {
        // refused when it was saved; a hand-edited document is skipped, not fatal
      }
    }
    this.timer = setTimeout(() => this.fire(), Math.max(0, soonest - now));
    this.timer.unref();
  }

  private fire(): void {
    this.firing = this.firing
      .then(() => this.sendDue())
      .catch((err: unknown) => {
        process.stderr.write(`hearth: schedules: ${(err as Error).message}\n`);
      });
    void this.firing.then(() => {
      if (!this.closed) this.arm();
    });
  }

  private async sendDue(): Promise<void> {
    const now = this.clock();
    const state = this.store.documents.state;
    for (const s of state.schedules) {
      if (this.closed) return;
      const due = this.due(s, now);
      if (!due) continue;
      const account = state.profiles.find((p) => p.id === s.profileId)?.accountId ?? "000000000000";
      let requestId: string | undefined;
      let error: string | undefined;
      try {
        const item = await this.queue.enqueue({
          callerProfileId: s.profileId,
          ref: s.target,
          payload: s.input ?? scheduledEvent(s, due.at, account),
        });
        requestId = item.id;
      } catch (err) {
        error = (err as Error).message;
      }
      await this.store.documents.update((st) =>
        recordScheduleRun(
          st,
          s.id,
          {
            at: due.at,
            ...(requestId !== undefined ? { requestId } : {}),
            ...(error !== undefined ? { error } : {}),
            missedBefore: due.missed,
          },
          now,
        ),
      );
    }
  }
}
