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
  error?: string;
  /** The error as told to a caller who is not the task's owner; what that caller reads instead of `error`. */
  callerError?: string;
}
