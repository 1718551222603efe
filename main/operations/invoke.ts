// The invoke operations: run a task (sync, async or streamed; locally, or on a teammate's machine through a remote
// alias) for a profile or a token's holder, and read an async invocation's state.
import type { InvocationEvent, InvocationResult } from "../contract.ts";
import type { InvokeRef } from "../domain/access/authorization.ts";
import { HearthError } from "../domain/model/errors.ts";
import type { RemoteAlias } from "../domain/model/state.ts";
import { checkPayloadJson } from "../domain/tasks/payload-check.ts";
import type { InvokeResult } from "../invoke/engine.ts";
import { callRemoteAlias, remoteAliasFor } from "../invoke/remote-calls.ts";
import { errorBody } from "./error-status.ts";
import { actingAs, type EventSink, type OperationContext, type OperationInput } from "./operation-context.ts";

function str(v: unknown): string {
  return String(v);
}

/** Parses an invocation payload: empty means `{}`, anything else must be JSON (Lambda's rule). */
function checkPayload(payload: string): string {
  if (payload.trim() === "") return "{}";
  checkPayloadJson(payload, "payload");
  return payload;
}

export function invocationResult(r: InvokeResult): InvocationResult {
  let result: unknown;
  if (r.ok && r.payload !== undefined) {
    try {
      result = JSON.parse(r.payload);
    } catch {
      result = r.payload;
    }
  }
  return {
    requestId: r.requestId,
    ok: r.ok,
    ...(r.ok ? { result: result ?? null } : {}),
    ...(r.error ? { error: r.error } : {}),
    version: r.version,
    servedVersion: r.servedVersion,
    durationMs: r.durationMs,
    maxMemoryUsedMb: Math.ceil(r.maxRssKb / 1024),
    coldStart: r.coldStart,
  };
}

function invokeTarget(
  c: OperationContext,
  i: OperationInput<"invoke">,
): { callerProfileId: string; ref: InvokeRef } {
  if (c.caller.kind === "token") {
    const ref = c.caller.ref;
    const asked = [i.task, i.qualifier, i.ownerAccountId].some((v) => v !== undefined);
    const same =
      (i.task === undefined || i.task === ref.task) &&
      (i.qualifier === undefined || i.qualifier === ref.qualifier) &&
      (i.ownerAccountId === undefined || i.ownerAccountId === ref.ownerAccountId);
    if (asked && !same)
      throw new HearthError("TOKEN_INVALID", "the token is not valid for this request", "token");
    return { callerProfileId: c.caller.profileId, ref };
  }
  if (i.task === undefined) throw new HearthError("INVALID_INPUT", "task is required", "task");
  return {
    callerProfileId: actingAs(c),
    ref: {
      task: str(i.task),
      ...(i.qualifier !== undefined ? { qualifier: str(i.qualifier) } : {}),
      ...(i.ownerAccountId !== undefined ? { ownerAccountId: str(i.ownerAccountId) } : {}),
    },
  };
}

/**
 * Runs an invocation whose target is one of the caller's remote aliases. Sync answers the owner's result; a stream
 * opens only once the owner's Hearth answered, so an unreachable listener or a wrong certificate still gets its own
 * status code, then relays the owner's start and log events and ends with the result (or the error) event.
 */
async function invokeRemoteAlias(
  c: OperationContext,
  input: OperationInput<"invoke">,
  callerProfileId: string,
  remote: RemoteAlias,
  payload: string,
): Promise<unknown> {
  const { store } = c.host;
  const mode = String(input.mode);
  if (mode === "async") {
    throw new HearthError(
      "INVALID_INPUT",
      `"${remote.name}" is a remote alias: it is invoked sync or streamed, not async`,
      "mode",
    );
  }
  if (mode === "sync") return callRemoteAlias(store, callerProfileId, remote, { payload });
  let stream: EventSink | null = null;
  const send = (e: InvocationEvent): void => {
    stream ??= c.transport.openEvents();
    stream.send(e.type, e);
  };
  // A task may print nothing for minutes: comments keep clients' idle timers from closing the stream.
  const keepAlive = setInterval(() => stream?.comment("keep-alive"), 15_000);
  try {
    const result = await callRemoteAlias(store, callerProfileId, remote, { payload, onEvent: send });
    send({ type: "result", result });
  } catch (err) {
    if (stream === null) throw err;
    send({ type: "error", error: errorBody(err).error });
  } finally {
    clearInterval(keepAlive);
  }
  (stream as EventSink | null)?.end();
  return undefined;
}

/**
 * The invoke operation: the result (sync), the accepted invocation (async; the transport is told it was accepted),
 * or nothing once the events of a streamed invocation went to the transport's event stream.
 */
export async function invoke(c: OperationContext, input: OperationInput<"invoke">): Promise<unknown> {
  const app = c.host;
  const docs = app.store.documents;
  const { callerProfileId, ref } = invokeTarget(c, input);
  // Counted (and held to the token's rate limit) in memory before anything runs; saved later, not per call.
  if (c.caller.kind === "token") {
    const { tokenId, rateLimitPerMinute, client } = c.caller;
    app.store.tokenUsage.admit({ id: tokenId, rateLimitPerMinute }, client);
  }
  const payload = checkPayload(str(input.payload));
  // A teammate's shared alias, by its local name: the call goes to the owner's machine (never for a token).
  const remote = c.caller.kind === "token" ? null : remoteAliasFor(docs.state, callerProfileId, ref);
  if (remote) return invokeRemoteAlias(c, input, callerProfileId, remote, payload);
  const mode = str(input.mode);
  const outsider = c.caller.kind === "token";
  if (mode === "async") {
    const accepted = await app.async.enqueue({ callerProfileId, ref, payload, outsider });
    c.transport.accepted();
    return { requestId: accepted.id, state: accepted.state };
  }
  if (mode === "sync") {
    const r = await app.engine.invoke({ callerProfileId, ref, payload, outsider });
    return invocationResult(r);
  }
  // Resolve before the stream opens, so a wrong target still gets its status code.
  app.engine.resolve(callerProfileId, ref);
  const stream = c.transport.openEvents();
  const send = (e: InvocationEvent): void => stream.send(e.type, e);
  const requestId = crypto.randomUUID();
  send({ type: "start", requestId });
  // A task may print nothing for minutes: comments keep clients' idle timers from closing the stream.
  const keepAlive = setInterval(() => stream.comment("keep-alive"), 15_000);
  try {
    const r = await app.engine.invoke({
      callerProfileId,
      ref,
      payload,
      outsider,
      requestId,
      onLog: (l) => send({ type: "log", t: new Date().toISOString(), stream: l.stream, line: l.line }),
    });
    send({ type: "result", result: invocationResult(r) });
  } catch (err) {
    send({ type: "error", error: errorBody(err).error });
  } finally {
    clearInterval(keepAlive);
  }
  stream.end();
  return undefined;
}

export async function getInvocation(
  c: OperationContext,
  input: OperationInput<"getInvocation">,
): Promise<{ requestId: string; state: string; attempts: number; outcome?: unknown }> {
  const item = c.host.async.get(input.requestId);
  if (!item || item.callerProfileId !== c.profileId) {
    throw new HearthError("INVALID_INPUT", `no invocation "${input.requestId}" of yours`, "requestId");
  }
  return {
    requestId: item.id,
    state: item.state,
    attempts: item.attempts,
    ...(item.outcome ? { outcome: item.outcome } : {}),
  };
}
