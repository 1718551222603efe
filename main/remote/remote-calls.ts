// Calls through a profile's remote aliases: what a local name leads to when it is a teammate's shared alias, and the
// call itself, with the token opened only for it and the last use recorded.
import type { InvocationResult } from "../contract.ts";
import { REMOTE_API_PATH } from "../domain/sharing/remote-api-path.ts";
import { HearthError } from "../domain/model/errors.ts";
import type { InvokeRef } from "../domain/access/authorization.ts";
import { findRemoteByName, markRemoteUsed, remoteCallTarget } from "../domain/sharing/remotes.ts";
import type { HearthState, RemoteAlias } from "../domain/model/state.ts";
import type { HearthStore } from "../store/hearth-store.ts";
import type { RemoteConnections } from "./remote-connections.ts";
import { invokeRemote, type RemoteInvokeOptions } from "./remote-invoker.ts";

/** What a call through a remote alias needs of its host: the store that holds the remote, and its connections. */
export interface RemoteCallHost {
  store: HearthStore;
  remoteConnections: RemoteConnections;
}

/** A remote's last use is written at most this often: a busy remote alias must not cost a store write per call. */
const LAST_USE_RESOLUTION_MS = 60_000;

/**
 * The remote alias `ref` names for the caller: a bare local name (no qualifier, no other account) that is one of
 * the profile's remotes. Task and remote names never clash in a profile, so a name is one or the other.
 */
export function remoteAliasFor(
  state: HearthState,
  callerProfileId: string,
  ref: InvokeRef,
): RemoteAlias | null {
  if (ref.qualifier !== undefined || ref.ownerAccountId !== undefined) return null;
  const remote = findRemoteByName(state, callerProfileId, ref.task);
  if (remote?.kind === "api") {
    throw new HearthError(
      "INVALID_INPUT",
      `"${remote.name}" is a remote API: call its routes at ${REMOTE_API_PATH}/${remote.name}/…, not as a function`,
      "task",
    );
  }
  return remote ?? null;
}

/** Invokes the remote alias on its owner's shared listener, sync or (with `onEvent`) streamed. */
export async function callRemoteAlias(
  host: RemoteCallHost,
  callerProfileId: string,
  remote: RemoteAlias,
  o: RemoteInvokeOptions,
): Promise<InvocationResult> {
  const { store } = host;
  const target = remoteCallTarget(store.documents.state, callerProfileId, remote.id, store.secrets);
  const { remoteId: _id, name: _name, ...pinned } = target;
  const started = Date.now();
  try {
    return await invokeRemote(host.remoteConnections, pinned, o);
  } finally {
    noteRemoteUse(store, callerProfileId, remote, started);
  }
}

/** Records a call through a remote alias or API as its last use, at most once per LAST_USE_RESOLUTION_MS. */
export function noteRemoteUse(
  store: HearthStore,
  callerProfileId: string,
  remote: RemoteAlias,
  at: number,
): void {
  const last = remote.lastUsedAt === undefined ? 0 : Date.parse(remote.lastUsedAt);
  if (at - last < LAST_USE_RESOLUTION_MS) return;
  // Best effort and not awaited: the answer does not wait for the store, and a remote removed meanwhile is fine.
  store.documents
    .update((s) => markRemoteUsed(s, callerProfileId, remote.id, { now: at }))
    .catch(() => undefined);
}
