// What a caller other than a task's owner learns of a failure: the error's type and message, never a trace,
// a source line or a path in the owner's sandbox. The owner's log keeps the full account.
import type { LambdaError } from "../vm/protocol.ts";
import { SchedulerError } from "./sandbox-scheduler.ts";

/** Failures whose message Hearth itself wrote from fixed words and numbers: safe to pass on as they are. */
const FIXED_WORDING = new Set(["Sandbox.Timedout", "Runtime.OutOfMemory", "Hearth.Interrupted"]);

/** Absolute paths and file URLs (`/var/sandboxes/3/task/index.mjs:12:7`, `file:///…`), as a message may hold. */
const PATH = /(?:file:\/\/)?(?:\/[\w.@+~-]+){2,}(?::\d+)*/g;

const MAX_MESSAGE = 1024;

function cleanMessage(message: string): string {
  // Only the first line: the lines after it are where runtimes put code frames and source excerpts.
  const first = message.split("\n", 1)[0] ?? "";
  const cleaned = first.replace(PATH, "[path]");
  return cleaned.length > MAX_MESSAGE ? `${cleaned.slice(0, MAX_MESSAGE)}…` : cleaned;
}

/**
 * The error as a caller who is not the owner sees it. A runtime's own failure (init, exit, crash) may quote
 * the owner's code or the stderr of its start, so its message is replaced by one that names only its type; an
 * error the handler threw keeps its type and the first line of its message, with paths taken out.
 */
export function errorForCaller(error: LambdaError, requestId: string): LambdaError {
  const type = error.errorType.slice(0, 128);
  if (FIXED_WORDING.has(type)) return { errorType: type, errorMessage: error.errorMessage, trace: [] };
  if (type.startsWith("Runtime.") || type.startsWith("Hearth.")) {
    return {
      errorType: type,
      errorMessage: `RequestId: ${requestId} Error: the task failed (${type}); its owner's log has the details`,
      trace: [],
    };
  }
  return { errorType: type, errorMessage: cleanMessage(error.errorMessage), trace: [] };
}

/**
 * A sandbox that did not start, as a caller who is not the owner hears of it: the code and the cleaned Lambda
 * error, never the agent's words, which quote the runtime's stderr. The scheduler's other refusals (queue full,
 * no VM) speak of the host only and pass unchanged.
 */
export function thrownForCaller(err: unknown, requestId: string): unknown {
  if (!(err instanceof SchedulerError) || err.code !== "SANDBOX_INIT_FAILED") return err;
  const lambda = err.lambda ? errorForCaller(err.lambda, requestId) : undefined;
  const message = lambda
    ? `${lambda.errorType}: ${lambda.errorMessage}`
    : `the task could not be run (${err.code}); its owner's log has the details`;
  return new SchedulerError(err.code, message, lambda);
}
