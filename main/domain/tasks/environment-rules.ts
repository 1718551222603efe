// What a task's environment (and an alias's overrides and secrets) may contain: Lambda's rules, plus Hearth's own names.
import { z } from "zod";
export { isInterpreterVariable } from "./interpreter-variables.ts";

/** Names Lambda sets itself (its "reserved environment variables"); a task may not set them. */
const RESERVED_KEYS = new Set([
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
]);
const RESERVED_PREFIXES = ["AWS_LAMBDA_", "_HEARTH_"];

export const ENV_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;
/** Lambda's limit on the whole map: keys plus values, in bytes. */
export const MAX_ENV_BYTES = 4096;

export function isReservedEnvKey(key: string): boolean {
  return RESERVED_KEYS.has(key) || RESERVED_PREFIXES.some((p) => key.startsWith(p));
}

export function envBytes(env: Record<string, string>): number {
  let total = 0;
  for (const [k, v] of Object.entries(env)) total += Buffer.byteLength(k) + Buffer.byteLength(v);
  return total;
}

/** The problem with one variable name, or null; shared by environments and secret names. */
export function envKeyProblem(key: string): string | null {
  // Reserved first: `_HANDLER` is also a bad name, but "reserved" tells the user why.
  if (isReservedEnvKey(key)) return "is reserved by the Lambda runtime; choose another name";
  if (key.length > 128) return "is longer than 128 characters";
  if (!ENV_KEY_PATTERN.test(key))
    return "is not a valid name: start with a letter, then letters, digits or _";
  return null;
}

/** A string map whose keys are valid, unreserved variable names and whose size fits Lambda's 4 KB. */
export function environmentSchema() {
  return z.record(z.string(), z.string()).superRefine((env, ctx) => {
    for (const key of Object.keys(env)) {
      const problem = envKeyProblem(key);
      if (problem !== null) ctx.addIssue({ code: "custom", path: [key], message: problem });
    }
    const bytes = envBytes(env);
    if (bytes > MAX_ENV_BYTES) {
      ctx.addIssue({
        code: "custom",
        message: `must total at most ${MAX_ENV_BYTES} bytes (names plus values), got ${bytes}`,
      });
    }
  });
}
