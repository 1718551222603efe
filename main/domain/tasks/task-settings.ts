// A task's settings beside its code and configuration: Lambda's tags, reserved concurrency, and deleting one
// published version.
import { z } from "zod";
import { HearthError } from "../model/errors.ts";
import { parseInput } from "../model/input-validation.ts";
import { findVersion, getOwnTask } from "../model/lookups.ts";
import type { Change, HearthState, Task } from "../model/state.ts";

/** Lambda's tag limits. */
export const MAX_TAGS = 50;
/** Reserved concurrency Hearth accepts; the host's own per-profile limit still applies beneath it. */
export const MAX_RESERVED_CONCURRENCY = 1000;

const tagKey = z
  .string()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .refine(
    (k) => !k.toLowerCase().startsWith("aws:"),
    'must not start with "aws:", which AWS keeps for itself',
  );

const tagSchema = z.strictObject({
  task: z.string(),
  tags: z.record(tagKey, z.string().max(256, "must be at most 256 characters")),
});
const untagSchema = z.strictObject({ task: z.string(), keys: z.array(tagKey).min(1, "must name a tag") });
const concurrencySchema = z.strictObject({
  task: z.string(),
  reserved: z
    .number({ error: "must be a whole number from 0" })
    .int("must be a whole number from 0")
    .min(0, "must be a whole number from 0")
    .max(MAX_RESERVED_CONCURRENCY, `must be at most ${MAX_RESERVED_CONCURRENCY}`)
    .nullable(),
});
const deleteVersionSchema = z.strictObject({ task: z.string(), version: z.number().int().min(1) });

function edit<R>(state: HearthState, profileId: string, name: string, change: (task: Task) => R): Change<R> {
  const next = structuredClone(state);
  const task = getOwnTask(next, profileId, name);
  return { state: next, result: change(task) };
}

/** Adds or replaces tags; the task keeps at most MAX_TAGS. */
export function tagTask(
  state: HearthState,
  profileId: string,
  input: z.input<typeof tagSchema>,
): Change<Record<string, string>> {
  const v = parseInput(tagSchema, input);
  return edit(state, profileId, v.task, (task) => {
    const tags = { ...task.tags, ...v.tags };
    if (Object.keys(tags).length > MAX_TAGS) {
      throw new HearthError("INVALID_INPUT", `a function has at most ${MAX_TAGS} tags`, "Tags");
    }
    task.tags = tags;
    return tags;
  });
}

export function untagTask(
  state: HearthState,
  profileId: string,
  input: z.input<typeof untagSchema>,
): Change<Record<string, string>> {
  const v = parseInput(untagSchema, input);
  return edit(state, profileId, v.task, (task) => {
    const tags = { ...task.tags };
    for (const k of v.keys) delete tags[k];
    if (Object.keys(tags).length === 0) delete task.tags;
    else task.tags = tags;
    return tags;
  });
}

/** Sets (a number) or removes (null) the task's reserved concurrency. */
export function setReservedConcurrency(
  state: HearthState,
  profileId: string,
  input: z.input<typeof concurrencySchema>,
): Change<number | null> {
  const v = parseInput(concurrencySchema, input);
  return edit(state, profileId, v.task, (task) => {
    if (v.reserved === null) delete task.reservedConcurrency;
    else task.reservedConcurrency = v.reserved;
    return v.reserved;
  });
}

/**
 * Deletes one published version (Lambda's DeleteFunction with a version qualifier). A version an alias routes to
 * stays until the alias moves; the statements of its policy go with it.
 */
export function deleteVersion(
  state: HearthState,
  profileId: string,
  input: z.input<typeof deleteVersionSchema>,
): Change<{ version: number }> {
  const v = parseInput(deleteVersionSchema, input);
  const task = getOwnTask(state, profileId, v.task);
  if (!findVersion(task, v.version)) {
    throw new HearthError(
      "VERSION_NOT_FOUND",
      `task "${task.name}" has no version ${v.version}`,
      "Qualifier",
    );
  }
  const using = state.aliases.filter(
    (a) =>
      a.taskId === task.id &&
      (a.routing.version === v.version || a.routing.split?.additionalVersion === v.version),
  );
  if (using.length > 0) {
    throw new HearthError(
      "TASK_IN_USE",
      `Unable to delete version because the following aliases reference it: [${using.map((a) => a.name).join(", ")}]`,
      "Qualifier",
    );
  }
  const next = structuredClone(state);
  const t = next.tasks.find((x) => x.id === task.id)!;
  t.versions = t.versions.filter((x) => x.version !== v.version);
  const q = String(v.version);
  next.permissions = next.permissions.filter((p) => !(p.taskId === task.id && p.qualifier === q));
  next.eventInvokeConfigs = next.eventInvokeConfigs.filter(
    (e) => !(e.taskId === task.id && e.qualifier === q),
  );
  return { state: next, result: { version: v.version } };
}
