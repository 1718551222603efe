// Who may invoke what: own tasks, own aliases, cross-profile aliases standing on a live grant, and the ARNs another
// profile's resource policy names for the caller's account.
import { HearthError } from "../model/errors.ts";
import {
  findGrant,
  findHeldAliasByName,
  findProfileByAccountId,
  findVersion,
  getOwnTask,
  getProfile,
} from "../model/lookups.ts";
import type { HearthState, Task, VersionRef } from "../model/state.ts";
import { statementAllows } from "./function-policy.ts";

export type InvokeTarget =
  { kind: "version"; taskId: string; version: VersionRef } | { kind: "alias"; aliasId: string };

export function canInvoke(state: HearthState, callerProfileId: string, target: InvokeTarget): boolean {
  if (!state.profiles.some((p) => p.id === callerProfileId)) return false;
  if (target.kind === "version") {
    const task = state.tasks.find((t) => t.id === target.taskId);
    if (!task) return false;
    if (
      task.profileId !== callerProfileId &&
      !allowedByPolicy(state, callerProfileId, task.id, target.version)
    )
      return false;
    return target.version === "$LATEST" || findVersion(task, target.version) !== undefined;
  }
  const alias = state.aliases.find((a) => a.id === target.aliasId);
  if (!alias) return false;
  if (alias.profileId !== callerProfileId) {
    // Another profile's own alias, named by a statement of its policy.
    return (
      alias.grantId === null &&
      state.tasks.some((t) => t.id === alias.taskId && t.profileId === alias.profileId) &&
      allowedByPolicy(state, callerProfileId, alias.taskId, alias.name)
    );
  }
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

function allowedByPolicy(
  state: HearthState,
  callerProfileId: string,
  taskId: string,
  qualifier: VersionRef | string,
): boolean {
  const account = state.profiles.find((p) => p.id === callerProfileId)?.accountId;
  const q = qualifier === "$LATEST" ? null : String(qualifier);
  return account !== undefined && statementAllows(state, account, taskId, q);
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
  const owner = findProfileByAccountId(state, ref.ownerAccountId);
  const task = owner && state.tasks.find((t) => t.profileId === owner.id && t.name === ref.task);
  if (!task) throw notAllowed(ref);
  // Hearth's richer path first: an alias the caller built on the task, with its customizations.
  if (findGrant(state, task.id, callerProfileId) && ref.qualifier !== undefined) {
    const alias = findHeldAliasByName(state, callerProfileId, task.id, ref.qualifier);
    if (alias) return { kind: "alias", aliasId: alias.id };
  }
  // Then Lambda's: a statement of the owner's policy naming the caller's account for exactly this ARN.
  const q = ref.qualifier === undefined || ref.qualifier === "$LATEST" ? null : ref.qualifier;
  if (statementAllows(state, caller.accountId, task.id, q)) return ownerTarget(state, task, q);
  if (findGrant(state, task.id, callerProfileId)) {
    throw new HearthError(
      "ALIAS_NOT_FOUND",
      `you have no alias "${qualifier}" on task "${task.name}" of account ${ref.ownerAccountId}, and its policy ` +
        "lets you invoke no such ARN; another profile's task is invoked through an alias you created on it, " +
        "or by the ARN a statement of its policy names",
      "qualifier",
    );
  }
  throw notAllowed(ref);
}

/** Refused the Lambda way, alike whether the function exists or not: another account's names are not probed. */
function notAllowed(ref: InvokeRef): HearthError {
  const arn = `${ref.ownerAccountId}:function:${ref.task}${ref.qualifier === undefined ? "" : `:${ref.qualifier}`}`;
  return new HearthError(
    "FORBIDDEN",
    `you are not authorized to perform lambda:InvokeFunction on ${arn}: no resource-based policy allows it`,
    "FunctionName",
  );
}

/** What a statement's qualifier runs: the owner's $LATEST, one of its versions, or one of its own aliases. */
function ownerTarget(state: HearthState, task: Task, qualifier: string | null): InvokeTarget {
  if (qualifier === null) return { kind: "version", taskId: task.id, version: "$LATEST" };
  if (/^[0-9]+$/.test(qualifier)) {
    const version = Number(qualifier);
    if (!findVersion(task, version))
      throw new HearthError(
        "VERSION_NOT_FOUND",
        `task "${task.name}" has no version ${qualifier}`,
        "qualifier",
      );
    return { kind: "version", taskId: task.id, version };
  }
  const alias = state.aliases.find(
    (a) => a.taskId === task.id && a.profileId === task.profileId && a.name === qualifier,
  );
  if (!alias)
    throw new HearthError("ALIAS_NOT_FOUND", `no alias "${qualifier}" on task "${task.name}"`, "qualifier");
  return { kind: "alias", aliasId: alias.id };
}
