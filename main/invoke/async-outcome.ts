// The outcome of an async invocation as it is kept on disk: bounded in size, with what was left out said in it.
import type { LambdaError } from "../vm/protocol.ts";

export interface AsyncOutcome {
  ok: boolean;
  payload?: string;
  error?: LambdaError;
  servedVersion?: string;
  durationMs?: number;
  /**
   * Set when the result was larger than the record keeps: the payload is left out whole (a cut JSON document
   * would parse as garbage or, worse, as something else) and its size is given, so the caller knows why.
   */
  payloadOmitted?: { bytes: number; limitBytes: number };
  /** Set when the error's message or trace was cut to fit. */
  errorTruncated?: true;
}

const MAX_ERROR_MESSAGE_CHARS = 4096;
const MAX_TRACE_LINES = 50;
const MAX_TRACE_LINE_CHARS = 1024;

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Keeps a result within limitBytes of payload and a few kilobytes of error, marking whatever it left out. */
export function boundedOutcome(
  r: Omit<AsyncOutcome, "payloadOmitted" | "errorTruncated">,
  limitBytes: number,
): AsyncOutcome {
  const out: AsyncOutcome = { ok: r.ok };
  if (r.payload !== undefined) {
    const bytes = Buffer.byteLength(r.payload);
    if (bytes > limitBytes) out.payloadOmitted = { bytes, limitBytes };
    else out.payload = r.payload;
  }
  if (r.error) {
    const { errorType, errorMessage, trace } = r.error;
    const error: LambdaError = {
      errorType: cut(errorType, 256),
      errorMessage: cut(errorMessage, MAX_ERROR_MESSAGE_CHARS),
      trace: trace.slice(0, MAX_TRACE_LINES).map((l) => cut(l, MAX_TRACE_LINE_CHARS)),
    };
    out.error = error;
    if (
      error.errorType !== errorType ||
      error.errorMessage !== errorMessage ||
      trace.length > MAX_TRACE_LINES ||
      error.trace.some((l, i) => l !== trace[i])
    ) {
      out.errorTruncated = true;
    }
  }
  if (r.servedVersion !== undefined) out.servedVersion = r.servedVersion;
  if (r.durationMs !== undefined) out.durationMs = r.durationMs;
  return out;
}
