// The profiles operations: list them (the owner sees all, a profile itself), create and delete them (the owner).
import type { CreatedProfile, ProfileView } from "../contract.ts";
import {
  createProfile as createProfileCommand,
  deleteProfile as deleteProfileCommand,
} from "../domain/access/profiles.ts";
import { HearthError } from "../domain/model/errors.ts";
import { findProfileByName } from "../domain/model/lookups.ts";
import { profileView } from "../domain/model/views.ts";
import { commandContext, type OperationContext, type OperationInput } from "./operation-context.ts";

export async function listProfiles({ host, caller, profileId }: OperationContext): Promise<ProfileView[]> {
  const all = host.store.documents.state.profiles;
  const visible = caller.kind === "owner" ? all : all.filter((p) => p.id === profileId);
  return visible.map(profileView);
}

export async function createProfile(
  { host }: OperationContext,
  input: OperationInput<"createProfile">,
): Promise<CreatedProfile> {
  const created = await host.store.documents.update((s) =>
    createProfileCommand(s, { name: input.name }, commandContext(host)),
  );
  host.pool.ensure(created.profile.id);
  return created;
}

export async function deleteProfile(
  { host }: OperationContext,
  input: OperationInput<"deleteProfile">,
): Promise<{ deleted: string }> {
  const docs = host.store.documents;
  const state = docs.state;
  const named = input.profile;
  const profile = state.profiles.find((p) => p.id === named) ?? findProfileByName(state, named);
  if (!profile) throw new HearthError("PROFILE_NOT_FOUND", `no profile named "${named}"`, "profile");
  await docs.update((s) => deleteProfileCommand(s, profile.id, { force: input.force === "true" }));
  host.scheduler.dropProfile(profile.id);
  return { deleted: profile.name };
}
