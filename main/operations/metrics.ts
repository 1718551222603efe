// The metrics operations: a task's (or a profile's) numbers over a time range, and its invocations with their
// figures and timelines. The owner reads every call; a profile calling through a cross-profile alias only its own.
import type { InvocationStatsView, InvocationView } from "../contract.ts";
import type { InvocationRecord } from "../domain/metrics/invocation-record.ts";
import { parseTimeRange } from "../domain/metrics/time-range.ts";
import { HearthError } from "../domain/model/errors.ts";
import { findHeldAliasByName, getOwnTask, getSharedTask } from "../domain/model/lookups.ts";
import type { HearthState } from "../domain/model/state.ts";
import type { MetricsScope } from "../invoke/invocation-metrics.ts";
import { actingAs, type OperationContext, type OperationInput } from "./operation-context.ts";

interface ResolvedScope {
  scope: MetricsScope;
  /** The acting profile owns what it reads (it sees every caller, VMs and labels). */
  ownerView: boolean;
  taskName?: string;
  aliasName?: string;
}

function resolveScope(
  state: HearthState,
  profileId: string,
  q: { task?: string | undefined; ownerAccountId?: string | undefined; alias?: string | undefined },
): ResolvedScope {
  const me = state.profiles.find((p) => p.id === profileId)!;
  if (q.task === undefined) {
    if (q.ownerAccountId !== undefined)
      throw new HearthError("INVALID_INPUT", "name the task shared with you", "task");
    if (q.alias !== undefined) throw new HearthError("INVALID_INPUT", "name the alias's task", "task");
    const tasks = new Set(state.tasks.filter((t) => t.profileId === profileId).map((t) => t.id));
    return { scope: { tasks }, ownerView: true };
  }
  const own = q.ownerAccountId === undefined || q.ownerAccountId === me.accountId;
  const task = own
    ? getOwnTask(state, profileId, q.task)
    : getSharedTask(state, profileId, q.ownerAccountId!, q.task).task;
  const scope: MetricsScope = { task: task.id, ...(own ? {} : { caller: profileId }) };
  if (q.alias !== undefined) {
    const alias = findHeldAliasByName(state, profileId, task.id, q.alias);
    if (!alias)
      throw new HearthError("ALIAS_NOT_FOUND", `you hold no alias "${q.alias}" on task "${q.task}"`, "alias");
    scope.alias = alias.id;
  }
  return {
    scope,
    ownerView: own,
    taskName: task.name,
    ...(q.alias !== undefined ? { aliasName: q.alias } : {}),
  };
}

/** A record as `viewer` reads it: names for ids; the VM and others' labels only for the task's owner. */
function recordView(state: HearthState, r: InvocationRecord, ownerView: boolean): InvocationView {
  const task = state.tasks.find((t) => t.id === r.task);
  const alias = r.alias ? state.aliases.find((a) => a.id === r.alias) : undefined;
  const caller = state.profiles.find((p) => p.id === r.caller);
  return {
    requestId: r.id,
    t: new Date(r.t).toISOString(),
    task: task?.name ?? r.task,
    ...(alias ? { alias: alias.name } : {}),
    caller: caller?.name ?? r.caller,
    via: r.via,
    version: r.version,
    ...(r.served !== undefined ? { servedVersion: r.served } : {}),
    outcome: r.outcome,
    ...(r.errorType !== undefined ? { errorType: r.errorType } : {}),
    coldStart: r.cold,
    ...(r.take !== undefined ? { vmTake: r.take } : {}),
    ...(ownerView && r.vm !== undefined ? { vm: r.vm } : {}),
    phases: r.phases,
    totalMs: r.total,
    ...(r.phases.handler !== undefined ? { durationMs: r.phases.handler } : {}),
    ...(r.phases.init !== undefined ? { initDurationMs: r.phases.init } : {}),
    maxMemoryUsedMb: Math.ceil(r.maxRssKb / 1024),
    memoryMb: r.memoryMb,
    concurrency: r.concurrency,
  };
}

export async function invocationStats(
  c: OperationContext,
  input: OperationInput<"invocationStats">,
): Promise<InvocationStatsView> {
  await c.host.metrics.ready;
  const state = c.host.store.documents.state;
  const s = resolveScope(state, actingAs(c), input);
  const now = Date.now();
  const range = parseTimeRange(input, now + 1);
  const periodMs = input.periodSeconds !== undefined ? input.periodSeconds * 1000 : undefined;
  if (periodMs !== undefined && (range.until - range.since) / periodMs > 10_000) {
    throw new HearthError(
      "INVALID_INPUT",
      "gives more than 10000 periods over the range: make it longer",
      "periodSeconds",
    );
  }
  const stats = c.host.metrics.stats(s.scope, { ...range, ...(periodMs !== undefined ? { periodMs } : {}) });
  return {
    ...stats,
    ...(s.taskName !== undefined ? { task: s.taskName } : {}),
    ...(s.aliasName !== undefined ? { alias: s.aliasName } : {}),
  };
}

export async function listInvocations(
  c: OperationContext,
  input: OperationInput<"listInvocations">,
): Promise<InvocationView[]> {
  await c.host.metrics.ready;
  const state = c.host.store.documents.state;
  const s = resolveScope(state, actingAs(c), input);
  const now = Date.now();
  // Without a range, the newest calls whatever their age (a request id names one of any age).
  const range = input.since === undefined && input.until === undefined ? {} : parseTimeRange(input, now + 1);
  const records = await c.host.metrics.list({
    ...s.scope,
    ...range,
    ...(input.invocation !== undefined ? { ids: new Set([input.invocation]) } : {}),
    ...(input.outcome !== undefined ? { outcome: input.outcome } : {}),
    limit: input.limit ?? 100,
  });
  return records.map((r) => recordView(state, r, s.ownerView));
}
