// Profiles: creating one with its account id and first key pair, renaming, and deleting with what it owns.
import { z } from "zod";
import { isoTime, type CommandContext } from "../model/command-context.ts";
import { removeApis, removeGrants, removeTasks } from "../model/cascade.ts";
import { HearthError } from "../model/errors.ts";
import { newId } from "../model/ids.ts";
import { parseInput } from "../model/input-validation.ts";
import { findProfileByName, getProfile } from "../model/lookups.ts";
import { mintCredential, type IssuedCredentials } from "./profile-credentials.ts";
import { randomChars } from "../model/random-source.ts";
import type { Change, HearthState } from "../model/state.ts";
import { profileView, type ProfileView } from "../model/views.ts";

export const PROFILE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const profileNameSchema = z
  .string()
  .regex(PROFILE_NAME_PATTERN, "must be 1 to 64 characters: letters, digits, - or _");

const createSchema = z.strictObject({ name: profileNameSchema });
const renameSchema = z.strictObject({ name: profileNameSchema });
const deleteSchema = z.strictObject({ force: z.boolean().default(false) });

function checkNameFree(state: HearthState, name: string, exceptId?: string): void {
  const other = findProfileByName(state, name);
  if (other && other.id !== exceptId) {
    throw new HearthError("PROFILE_EXISTS", `a profile named "${name}" already exists`, "name");
  }
}

export function createProfile(
  state: HearthState,
  input: z.input<typeof createSchema>,
  ctx: CommandContext,
): Change<{ profile: ProfileView; credentials: IssuedCredentials }> {
  const { name } = parseInput(createSchema, input);
  checkNameFree(state, name);
  const accounts = new Set(state.profiles.map((p) => p.accountId));
  let accountId = "";
  for (let i = 0; i < 1000 && (accountId === "" || accounts.has(accountId)); i++) {
    accountId = randomChars(ctx.random, "0123456789", 12);
  }
  if (accounts.has(accountId)) {
    throw new HearthError("ACCOUNT_ID_EXHAUSTED", "could not draw an unused 12-digit account id");
  }
  const { record, issued } = mintCredential(state, ctx.random, ctx.sealer, ctx.now);
  const next = structuredClone(state);
  const profile = {
    id: newId("prf", ctx.random, (id) => state.profiles.some((p) => p.id === id)),
    name,
    accountId,
    createdAt: isoTime(ctx.now),
    credentials: [record],
  };
  next.profiles.push(profile);
  return { state: next, result: { profile: profileView(profile), credentials: issued } };
}

export function renameProfile(
  state: HearthState,
  profileId: string,
  input: z.input<typeof renameSchema>,
): Change<ProfileView> {
  const { name } = parseInput(renameSchema, input);
  getProfile(state, profileId);
  checkNameFree(state, name, profileId);
  const next = structuredClone(state);
  const profile = getProfile(next, profileId);
  profile.name = name;
  return { state: next, result: profileView(profile) };
}

export interface ProfileDeletion {
  removedTaskIds: string[];
  /** Other profiles' aliases that pointed at this profile's tasks (only with force). */
  removedForeignAliases: { profileId: string; aliasName: string; taskName: string }[];
}

/**
 * Deletes a profile with its tasks, aliases, grants, tokens, APIs and remote aliases. Other profiles' aliases on its tasks would
 * break silently, so they block the deletion unless `force`, which removes them too. Code blobs stay on disk:
 * they are shared by sha256 and collected separately (see referencedCodeShas).
 */
export function deleteProfile(
  state: HearthState,
  profileId: string,
  input: z.input<typeof deleteSchema> = {},
): Change<ProfileDeletion> {
  const { force } = parseInput(deleteSchema, input);
  const profile = getProfile(state, profileId);
  const taskIds = new Set(state.tasks.filter((t) => t.profileId === profileId).map((t) => t.id));
  const foreign = state.aliases
    .filter((a) => taskIds.has(a.taskId) && a.profileId !== profileId)
    .map((a) => ({
      profileId: a.profileId,
      aliasName: a.name,
      taskName: state.tasks.find((t) => t.id === a.taskId)?.name ?? a.taskId,
    }));
  if (foreign.length > 0 && !force) {
    const names = foreign.map(
      (f) => `${getProfile(state, f.profileId).name}'s "${f.aliasName}" on "${f.taskName}"`,
    );
    throw new HearthError(
      "PROFILE_IN_USE",
      `profile "${profile.name}" has tasks that other profiles alias (${names.join(", ")}); ` +
        "revoke those grants first, or delete with force to remove the aliases too",
      "force",
    );
  }
  const next = structuredClone(state);
  removeTasks(next, taskIds);
  // Grants this profile received, and the aliases it built on them.
  removeGrants(next, new Set(next.grants.filter((g) => g.granteeProfileId === profileId).map((g) => g.id)));
  next.aliases = next.aliases.filter((a) => a.profileId !== profileId);
  removeApis(next, new Set(next.apis.filter((a) => a.profileId === profileId).map((a) => a.id)));
  next.tokens = next.tokens.filter((t) => t.scope.profileId !== profileId);
  next.remotes = next.remotes.filter((r) => r.profileId !== profileId);
  next.testEvents = next.testEvents.filter((e) => e.profileId !== profileId);
  next.schedules = next.schedules.filter((s) => s.profileId !== profileId);
  // Statements naming its account: a profile made later never inherits what was given to this one.
  next.permissions = next.permissions.filter((p) => p.principalAccountId !== profile.accountId);
  next.profiles = next.profiles.filter((p) => p.id !== profileId);
  return { state: next, result: { removedTaskIds: [...taskIds], removedForeignAliases: foreign } };
}

/** Every sha256 some task head or version still points at; blobs outside this set may be collected. */
export function referencedCodeShas(state: HearthState): Set<string> {
  const shas = new Set<string>();
  for (const t of state.tasks) {
    shas.add(t.latest.code.sha256);
    for (const v of t.versions) shas.add(v.code.sha256);
  }
  return shas;
}
