// What a task's log holds, line by line: the record the store keeps, the engine writes and callers read.

/** One line of a task's log, or the start/end marker of an invocation. */
export interface LogRecord {
  /** ISO time the host received it. */
  t: string;
  /** The invocation (Lambda's request id). */
  inv: string;
  /** Who invoked: a task owner sees every record, a caller only its own invocations'. */
  caller: string;
  kind: "start" | "line" | "end";
  stream?: "stdout" | "stderr";
  line?: string;
  version?: string;
  ok?: boolean;
  durationMs?: number;
  /** On an end: a cold start's module init, the peak memory and the limit (Lambda's REPORT line). */
  initMs?: number;
  maxMemoryUsedMb?: number;
  memoryMb?: number;
  error?: string;
  /** The error as told to a caller who is not the task's owner; what that caller reads instead of `error`. */
  callerError?: string;
}
