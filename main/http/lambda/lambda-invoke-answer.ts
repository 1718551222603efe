// What a Lambda invocation's answer carries however it is delivered (Invoke's body or a response stream's last event):
// the log tail, a failed init's error, and the client context a caller passes in.
import { HearthError } from "../../domain/model/errors.ts";
import type { InvocationAnswer } from "../../invoke/invoker.ts";

/** X-Amz-Log-Result and InvokeComplete's LogResult carry the last 4 KB of the invocation's log. */
const LOG_TAIL_BYTES = 4096;
/** Lambda's bound on X-Amz-Client-Context (its base64 text). */
export const MAX_CLIENT_CONTEXT_CHARS = 3583;

export interface InitError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/** The runtime's error of a sandbox that failed its init, or null when `err` is any other failure. */
export function initFailure(err: unknown): InitError | null {
  const e = err as { code?: unknown; lambda?: InitError } | null;
  return e?.code === "SANDBOX_INIT_FAILED" && e.lambda ? e.lambda : null;
}

/** Lambda's START/END/REPORT framing around the answer's kept lines, trimmed to the last 4 KB, base64. */
export function logTail(a: InvocationAnswer): string {
  const lines = a.lines ?? [];
  const text = [
    `START RequestId: ${a.requestId} Version: ${a.servedVersion}`,
    ...lines,
    `END RequestId: ${a.requestId}`,
    `REPORT RequestId: ${a.requestId}\tDuration: ${a.durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(a.durationMs)} ms\tMemory Size: ${a.memoryMb} MB\tMax Memory Used: ${Math.ceil(a.maxRssKb / 1024)} MB${a.initMs === undefined ? "" : `\tInit Duration: ${a.initMs.toFixed(2)} ms`}`,
    "",
  ].join("\n");
  const bytes = Buffer.from(text, "utf8");
  return bytes.subarray(Math.max(0, bytes.length - LOG_TAIL_BYTES)).toString("base64");
}

/**
 * X-Amz-Client-Context: base64 of a JSON object, which the handler reads as `context.clientContext`. Checked here,
 * so that what reaches a runtime always parses.
 */
export function clientContextOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined || header === "") return undefined;
  const text = Array.isArray(header) ? header.join(",") : header;
  const refuse = (why: string): never => {
    throw new HearthError("INVALID_INPUT", `X-Amz-Client-Context ${why}`, "ClientContext");
  };
  if (text.length > MAX_CLIENT_CONTEXT_CHARS) refuse(`is longer than ${MAX_CLIENT_CONTEXT_CHARS} characters`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) refuse("is not base64");
  const json = Buffer.from(text, "base64").toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return refuse("is not base64 of JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    refuse("is not base64 of a JSON object");
  return json;
}
