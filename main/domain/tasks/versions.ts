// Publishing: freezing $LATEST into the next immutable version, or handing back the newest one if nothing changed.
import { z } from "zod";
import { isoTime, type CommandContext } from "../model/command-context.ts";
import { parseInput } from "../model/input-validation.ts";
import { getOwnTask } from "../model/lookups.ts";
import type { Change, HearthState, Task, TaskVersion } from "../model/state.ts";
import { descriptionSchema, sameConfig } from "./task-config.ts";
import { ownedVersionView, type OwnedVersionView } from "../model/views.ts";

const publishSchema = z.strictObject({ task: z.string(), description: descriptionSchema.default("") });

/** The newest version, when `$LATEST` still has exactly its code and configuration. */
export function unchangedSinceNewest(task: Task): TaskVersion | undefined {
  const newest = task.versions.at(-1);
  if (!newest) return undefined;
  const same =
    newest.code.sha256 === task.latest.code.sha256 && sameConfig(newest.config, task.latest.config);
  return same ? newest : undefined;
}

/**
 * Lambda's PublishVersion: a new number when `$LATEST` differs from the newest version, else that version
 * (`created: false`), so publishing twice does not mint twins.
 */
export function publishVersion(
  state: HearthState,
  profileId: string,
  input: z.input<typeof publishSchema>,
  ctx: Pick<CommandContext, "now">,
): Change<{ version: OwnedVersionView; created: boolean }> {
  const v = parseInput(publishSchema, input);
  const existing = unchangedSinceNewest(getOwnTask(state, profileId, v.task));
  if (existing) return { state, result: { version: ownedVersionView(existing), created: false } };
  const next = structuredClone(state);
  const task = getOwnTask(next, profileId, v.task);
  const version: TaskVersion = {
    version: task.lastVersion + 1,
    description: v.description,
    code: { ...task.latest.code },
    config: structuredClone(task.latest.config),
    createdAt: isoTime(ctx.now),
  };
  task.versions.push(version);
  task.lastVersion = version.version;
  return { state: next, result: { version: ownedVersionView(version), created: true } };
}
