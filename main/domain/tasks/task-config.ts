// The rules for a task's name and configuration, as zod schemas shared by task.json imports and commands.
import { z } from "zod";
import { environmentSchema } from "./environment-rules.ts";
import type { Runtime, TaskConfig } from "../model/state.ts";
import { runtimeFamily, runtimeProblem } from "./runtime-ids.ts";
import { MAX_DESCRIPTION, MEMORY_MB, RUNTIMES, TASK_NAME_PATTERN, TIMEOUT_S } from "./task-limits.ts";

export { MAX_DESCRIPTION, MEMORY_MB, RUNTIMES, TASK_NAME_PATTERN, TIMEOUT_S } from "./task-limits.ts";

export const taskNameSchema = z
  .string()
  .regex(TASK_NAME_PATTERN, "must be 1 to 64 characters: letters, digits, - or _");

export const runtimeSchema = z
  .string({ error: `must be a runtime: ${RUNTIMES.slice(0, 5).join(", ")}` })
  .superRefine((value, ctx) => {
    const problem = runtimeProblem(value);
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform((value) => value as Runtime);

export const handlerSchema = z
  .string()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .regex(/^\S+$/, "must not contain spaces");

export const memoryMbSchema = z
  .number({ error: "must be a number" })
  .int({ error: "must be a whole number" })
  .min(MEMORY_MB.min, `must be between ${MEMORY_MB.min} and ${MEMORY_MB.max}`)
  .max(MEMORY_MB.max, `must be between ${MEMORY_MB.min} and ${MEMORY_MB.max}`);

export const timeoutSSchema = z
  .number({ error: "must be a number" })
  .int({ error: "must be a whole number" })
  .min(TIMEOUT_S.min, `must be between ${TIMEOUT_S.min} and ${TIMEOUT_S.max}`)
  .max(TIMEOUT_S.max, `must be between ${TIMEOUT_S.min} and ${TIMEOUT_S.max}`);

export const descriptionSchema = z
  .string()
  .max(MAX_DESCRIPTION, `must be at most ${MAX_DESCRIPTION} characters`);

/**
 * nodejs and python3 load `<module>.<export>` (the module may sit in a folder: `src/app.handler`); a
 * `provided` bootstrap reads the handler itself, so any non-blank word goes.
 */
export function handlerProblem(runtime: Runtime, handler: string): string | null {
  if (runtimeFamily(runtime) === "provided") return null;
  const dot = handler.lastIndexOf(".");
  if (dot <= 0 || dot === handler.length - 1) {
    return 'must be "<module>.<export>", e.g. "index.handler"';
  }
  return null;
}

export function checkHandler(value: { runtime: Runtime; handler: string }, ctx: z.RefinementCtx): void {
  const problem = handlerProblem(value.runtime, value.handler);
  if (problem !== null) ctx.addIssue({ code: "custom", path: ["handler"], message: problem });
}

/** A complete configuration, defaults filled in. */
export const taskConfigSchema = z
  .strictObject({
    runtime: runtimeSchema,
    handler: handlerSchema,
    memoryMb: memoryMbSchema.default(MEMORY_MB.default),
    timeoutS: timeoutSSchema.default(TIMEOUT_S.default),
    environment: environmentSchema().default({}),
  })
  .superRefine(checkHandler);

/** task.json, and the fields of a task created directly: a name, a configuration and a description. */
export const taskManifestFields = z.strictObject({
  name: taskNameSchema,
  description: descriptionSchema.default(""),
  runtime: runtimeSchema,
  handler: handlerSchema,
  memoryMb: memoryMbSchema.default(MEMORY_MB.default),
  timeoutS: timeoutSSchema.default(TIMEOUT_S.default),
  environment: environmentSchema().default({}),
});

export const taskManifestSchema = taskManifestFields.superRefine(checkHandler);

export type TaskManifest = z.output<typeof taskManifestSchema>;
export type TaskManifestInput = z.input<typeof taskManifestSchema>;

export function configOf(manifest: TaskManifest): TaskConfig {
  return {
    runtime: manifest.runtime,
    handler: manifest.handler,
    memoryMb: manifest.memoryMb,
    timeoutS: manifest.timeoutS,
    environment: { ...manifest.environment },
  };
}

/** Two configurations run the same sandbox iff every field matches (environment order does not matter). */
export function sameConfig(a: TaskConfig, b: TaskConfig): boolean {
  if (a.runtime !== b.runtime || a.handler !== b.handler) return false;
  if (a.memoryMb !== b.memoryMb || a.timeoutS !== b.timeoutS) return false;
  const ka = Object.keys(a.environment);
  if (ka.length !== Object.keys(b.environment).length) return false;
  return ka.every((k) => Object.hasOwn(b.environment, k) && b.environment[k] === a.environment[k]);
}
