// The logs operations: a task's kept log records (the owner reads every invocation's, an alias holder only its own
// invocations'), and the live tail of them, which HTTP serves as server-sent events and IPC on a stream channel.
import { operations } from "../contract.ts";
import { HearthError } from "../domain/model/errors.ts";
import { parseInput } from "../domain/model/input-validation.ts";
import { getOwnTask, getSharedTask } from "../domain/model/lookups.ts";
import type { Host } from "../host.ts";
import { recordForCaller, type LogQuery, type LogRecord } from "../store/log-files.ts";
import type { Caller } from "./caller.ts";
import { actingAs, type OperationContext, type OperationInput } from "./operation-context.ts";

/** Which task's records a profile may read, and whether only its own invocations'. */
function logScope(
  app: Host,
  profileId: string,
  task: string,
  ownerAccountId: string | undefined,
): { taskId: string; caller?: string } {
  const state = app.store.documents.state;
  const me = state.profiles.find((p) => p.id === profileId)!;
  if (ownerAccountId === undefined || ownerAccountId === me.accountId) {
    return { taskId: getOwnTask(state, profileId, task).id };
  }
  return { taskId: getSharedTask(state, profileId, ownerAccountId, task).task.id, caller: profileId };
}

export async function queryLogs(
  c: OperationContext,
  input: OperationInput<"queryLogs">,
): Promise<LogRecord[]> {
  const app = c.host;
  const pid = actingAs(c);
  const scope = logScope(app, pid, input.task, input.ownerAccountId);
  await app.logs.flush();
  const q: LogQuery = {};
  for (const k of ["invocation", "text", "since", "until"] as const) {
    if (input[k] !== undefined) q[k] = String(input[k]);
  }
  if (input.limit !== undefined) q.limit = Number(input.limit);
  if (scope.caller) q.caller = scope.caller;
  return app.logs.files.query(scope.taskId, q);
}

const liveLogsInput = operations.queryLogs.input.pick({ task: true, ownerAccountId: true, invocation: true });

/**
 * Checks that `caller` may tail a task's log and validates the query, throwing before anything is subscribed;
 * answers the function that subscribes (and returns the unsubscribe). Shared by HTTP (SSE) and IPC.
 */
export function liveLogTail(
  app: Host,
  caller: Caller,
  query: unknown,
): (onRecord: (record: LogRecord) => void) => () => void {
  if (caller.kind === "token" || caller.profileId === null) {
    throw new HearthError(
      "FORBIDDEN",
      "live logs need a profile (an access key, or the owner key with X-Hearth-Profile)",
    );
  }
  const q = parseInput(liveLogsInput, query);
  const ls = logScope(app, caller.profileId, q.task, q.ownerAccountId);
  return (onRecord) =>
    app.logs.subscribe({ taskId: ls.taskId, ...(q.invocation ? { invocation: q.invocation } : {}) }, (e) => {
      const r: LogRecord = e.record;
      if (ls.caller === undefined) onRecord(r);
      else if (r.caller === ls.caller) onRecord(recordForCaller(r));
    });
}
