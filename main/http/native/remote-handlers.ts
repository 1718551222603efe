// The native operations on remote aliases: list, import a share link, remove. Invoking one by its local name is the
// invoker's (main/invoke/invoker.ts), like every invocation.
import type { OperationName } from "../../contract.ts";
import type { CommandContext } from "../../domain/model/command-context.ts";
import { addRemote, removeRemote } from "../../domain/sharing/remotes.ts";
import { listRemoteViews } from "../../domain/model/views.ts";
import type { Host } from "../../host.ts";
import { systemRandom } from "../../store/system-random.ts";
import type { Handler } from "./native-handlers.ts";

type RemoteOperation = Extract<OperationName, "listRemotes" | "addRemote" | "removeRemote">;

function need(profileId: string | null): string {
  if (profileId === null) throw new Error("INTERNAL_ERROR: an operation ran without a profile");
  return profileId;
}

export function remoteHandlers(app: Pick<Host, "store">): Record<RemoteOperation, Handler> {
  const docs = app.store.documents;
  const ctx = (): CommandContext => ({ now: Date.now(), random: systemRandom, sealer: app.store.secrets });
  return {
    listRemotes: async ({ profileId }) => listRemoteViews(docs.state, need(profileId)),
    addRemote: async ({ profileId, input }) => {
      const pid = need(profileId);
      return docs.update((s) => addRemote(s, pid, input as never, ctx()));
    },
    removeRemote: async ({ profileId, input }) => {
      const pid = need(profileId);
      return docs.update((s) => removeRemote(s, pid, { remote: String(input.remote) }));
    },
  };
}
