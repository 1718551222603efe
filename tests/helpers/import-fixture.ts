// Imports a task folder into a store for a profile, as the API would: a new task, or new code for an existing one.
import { createTask, updateTaskCode } from "../../main/domain/tasks/tasks.ts";
import type { HearthStore } from "../../main/store/hearth-store.ts";
import { systemRandom } from "../../main/store/system-random.ts";
import { importTaskFolder } from "../../main/store/task-import.ts";

export async function importFolder(store: HearthStore, profileId: string, folder: string) {
  const imported = await importTaskFolder(folder);
  await store.blobs.put(imported.code);
  const code = { sha256: imported.sha256, size: imported.size };
  const ctx = { now: Date.now(), random: systemRandom, sealer: store.secrets };
  const existing = store.documents.state.tasks.find(
    (t) => t.profileId === profileId && t.name === imported.manifest.name,
  );
  if (existing)
    return store.documents.update((s) => updateTaskCode(s, profileId, { task: existing.name, code }, ctx));
  return store.documents.update((s) => createTask(s, profileId, { ...imported.manifest, code }, ctx));
}
