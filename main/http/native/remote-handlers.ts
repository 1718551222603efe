// The native operations on remote aliases (list, import a share link, remove), and invoking one by its local name:
// sync or streamed with the owner's live logs, over the pinned connection to the owner's shared listener.
import type { InvocationEvent, OperationName } from "../../contract.ts";
import type { CommandContext } from "../../domain/model/command-context.ts";
import { HearthError } from "../../domain/model/errors.ts";
import { addRemote, removeRemote } from "../../domain/sharing/remotes.ts";
import type { RemoteAlias } from "../../domain/model/state.ts";
import { listRemoteViews } from "../../domain/model/views.ts";
import type { Host } from "../../host.ts";
import { callRemoteAlias } from "../../remote/remote-calls.ts";
import { systemRandom } from "../../store/system-random.ts";
import { nativeErrorResponse } from "../error-status.ts";
import type { EventSink, Handler, HandlerContext } from "./native-handlers.ts";

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

/**
 * Runs an invocation whose target is one of the caller's remote aliases. Sync answers the owner's result; a stream
 * opens only once the owner's Hearth answered, so an unreachable listener or a wrong certificate still gets its own
 * status code, then relays the owner's start and log events and ends with the result (or the error) event.
 */
export async function invokeRemoteAlias(
  app: Pick<Host, "store" | "remoteConnections">,
  c: HandlerContext,
  callerProfileId: string,
  remote: RemoteAlias,
  payload: string,
): Promise<unknown> {
  const mode = String(c.input.mode);
  if (mode === "async") {
    throw new HearthError(
      "INVALID_INPUT",
      `"${remote.name}" is a remote alias: it is invoked sync or streamed, not async`,
      "mode",
    );
  }
  if (mode === "sync") return callRemoteAlias(app, callerProfileId, remote, { payload });
  let stream: EventSink | null = null;
  const send = (e: InvocationEvent): void => {
    stream ??= c.transport.openEvents();
    stream.send(e.type, e);
  };
  // A task may print nothing for minutes: comments keep clients' idle timers from closing the stream.
  const keepAlive = setInterval(() => stream?.comment("keep-alive"), 15_000);
  try {
    const result = await callRemoteAlias(app, callerProfileId, remote, { payload, onEvent: send });
    send({ type: "result", result });
  } catch (err) {
    if (stream === null) throw err;
    send({ type: "error", error: nativeErrorResponse(err).body.error });
  } finally {
    clearInterval(keepAlive);
  }
  (stream as EventSink | null)?.end();
  return undefined;
}
