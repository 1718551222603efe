// The APIs operations: a profile's APIs built from its tasks and aliases, and tokens for its token APIs.
import type { ApiView, TokenView } from "../contract.ts";
import { mintApiToken as mintApiTokenCommand } from "../domain/access/tokens.ts";
import {
  createApi as createApiCommand,
  deleteApi as deleteApiCommand,
  updateApi as updateApiCommand,
} from "../domain/apis/apis.ts";
import { listApiViews } from "../domain/model/views.ts";
import { actingAs, commandContext, type OperationContext, type OperationInput } from "./operation-context.ts";

export async function listApis(c: OperationContext): Promise<ApiView[]> {
  return listApiViews(c.host.store.documents.state, actingAs(c));
}

export async function createApi(c: OperationContext, input: OperationInput<"createApi">): Promise<ApiView> {
  const pid = actingAs(c);
  return c.host.store.documents.update((s) =>
    createApiCommand(s, pid, input as never, commandContext(c.host)),
  );
}

export async function updateApi(c: OperationContext, input: OperationInput<"updateApi">): Promise<ApiView> {
  const pid = actingAs(c);
  return c.host.store.documents.update((s) =>
    updateApiCommand(s, pid, input as never, commandContext(c.host)),
  );
}

export async function deleteApi(
  c: OperationContext,
  input: OperationInput<"deleteApi">,
): Promise<{ deleted: string }> {
  await c.host.store.documents.update((s) => deleteApiCommand(s, actingAs(c), { apiId: input.apiId }));
  return { deleted: input.apiId };
}

export async function mintApiToken(
  c: OperationContext,
  input: OperationInput<"mintApiToken">,
): Promise<{ token: TokenView; secret: string }> {
  const pid = actingAs(c);
  return c.host.store.documents.update((s) =>
    mintApiTokenCommand(s, pid, input as never, commandContext(c.host)),
  );
}
