// Live and kept logs of invocations: every line goes to its subscribers at once and to the task's log files soon.
import { EventEmitter } from "node:events";
import type { LogFiles, LogRecord } from "../store/log-files.ts";

export interface LiveLogEvent {
  taskId: string;
  record: LogRecord;
}

/** What an invocation's end carries for its REPORT line beside its duration. */
export interface EndFigures {
  initMs?: number;
  maxMemoryUsedMb?: number;
  memoryMb?: number;
}

/** Lines are written in batches: one append per task every FLUSH_MS keeps disk work off the invoke path. */
const FLUSH_MS = 100;

export class InvocationLogs extends EventEmitter<{ record: [LiveLogEvent] }> {
  private readonly pending = new Map<string, LogRecord[]>();
  private timer: NodeJS.Timeout | null = null;
  /** The writes begun so far, so a flush waits for one a timer started before it. */
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly files: LogFiles) {
    super();
    this.setMaxListeners(0);
  }

  /** Starts an invocation's log; the returned writer takes its lines and its end. */
  begin(taskId: string, inv: string, caller: string, version: string) {
    this.add(taskId, { t: new Date().toISOString(), inv, caller, kind: "start", version });
    return {
      line: (stream: "stdout" | "stderr", line: string): void =>
        this.add(taskId, { t: new Date().toISOString(), inv, caller, kind: "line", stream, line }),
      /** `callerError` is the error as a caller who is not the owner was told it; that caller reads only it. */
      end: (
        ok: boolean,
        durationMs: number,
        error?: string,
        callerError?: string,
        figures?: EndFigures,
      ): void =>
        this.add(taskId, {
          t: new Date().toISOString(),
          inv,
          caller,
          kind: "end",
          ok,
          durationMs: Math.round(durationMs * 100) / 100,
          ...(error ? { error } : {}),
          ...(callerError ? { callerError } : {}),
          ...figures,
        }),
    };
  }

  /** Live records, optionally of one task or one invocation; returns the unsubscribe function. */
  subscribe(filter: { taskId?: string; invocation?: string }, fn: (e: LiveLogEvent) => void): () => void {
    const listener = (e: LiveLogEvent): void => {
      if (filter.taskId && e.taskId !== filter.taskId) return;
      if (filter.invocation && e.record.inv !== filter.invocation) return;
      fn(e);
    };
    this.on("record", listener);
    return () => this.off("record", listener);
  }

  private add(taskId: string, record: LogRecord): void {
    this.emit("record", { taskId, record });
    const list = this.pending.get(taskId) ?? [];
    list.push(record);
    this.pending.set(taskId, list);
    this.timer ??= setTimeout(() => {
      // A write that fails (a full disk, a removed folder) is reported; it must not take the host down with it.
      this.flush().catch((err: unknown) =>
        console.error(`hearth: task logs could not be written: ${(err as Error).message}`),
      );
    }, FLUSH_MS);
  }

  /** Writes everything received so far; resolves once that, and every write begun before it, is done. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batches = [...this.pending];
    this.pending.clear();
    const run = this.writing.then(async () => {
      await Promise.all(batches.map(([taskId, records]) => this.files.append(taskId, records)));
    });
    this.writing = run.catch(() => undefined);
    await run;
  }
}
