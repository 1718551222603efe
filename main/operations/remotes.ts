// The remotes operations: a profile's remote aliases (teammates' shared aliases on other machines), importing one
// from a share link, forgetting one. Invoking one by its local name is the invoke operation's.
import type { RemoteView } from "../contract.ts";
import {
  addRemote as addRemoteCommand,
  removeRemote as removeRemoteCommand,
} from "../domain/sharing/remotes.ts";
import { listRemoteViews } from "../domain/model/views.ts";
import { actingAs, commandContext, type OperationContext, type OperationInput } from "./operation-context.ts";

export async function listRemotes(c: OperationContext): Promise<RemoteView[]> {
  return listRemoteViews(c.host.store.documents.state, actingAs(c));
}

export async function addRemote(
  c: OperationContext,
  input: OperationInput<"addRemote">,
): Promise<RemoteView> {
  const pid = actingAs(c);
  return c.host.store.documents.update((s) =>
    addRemoteCommand(s, pid, input as never, commandContext(c.host)),
  );
}

export async function removeRemote(
  c: OperationContext,
  input: OperationInput<"removeRemote">,
): Promise<RemoteView> {
  const pid = actingAs(c);
  return c.host.store.documents.update((s) => removeRemoteCommand(s, pid, { remote: String(input.remote) }));
}
