// Tasks: creating one from a manifest and a code blob, changing its code or configuration ($LATEST), deleting it.
import { z } from "zod";
import { removeTasks } from "../model/cascade.ts";
import { codeRefSchema } from "./code-ref.ts";
import { isoTime, type CommandContext } from "../model/command-context.ts";
import { environmentSchema } from "./environment-rules.ts";
import { HearthError } from "../model/errors.ts";
import { newId } from "../model/ids.ts";
import { parseInput } from "../model/input-validation.ts";
import { getOwnTask, getProfile } from "../model/lookups.ts";
import type { Change, HearthState, Task } from "../model/state.ts";
import {
  checkHandler,
  descriptionSchema,
  handlerSchema,
  memoryMbSchema,
  runtimeSchema,
  taskConfigSchema,
  taskManifestFields,
  timeoutSSchema,
} from "./task-config.ts";
import { ownedTaskView, type OwnedTaskView } from "../model/views.ts";

/** task.json's fields plus the code they describe. */
const createSchema = taskManifestFields.extend({ code: codeRefSchema }).superRefine(checkHandler);

const updateCodeSchema = z.strictObject({ task: z.string(), code: codeRefSchema });

/** Fields left out keep their value; `environment`, when given, replaces the whole map. */
const updateConfigSchema = z.strictObject({
  task: z.string(),
  description: descriptionSchema.optional(),
  runtime: runtimeSchema.optional(),
  handler: handlerSchema.optional(),
  memoryMb: memoryMbSchema.optional(),
  timeoutS: timeoutSSchema.optional(),
  environment: environmentSchema().optional(),
});

const deleteSchema = z.strictObject({ task: z.string(), force: z.boolean().default(false) });

export type CreateTaskInput = z.input<typeof createSchema>;

export function createTask(
  state: HearthState,
  profileId: string,
  input: CreateTaskInput,
  ctx: Pick<CommandContext, "now" | "random">,
): Change<OwnedTaskView> {
  const v = parseInput(createSchema, input);
  const profile = getProfile(state, profileId);
  if (state.tasks.some((t) => t.profileId === profileId && t.name === v.name)) {
    throw new HearthError("TASK_EXISTS", `profile "${profile.name}" already has a task "${v.name}"`, "name");
  }
  // A remote alias is invoked by its local name, as a task is: one name, one thing to run.
  if (state.remotes.some((r) => r.profileId === profileId && r.name === v.name)) {
    throw new HearthError(
      "REMOTE_EXISTS",
      `profile "${profile.name}" has a remote alias "${v.name}"; remove it or pick another task name`,
      "name",
    );
  }
  const now = isoTime(ctx.now);
  const task: Task = {
    id: newId("tsk", ctx.random, (id) => state.tasks.some((t) => t.id === id)),
    profileId,
    name: v.name,
    description: v.description,
    createdAt: now,
    latest: {
      code: { ...v.code },
      config: {
        runtime: v.runtime,
        handler: v.handler,
        memoryMb: v.memoryMb,
        timeoutS: v.timeoutS,
        environment: v.environment,
      },
      updatedAt: now,
    },
    versions: [],
    lastVersion: 0,
  };
  const next = structuredClone(state);
  next.tasks.push(task);
  return { state: next, result: ownedTaskView(next, task) };
}

/** Points `$LATEST` at new code; published versions keep theirs. */
export function updateTaskCode(
  state: HearthState,
  profileId: string,
  input: z.input<typeof updateCodeSchema>,
  ctx: Pick<CommandContext, "now">,
): Change<OwnedTaskView> {
  const v = parseInput(updateCodeSchema, input);
  const next = structuredClone(state);
  const task = getOwnTask(next, profileId, v.task);
  task.latest.code = { ...v.code };
  task.latest.updatedAt = isoTime(ctx.now);
  return { state: next, result: ownedTaskView(next, task) };
}

/** Changes `$LATEST`'s configuration; the merged result must still be a valid configuration. */
export function updateTaskConfig(
  state: HearthState,
  profileId: string,
  input: z.input<typeof updateConfigSchema>,
  ctx: Pick<CommandContext, "now">,
): Change<OwnedTaskView> {
  const { task: taskName, description, ...patch } = parseInput(updateConfigSchema, input);
  const next = structuredClone(state);
  const task = getOwnTask(next, profileId, taskName);
  const merged = { ...task.latest.config };
  for (const [k, value] of Object.entries(patch)) {
    if (value !== undefined) Object.assign(merged, { [k]: value });
  }
  // Re-check the whole: a new runtime can make the old handler invalid, and the reverse.
  task.latest.config = parseInput(taskConfigSchema, merged);
  if (description !== undefined) task.description = description;
  task.latest.updatedAt = isoTime(ctx.now);
  return { state: next, result: ownedTaskView(next, task) };
}

/**
 * Deletes a task with its versions, aliases, grants and tokens. Aliases other profiles built on it block the
 * deletion unless `force`.
 */
export function deleteTask(
  state: HearthState,
  profileId: string,
  input: z.input<typeof deleteSchema>,
): Change<{ removedForeignAliases: { profileId: string; aliasName: string }[] }> {
  const v = parseInput(deleteSchema, input);
  const task = getOwnTask(state, profileId, v.task);
  const foreign = state.aliases
    .filter((a) => a.taskId === task.id && a.profileId !== profileId)
    .map((a) => ({ profileId: a.profileId, aliasName: a.name }));
  if (foreign.length > 0 && !v.force) {
    const names = foreign.map((f) => `${getProfile(state, f.profileId).name}'s "${f.aliasName}"`);
    throw new HearthError(
      "TASK_IN_USE",
      `task "${task.name}" is aliased by other profiles (${names.join(", ")}); ` +
        "revoke their grants first, or delete with force to remove the aliases too",
      "force",
    );
  }
  const next = structuredClone(state);
  removeTasks(next, new Set([task.id]));
  return { state: next, result: { removedForeignAliases: foreign } };
}
