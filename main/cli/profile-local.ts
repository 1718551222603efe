// `hearth profile create|ls|rm` straight in the data directory, for when no Hearth runs there. A module of its own
// because it loads the store and the domain rules, which the commands that talk to a running Hearth never need.
import type { CreatedProfile, ProfileView } from "../contract.ts";
import { HearthError } from "../domain/model/errors.ts";
import { findProfileByName } from "../domain/model/lookups.ts";
import { createProfile, deleteProfile } from "../domain/access/profiles.ts";
import { profileView } from "../domain/model/views.ts";
import { dataDir } from "../paths.ts";
import { openHearthStore, type HearthStore } from "../store/hearth-store.ts";
import { systemRandom } from "../store/system-random.ts";

async function withStore<T>(fn: (store: HearthStore) => Promise<T>): Promise<T> {
  const store = await openHearthStore(dataDir());
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function createProfileLocally(name: string): Promise<CreatedProfile> {
  return withStore((store) =>
    store.documents.update((s) =>
      createProfile(s, { name }, { now: Date.now(), random: systemRandom, sealer: store.secrets }),
    ),
  );
}

export function listProfilesLocally(): Promise<ProfileView[]> {
  return withStore(async (store) => store.documents.state.profiles.map(profileView));
}

export function removeProfileLocally(name: string): Promise<{ deleted: string }> {
  return withStore(async (store) => {
    const p = findProfileByName(store.documents.state, name);
    if (!p) throw new HearthError("PROFILE_NOT_FOUND", `no profile named "${name}"`, "profile");
    await store.documents.update((s) => deleteProfile(s, p.id));
    return { deleted: p.name };
  });
}
