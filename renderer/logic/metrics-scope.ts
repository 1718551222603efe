// What the Logs and Monitor views look at: one task (the profile's own, or one shared with it) or all of the
// profile's tasks, optionally through one alias, over one of a few time ranges back from now.
import type { TaskView } from "../../main/contract.ts";

/** Durations back from now, as the host's metrics take them. */
export const RANGES = ["15m", "1h", "24h", "7d"] as const;
export type Range = (typeof RANGES)[number];

export const RANGE_LABELS: Record<Range, string> = {
  "15m": "15 min",
  "1h": "1 h",
  "24h": "24 h",
  "7d": "7 days",
};

export const RANGE_MS: Record<Range, number> = {
  "15m": 15 * 60_000,
  "1h": 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
};

/** A task by how the host names it: a task shared with the profile also carries its owner's account. */
export interface TaskRef {
  task: string;
  ownerAccountId?: string;
}

export function taskRefOf(t: TaskView): TaskRef {
  return t.access === "owner" ? { task: t.name } : { task: t.name, ownerAccountId: t.ownerAccountId };
}

/** One string per task (a select's option value); "" is every task. */
export function taskRefKey(ref: TaskRef | null): string {
  return ref === null ? "" : `${ref.ownerAccountId ?? ""}:${ref.task}`;
}

/** The fields of a metrics or logs query that name the task, nothing for every task. */
export function taskFields(ref: TaskRef | null): { task?: string; ownerAccountId?: string } {
  if (ref === null) return {};
  return { task: ref.task, ...(ref.ownerAccountId ? { ownerAccountId: ref.ownerAccountId } : {}) };
}
