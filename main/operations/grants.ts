// The grants operations: which other profiles may alias a profile's tasks, and on what terms.
import type { GrantView } from "../contract.ts";
import {
  createGrant as createGrantCommand,
  revokeGrant as revokeGrantCommand,
} from "../domain/aliases/grants.ts";
import { HearthError } from "../domain/model/errors.ts";
import { findProfileByAccountId, findProfileByName, getOwnTask } from "../domain/model/lookups.ts";
import { listGrantViews } from "../domain/model/views.ts";
import { actingAs, commandContext, type OperationContext, type OperationInput } from "./operation-context.ts";

export async function listGrants(c: OperationContext): Promise<GrantView[]> {
  return listGrantViews(c.host.store.documents.state, actingAs(c));
}

export async function createGrant(
  c: OperationContext,
  input: OperationInput<"createGrant">,
): Promise<GrantView | undefined> {
  const docs = c.host.store.documents;
  const pid = actingAs(c);
  const named = input.grantee;
  const grantee = findProfileByAccountId(docs.state, named) ?? findProfileByName(docs.state, named);
  if (!grantee) {
    throw new HearthError("PROFILE_NOT_FOUND", `no profile with name or account id "${named}"`, "grantee");
  }
  const { grantee: _g, ...rest } = input;
  await docs.update((s) =>
    createGrantCommand(s, pid, { ...rest, granteeProfileId: grantee.id } as never, commandContext(c.host)),
  );
  const task = getOwnTask(docs.state, pid, input.task);
  return listGrantViews(docs.state, pid).find(
    (g) => g.task.id === task.id && g.grantee.profileId === grantee.id,
  );
}

export async function revokeGrant(
  c: OperationContext,
  input: OperationInput<"revokeGrant">,
): Promise<{ deleted: string }> {
  await c.host.store.documents.update((s) => revokeGrantCommand(s, actingAs(c), { grantId: input.grantId }));
  return { deleted: input.grantId };
}
