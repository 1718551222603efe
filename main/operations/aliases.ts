// The aliases operations: list a profile's aliases, create one on its own task or (standing on a grant) on another
// profile's, re-point or customize one, delete one.
import type { AliasView } from "../contract.ts";
import {
  createAlias as createAliasCommand,
  deleteAlias as deleteAliasCommand,
  updateAlias as updateAliasCommand,
} from "../domain/aliases/aliases.ts";
import {
  configureCrossProfileAlias,
  createCrossProfileAlias,
} from "../domain/aliases/cross-profile-aliases.ts";
import { getOwnTask } from "../domain/model/lookups.ts";
import { aliasView, listAliasViews } from "../domain/model/views.ts";
import { actingAs, commandContext, type OperationContext, type OperationInput } from "./operation-context.ts";

export async function listAliases(
  c: OperationContext,
  input: OperationInput<"listAliases">,
): Promise<AliasView[]> {
  const state = c.host.store.documents.state;
  const pid = actingAs(c);
  const taskId = input.task === undefined ? undefined : getOwnTask(state, pid, input.task).id;
  return listAliasViews(state, pid, taskId);
}

export async function createAlias(
  c: OperationContext,
  input: OperationInput<"createAlias">,
): Promise<AliasView> {
  const pid = actingAs(c);
  return c.host.store.documents.update((s) =>
    createAliasCommand(s, pid, input as never, commandContext(c.host)),
  );
}

export async function createSharedAlias(
  c: OperationContext,
  input: OperationInput<"createSharedAlias">,
): Promise<AliasView> {
  const pid = actingAs(c);
  return c.host.store.documents.update((s) =>
    createCrossProfileAlias(s, pid, input as never, commandContext(c.host)),
  );
}

export async function updateAlias(
  c: OperationContext,
  input: OperationInput<"updateAlias">,
): Promise<AliasView> {
  const pid = actingAs(c);
  return c.host.store.documents.update((s) =>
    updateAliasCommand(s, pid, input as never, commandContext(c.host)),
  );
}

export async function customizeAlias(
  c: OperationContext,
  input: OperationInput<"customizeAlias">,
): Promise<AliasView> {
  const pid = actingAs(c);
  return c.host.store.documents.update((s) =>
    configureCrossProfileAlias(s, pid, input as never, commandContext(c.host)),
  );
}

export async function deleteAlias(
  c: OperationContext,
  input: OperationInput<"deleteAlias">,
): Promise<{ deleted: string }> {
  const docs = c.host.store.documents;
  const pid = actingAs(c);
  aliasView(docs.state, pid, input.aliasId);
  await docs.update((s) => deleteAliasCommand(s, pid, { aliasId: input.aliasId }));
  return { deleted: input.aliasId };
}
