// The tasks operations: list and read a profile's tasks, import one (a zip, or a folder's files), replace its code,
// configure it, publish a version of it, delete it.
import type { OwnedTaskView, TaskView } from "../contract.ts";
import { HearthError } from "../domain/model/errors.ts";
import { getOwnTask } from "../domain/model/lookups.ts";
import { listTaskViews, ownedTaskView, taskView } from "../domain/model/views.ts";
import {
  createTask,
  deleteTask as deleteTaskCommand,
  updateTaskCode as updateTaskCodeCommand,
  updateTaskConfig,
} from "../domain/tasks/tasks.ts";
import { publishVersion as publishVersionCommand } from "../domain/tasks/versions.ts";
import type { Host } from "../host.ts";
import {
  importTaskCode,
  importTaskFiles as importFiles,
  importTaskZip,
  type ImportedTask,
} from "../store/task-import.ts";
import { actingAs, commandContext, type OperationContext, type OperationInput } from "./operation-context.ts";

async function storeCode(zip: Buffer, manifest: unknown | undefined): Promise<ImportedTask> {
  return manifest === undefined ? importTaskZip(zip) : importTaskCode({ code: zip, manifest });
}

async function publishIfAsked(host: Host, profileId: string, task: string, publish: unknown): Promise<void> {
  if (publish === true) {
    await host.store.documents.update((s) =>
      publishVersionCommand(s, profileId, { task }, commandContext(host)),
    );
  }
}

/** A new task from imported code; refused before anything reaches the blob store, so a refusal stores nothing. */
async function createImported(
  host: Host,
  pid: string,
  imported: ImportedTask,
  publish: unknown,
): Promise<OwnedTaskView> {
  const docs = host.store.documents;
  const name = imported.manifest.name;
  if (docs.state.tasks.some((t) => t.profileId === pid && t.name === name)) {
    throw new HearthError(
      "TASK_EXISTS",
      `task "${name}" already exists; update its code with PUT /v1/tasks/${name}/code`,
      "name",
    );
  }
  await host.store.blobs.put(imported.code);
  const code = { sha256: imported.sha256, size: imported.size };
  await docs.update((s) => createTask(s, pid, { ...imported.manifest, code }, commandContext(host)));
  await publishIfAsked(host, pid, name, publish);
  host.pool.ensure(pid);
  return ownedTaskView(docs.state, getOwnTask(docs.state, pid, name));
}

export async function listTasks(c: OperationContext): Promise<TaskView[]> {
  return listTaskViews(c.host.store.documents.state, actingAs(c));
}

export async function getTask(c: OperationContext, input: OperationInput<"getTask">): Promise<TaskView> {
  const state = c.host.store.documents.state;
  const task = getOwnTask(state, actingAs(c), input.task);
  return taskView(state, actingAs(c), task.id);
}

export async function importTask(
  c: OperationContext,
  input: OperationInput<"importTask">,
): Promise<OwnedTaskView> {
  const imported = await storeCode(Buffer.from(input.zipBase64, "base64"), input.manifest);
  return createImported(c.host, actingAs(c), imported, input.publish);
}

export async function importTaskFiles(
  c: OperationContext,
  input: OperationInput<"importTaskFiles">,
): Promise<OwnedTaskView> {
  const files = input.files.map((f) => ({
    path: f.path,
    executable: f.executable === true,
    data: Buffer.from(f.base64, "base64"),
  }));
  const imported = await importFiles(files, input.manifest === undefined ? {} : { manifest: input.manifest });
  return createImported(c.host, actingAs(c), imported, input.publish);
}

export async function updateTaskCode(
  c: OperationContext,
  input: OperationInput<"updateTaskCode">,
): Promise<OwnedTaskView> {
  const { host } = c;
  const docs = host.store.documents;
  const pid = actingAs(c);
  const task = getOwnTask(docs.state, pid, input.task);
  const c0 = task.latest.config;
  const imported = await importTaskCode({
    code: Buffer.from(input.zipBase64, "base64"),
    manifest: { name: task.name, ...c0, description: task.description },
  });
  await host.store.blobs.put(imported.code);
  await docs.update((s) =>
    updateTaskCodeCommand(
      s,
      pid,
      { task: task.name, code: { sha256: imported.sha256, size: imported.size } },
      commandContext(host),
    ),
  );
  await publishIfAsked(host, pid, task.name, input.publish);
  return ownedTaskView(docs.state, getOwnTask(docs.state, pid, task.name));
}

export async function configureTask(
  c: OperationContext,
  input: OperationInput<"configureTask">,
): Promise<OwnedTaskView> {
  const docs = c.host.store.documents;
  const pid = actingAs(c);
  await docs.update((s) => updateTaskConfig(s, pid, input as never, commandContext(c.host)));
  return ownedTaskView(docs.state, getOwnTask(docs.state, pid, String(input.task)));
}

export async function deleteTask(
  c: OperationContext,
  input: OperationInput<"deleteTask">,
): Promise<{ deleted: string }> {
  const force = input.force === "true";
  await c.host.store.documents.update((s) => deleteTaskCommand(s, actingAs(c), { task: input.task, force }));
  return { deleted: input.task };
}

export async function publishVersion(
  c: OperationContext,
  input: OperationInput<"publishVersion">,
): Promise<OwnedTaskView> {
  const docs = c.host.store.documents;
  const pid = actingAs(c);
  await docs.update((s) => publishVersionCommand(s, pid, input as never, commandContext(c.host)));
  return ownedTaskView(docs.state, getOwnTask(docs.state, pid, String(input.task)));
}
