// Aliases in the task owner's own profile (Lambda's aliases), and routing/removal of any alias its holder has.
import { z } from "zod";
import { aliasNameSchema, checkRouting, splitSchema, versionRefSchema } from "./alias-target.ts";
import { removeAliases } from "../model/cascade.ts";
import { isoTime, type CommandContext } from "../model/command-context.ts";
import { HearthError } from "../model/errors.ts";
import { newId } from "../model/ids.ts";
import { parseInput } from "../model/input-validation.ts";
import { findHeldAliasByName, getHeldAlias, getOwnTask, getTaskById } from "../model/lookups.ts";
import type { Alias, Change, HearthState } from "../model/state.ts";
import { descriptionSchema } from "../tasks/task-config.ts";
import { aliasViewOf, type AliasView } from "../model/views.ts";

const createSchema = z.strictObject({
  task: z.string(),
  name: aliasNameSchema,
  description: descriptionSchema.default(""),
  version: versionRefSchema,
  split: splitSchema.nullable().default(null),
});

/** Left-out fields keep their value; `split: null` removes a split. */
const updateSchema = z.strictObject({
  aliasId: z.string(),
  description: descriptionSchema.optional(),
  version: versionRefSchema.optional(),
  split: splitSchema.nullable().optional(),
});

const deleteSchema = z.strictObject({ aliasId: z.string() });

export function createAlias(
  state: HearthState,
  profileId: string,
  input: z.input<typeof createSchema>,
  ctx: Pick<CommandContext, "now" | "random">,
): Change<AliasView> {
  const v = parseInput(createSchema, input);
  const task = getOwnTask(state, profileId, v.task);
  if (findHeldAliasByName(state, profileId, task.id, v.name)) {
    throw new HearthError("ALIAS_EXISTS", `task "${task.name}" already has an alias "${v.name}"`, "name");
  }
  const routing = { version: v.version, split: v.split };
  checkRouting(task, routing);
  const now = isoTime(ctx.now);
  const alias: Alias = {
    id: newId("als", ctx.random, (id) => state.aliases.some((a) => a.id === id)),
    profileId,
    taskId: task.id,
    name: v.name,
    description: v.description,
    routing,
    grantId: null,
    customization: null,
    createdAt: now,
    updatedAt: now,
  };
  const next = structuredClone(state);
  next.aliases.push(alias);
  return { state: next, result: aliasViewOf(next, alias) };
}

/** Re-points an alias the actor holds, its own or a cross-profile one (any published version of the task). */
export function updateAlias(
  state: HearthState,
  profileId: string,
  input: z.input<typeof updateSchema>,
  ctx: Pick<CommandContext, "now">,
): Change<AliasView> {
  const v = parseInput(updateSchema, input);
  const next = structuredClone(state);
  const alias = getHeldAlias(next, profileId, v.aliasId);
  const routing = {
    version: v.version ?? alias.routing.version,
    split: v.split === undefined ? alias.routing.split : v.split,
  };
  checkRouting(getTaskById(next, alias.taskId), routing);
  alias.routing = routing;
  if (v.description !== undefined) alias.description = v.description;
  alias.updatedAt = isoTime(ctx.now);
  return { state: next, result: aliasViewOf(next, alias) };
}

/** Removes an alias the actor holds, with the tokens minted for it. */
export function deleteAlias(
  state: HearthState,
  profileId: string,
  input: z.input<typeof deleteSchema>,
): Change<{ aliasId: string }> {
  const v = parseInput(deleteSchema, input);
  const alias = getHeldAlias(state, profileId, v.aliasId);
  const next = structuredClone(state);
  removeAliases(next, new Set([alias.id]));
  return { state: next, result: { aliasId: alias.id } };
}
