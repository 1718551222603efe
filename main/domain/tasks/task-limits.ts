// A task's runtimes and limits as plain values, apart from the zod schemas in task-config.ts, so that the CLI's
// option help and checks can use them without loading zod.
export { RUNTIME_CHOICES as RUNTIMES } from "./runtime-ids.ts";
export const TASK_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MEMORY_MB = { min: 128, max: 10240, default: 128 } as const;
export const TIMEOUT_S = { min: 1, max: 900, default: 3 } as const;
export const MAX_DESCRIPTION = 256;
