// The invoke operations: run a task (sync, async or streamed; locally, or on a teammate's machine through a remote
// alias) for a profile or a token's holder, and read an async invocation's state.
import { randomUUID } from "node:crypto";
import type { InvocationEvent } from "../contract.ts";
import type { InvokeRef } from "../domain/access/authorization.ts";
import type { AsyncEventView } from "../domain/metrics/async-event-view.ts";
import type { CallerLabel } from "../domain/metrics/invocation-record.ts";
import { HearthError, isHearthError } from "../domain/model/errors.ts";
import { invocationResult, type InvocationEventSink } from "../invoke/invoker.ts";
import { errorBody } from "./error-status.ts";
import { actingAs, type OperationContext, type OperationInput } from "./operation-context.ts";

function str(v: unknown): string {
  return String(v);
}

/** A streamed invocation's events on the transport's stream, its failure as the native API's error event. */
function eventSink(c: OperationContext): InvocationEventSink {
  const stream = c.transport.openEvents();
  return {
    send: (e) => stream.send(e.type, e),
    fail: (err) => {
      const error: InvocationEvent = { type: "error", error: errorBody(err).error };
      stream.send(error.type, error);
    },
    keepAlive: () => stream.comment("keep-alive"),
    end: () => stream.end(),
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

/** Loopback addresses: a token used from this machine is a local script's, not a teammate's. */
function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127.");
}

/** Who calls, as the task's metrics name it: a token by its label (a teammate's remote call when from elsewhere). */
function callerLabel(c: OperationContext): CallerLabel {
  if (c.caller.kind !== "token") return { kind: "profile" };
  const tokenId = c.caller.tokenId;
  const token = c.host.store.documents.state.tokens.find((t) => t.id === tokenId);
  const remote = c.caller.remote && !isLoopback(c.caller.client);
  return { kind: remote ? "remote" : "token", ...(token ? { label: token.label } : {}) };
}

/**
 * The invoke operation: the result (sync), the accepted invocation (async; the transport is told it was accepted),
 * or nothing once the events of a streamed invocation went to the transport's event stream. What runs where
 * (a remote alias on the owner's machine, or here) and the payload's rules are the invoker's.
 */
export async function invoke(c: OperationContext, input: OperationInput<"invoke">): Promise<unknown> {
  const app = c.host;
  const { callerProfileId, ref } = invokeTarget(c, input);
  const via = callerLabel(c);
  // A token's call gets its request id here, so the token's usage can name its last call.
  const requestId = c.caller.kind === "token" ? randomUUID() : undefined;
  // Counted (and held to the token's rate limit) in memory before anything runs; saved later, not per call.
  if (c.caller.kind === "token") {
    const { tokenId, rateLimitPerMinute, client } = c.caller;
    try {
      app.store.tokenUsage.admit({ id: tokenId, rateLimitPerMinute }, client, requestId);
    } catch (err) {
      // The task's owner sees the refused call among the task's throttles.
      if (isHearthError(err, "TOKEN_RATE_LIMITED"))
        app.engine.recordThrottle(callerProfileId, { aliasId: c.caller.aliasId }, via, err.code);
      throw err;
    }
  }
  const caller = { profileId: callerProfileId, outsider: c.caller.kind === "token", via };
  const request = {
    caller,
    target: ref,
    payload: str(input.payload),
    ...(requestId !== undefined ? { requestId } : {}),
  };
  const mode = str(input.mode);
  if (mode === "async") {
    const accepted = await app.invoker.invoke({ ...request, mode: "async" });
    c.transport.accepted();
    return accepted;
  }
  if (mode === "sync") return invocationResult(await app.invoker.invoke({ ...request, mode: "sync" }));
  await app.invoker.invoke({ ...request, mode: "stream", openEvents: () => eventSink(c) });
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

/** The acting profile's asynchronous events, newest first, by state and task. */
export async function listAsyncEvents(
  c: OperationContext,
  input: OperationInput<"listAsyncEvents">,
): Promise<AsyncEventView[]> {
  const items = c.host.async
    .list({ callerProfileId: actingAs(c), ...(input.state !== undefined ? { state: input.state } : {}) })
    .filter((i) => input.task === undefined || i.ref.task === input.task)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .slice(0, input.limit ?? 100);
  return items.map((i) => ({
    requestId: i.id,
    target: `${i.ref.ownerAccountId !== undefined ? `${i.ref.ownerAccountId}:` : ""}${i.ref.task}${
      i.ref.qualifier !== undefined ? `:${i.ref.qualifier}` : ""
    }`,
    state: i.state,
    attempts: i.attempts,
    maxAttempts: i.maxAttempts,
    ...(i.condition ? { condition: i.condition } : {}),
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
    ...(i.outcome?.error
      ? { error: { errorType: i.outcome.error.errorType, errorMessage: i.outcome.error.errorMessage } }
      : {}),
    ...(i.origin ? { origin: { kind: i.origin.kind, requestId: i.origin.requestId } } : {}),
    ...(i.delivered ? { delivered: i.delivered.map((d) => ({ ...d })) } : {}),
  }));
}
