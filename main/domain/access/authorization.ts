// Who may invoke what: own tasks, own aliases, and cross-profile aliases standing on a live grant.
import { HearthError } from "../model/errors.ts";
import { findHeldAliasByName, findVersion, getOwnTask, getProfile, getSharedTask } from "../model/lookups.ts";
import type { HearthState, VersionRef } from "../model/state.ts";

export type InvokeTarget =
  { kind: "version"; taskId: string; version: VersionRef } | { kind: "alias"; aliasId: string };

export function canInvoke(state: HearthState, callerProfileId: string, target: InvokeTarget): boolean {
  if (!state.profiles.some((p) => p.id === callerProfileId)) return false;
  if (target.kind === "version") {
    const task = state.tasks.find((t) => t.id === target.taskId);
    if (!task || task.profileId !== callerProfileId) return false;
    return target.version === "$LATEST" || findVersion(task, target.version) !== undefined;
  }
  const alias = state.aliases.find((a) => a.id === target.aliasId);
  if (!alias || alias.profileId !== callerProfileId) return false;
  const task = state.tasks.find((t) => t.id === alias.taskId);
  if (!task) return false;
  if (alias.grantId === null) return task.profileId === callerProfileId;
  const grant = state.grants.find((g) => g.id === alias.grantId);
  return (
    grant !== undefined &&
    grant.taskId === task.id &&
    grant.granteeProfileId === callerProfileId &&
    grant.ownerProfileId === task.profileId &&
    state.profiles.some((p) => p.id === task.profileId)
  );
}

/** How a caller names what it invokes: Lambda's `name[:qualifier]`, plus the owner's account for shared tasks. */
export interface InvokeRef {
  task: string;
  /** A version number, `$LATEST`, or an alias name; none means `$LATEST`. */
  qualifier?: string;
  /** The task owner's account id when it is not the caller's (a Lambda ARN carries it). */
  ownerAccountId?: string;
}

/** Turns a caller's reference into a target it may invoke, or the not-found error a user should read. */
export function resolveInvokeTarget(
  state: HearthState,
  callerProfileId: string,
  ref: InvokeRef,
): InvokeTarget {
  const caller = getProfile(state, callerProfileId);
  const qualifier = ref.qualifier ?? "$LATEST";
  if (ref.ownerAccountId === undefined || ref.ownerAccountId === caller.accountId) {
    const task = getOwnTask(state, callerProfileId, ref.task);
    if (qualifier === "$LATEST") return { kind: "version", taskId: task.id, version: "$LATEST" };
    if (/^[0-9]+$/.test(qualifier)) {
      const version = Number(qualifier);
      if (!findVersion(task, version)) {
        throw new HearthError(
          "VERSION_NOT_FOUND",
          `task "${task.name}" has no version ${qualifier}`,
          "qualifier",
        );
      }
      return { kind: "version", taskId: task.id, version };
    }
    const alias = findHeldAliasByName(state, callerProfileId, task.id, qualifier);
    if (!alias) {
      throw new HearthError("ALIAS_NOT_FOUND", `no alias "${qualifier}" on task "${task.name}"`, "qualifier");
    }
    return { kind: "alias", aliasId: alias.id };
  }
  const { task } = getSharedTask(state, callerProfileId, ref.ownerAccountId, ref.task);
  const alias = findHeldAliasByName(state, callerProfileId, task.id, qualifier);
  if (!alias) {
    throw new HearthError(
      "ALIAS_NOT_FOUND",
      `you have no alias "${qualifier}" on task "${task.name}" of account ${ref.ownerAccountId}; ` +
        "another profile's task is invoked through an alias you created on it",
      "qualifier",
    );
  }
  return { kind: "alias", aliasId: alias.id };
}
