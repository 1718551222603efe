// Finding records by id or name, with the not-found errors a user reads; every command goes through these.
import { HearthError } from "./errors.ts";
import type { Alias, Grant, HearthState, Profile, Task, TaskVersion, VersionRef } from "./state.ts";

export function getProfile(state: HearthState, profileId: string): Profile {
  const p = state.profiles.find((x) => x.id === profileId);
  if (!p) throw new HearthError("PROFILE_NOT_FOUND", `no profile with id "${profileId}"`, "profileId");
  return p;
}

export function findProfileByName(state: HearthState, name: string): Profile | undefined {
  return state.profiles.find((x) => x.name === name);
}

export function findProfileByAccountId(state: HearthState, accountId: string): Profile | undefined {
  return state.profiles.find((x) => x.accountId === accountId);
}

/** A task the actor owns, by name. */
export function getOwnTask(state: HearthState, profileId: string, taskName: string): Task {
  const profile = getProfile(state, profileId);
  const t = state.tasks.find((x) => x.profileId === profileId && x.name === taskName);
  if (!t)
    throw new HearthError("TASK_NOT_FOUND", `no task "${taskName}" in profile "${profile.name}"`, "task");
  return t;
}

export function getTaskById(state: HearthState, taskId: string): Task {
  const t = state.tasks.find((x) => x.id === taskId);
  if (!t) throw new HearthError("TASK_NOT_FOUND", `no task with id "${taskId}"`, "taskId");
  return t;
}

export function findVersion(task: Task, version: number): TaskVersion | undefined {
  return task.versions.find((v) => v.version === version);
}

/** Throws VERSION_NOT_FOUND unless `ref` is `$LATEST` or a published version of the task. */
export function checkVersionRef(task: Task, ref: VersionRef, field: string): void {
  if (ref === "$LATEST") return;
  if (!findVersion(task, ref)) {
    throw new HearthError("VERSION_NOT_FOUND", `task "${task.name}" has no version ${ref}`, field);
  }
}

/**
 * An alias the actor holds. Anyone else's alias is reported as missing, not forbidden, so ids cannot be
 * probed for existence.
 */
export function getHeldAlias(state: HearthState, profileId: string, aliasId: string): Alias {
  const a = state.aliases.find((x) => x.id === aliasId && x.profileId === profileId);
  if (!a)
    throw new HearthError("ALIAS_NOT_FOUND", `no alias with id "${aliasId}" in your profile`, "aliasId");
  return a;
}

/** The alias the holder named `aliasName` on a task (own or shared with it). */
export function findHeldAliasByName(
  state: HearthState,
  profileId: string,
  taskId: string,
  aliasName: string,
): Alias | undefined {
  return state.aliases.find((a) => a.profileId === profileId && a.taskId === taskId && a.name === aliasName);
}

/** The grant that lets `granteeProfileId` build aliases on `taskId`; grants are deleted when revoked. */
export function findGrant(state: HearthState, taskId: string, granteeProfileId: string): Grant | undefined {
  return state.grants.find((g) => g.taskId === taskId && g.granteeProfileId === granteeProfileId);
}

/**
 * A task another profile shared with `granteeProfileId`, by the owner's account id and the task's name.
 * Without a grant the task is reported as missing, whether or not it exists.
 */
export function getSharedTask(
  state: HearthState,
  granteeProfileId: string,
  ownerAccountId: string,
  taskName: string,
): { task: Task; grant: Grant } {
  const owner = findProfileByAccountId(state, ownerAccountId);
  const task = owner && state.tasks.find((t) => t.profileId === owner.id && t.name === taskName);
  const grant = task && findGrant(state, task.id, granteeProfileId);
  if (!task || !grant || owner.id === granteeProfileId) {
    throw new HearthError(
      "TASK_NOT_FOUND",
      `no task "${taskName}" shared with you by account ${ownerAccountId}`,
      "task",
    );
  }
  return { task, grant };
}
