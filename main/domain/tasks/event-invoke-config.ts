// Lambda's event-invoke configurations and dead-letter target: how a task's asynchronous events are retried and
// aged out, and which functions hear of their success or failure.
import { z } from "zod";
import { resolveInvokeTarget } from "../access/authorization.ts";
import { parseFunctionName } from "../access/function-arn.ts";
import { isoTime, type CommandContext } from "../model/command-context.ts";
import { HearthError } from "../model/errors.ts";
import { parseInput } from "../model/input-validation.ts";
import { findVersion, getOwnTask } from "../model/lookups.ts";
import type { Change, EventInvokeConfig, HearthState, Task } from "../model/state.ts";

/** Lambda's defaults, which apply when a task has no configuration for the qualifier called. */
export const DEFAULT_EVENT_INVOKE = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21600 } as const;

const destination = z.string().min(1, "must be a function ARN").nullable();

const putSchema = z.strictObject({
  task: z.string(),
  qualifier: z.string().nullable().default(null),
  maximumRetryAttempts: z
    .number({ error: "must be 0, 1 or 2" })
    .int("must be 0, 1 or 2")
    .min(0, "must be 0, 1 or 2")
    .max(2, "must be 0, 1 or 2")
    .optional(),
  maximumEventAgeSeconds: z
    .number({ error: "must be a whole number of seconds from 60 to 21600" })
    .int("must be a whole number of seconds from 60 to 21600")
    .min(60, "must be a whole number of seconds from 60 to 21600")
    .max(21600, "must be a whole number of seconds from 60 to 21600")
    .optional(),
  onSuccess: destination.optional(),
  onFailure: destination.optional(),
  /** Put replaces the whole configuration (what is left out takes Lambda's default); update merges. */
  merge: z.boolean().default(false),
});

const keySchema = z.strictObject({ task: z.string(), qualifier: z.string().nullable().default(null) });

const deadLetterSchema = z.strictObject({ task: z.string(), targetArn: z.string().nullable() });

/** A qualifier a configuration may name: none ($LATEST, the unqualified ARN), a version, or an own alias. */
function checkQualifier(state: HearthState, task: Task, qualifier: string | null): string | null {
  if (qualifier === null || qualifier === "$LATEST") return null;
  if (/^[0-9]+$/.test(qualifier)) {
    if (!findVersion(task, Number(qualifier)))
      throw new HearthError(
        "VERSION_NOT_FOUND",
        `task "${task.name}" has no version ${qualifier}`,
        "Qualifier",
      );
    return qualifier;
  }
  if (
    !state.aliases.some((a) => a.taskId === task.id && a.profileId === task.profileId && a.name === qualifier)
  )
    throw new HearthError("ALIAS_NOT_FOUND", `task "${task.name}" has no alias "${qualifier}"`, "Qualifier");
  return qualifier;
}

/**
 * Checks a destination: a function the task's owner may invoke now (its own, or another account's whose policy
 * names the owner), and not the task itself, which would call itself on every event.
 */
export function checkDestination(state: HearthState, task: Task, arn: string, field: string): void {
  let ref;
  try {
    ref = parseFunctionName(arn);
  } catch {
    throw new HearthError(
      "INVALID_INPUT",
      `${field} must be a function ARN, such as arn:aws:lambda:REGION:ACCOUNT:function:NAME`,
      field,
    );
  }
  if (!/^(arn:aws[\w-]*:lambda:[\w-]*:)?\d{12}:function:/.test(arn))
    throw new HearthError(
      "INVALID_INPUT",
      `${field} must be a function ARN, such as arn:aws:lambda:REGION:ACCOUNT:function:NAME`,
      field,
    );
  let target;
  try {
    target = resolveInvokeTarget(state, task.profileId, ref);
  } catch (err) {
    const why = err instanceof HearthError ? err.detail : (err as Error).message;
    throw new HearthError(
      "INVALID_INPUT",
      `${field} cannot be invoked by this function's account: ${why}`,
      field,
    );
  }
  const self =
    (target.kind === "version" && target.taskId === task.id) ||
    (target.kind === "alias" && state.aliases.find((a) => a.id === target.aliasId)?.taskId === task.id);
  if (self)
    throw new HearthError(
      "INVALID_INPUT",
      `${field} is the function itself, which would call itself on every event`,
      field,
    );
}

export function putEventInvokeConfig(
  state: HearthState,
  ownerProfileId: string,
  input: z.input<typeof putSchema>,
  ctx: Pick<CommandContext, "now">,
): Change<EventInvokeConfig> {
  const v = parseInput(putSchema, input);
  const task = getOwnTask(state, ownerProfileId, v.task);
  const qualifier = checkQualifier(state, task, v.qualifier);
  const old = state.eventInvokeConfigs.find((e) => e.taskId === task.id && e.qualifier === qualifier);
  if (v.merge && !old) {
    throw new HearthError(
      "EVENT_CONFIG_NOT_FOUND",
      `task "${task.name}${qualifier === null ? "" : `:${qualifier}`}" has no event-invoke configuration to update; put one first`,
      "FunctionName",
    );
  }
  const base = v.merge && old ? old : { ...DEFAULT_EVENT_INVOKE, onSuccess: null, onFailure: null };
  const config: EventInvokeConfig = {
    taskId: task.id,
    qualifier,
    maximumRetryAttempts: v.maximumRetryAttempts ?? base.maximumRetryAttempts,
    maximumEventAgeSeconds: v.maximumEventAgeSeconds ?? base.maximumEventAgeSeconds,
    onSuccess: v.onSuccess !== undefined ? v.onSuccess : base.onSuccess,
    onFailure: v.onFailure !== undefined ? v.onFailure : base.onFailure,
    updatedAt: isoTime(ctx.now),
  };
  if (config.onSuccess)
    checkDestination(state, task, config.onSuccess, "DestinationConfig.OnSuccess.Destination");
  if (config.onFailure)
    checkDestination(state, task, config.onFailure, "DestinationConfig.OnFailure.Destination");
  const next = structuredClone(state);
  next.eventInvokeConfigs = next.eventInvokeConfigs.filter(
    (e) => !(e.taskId === task.id && e.qualifier === qualifier),
  );
  next.eventInvokeConfigs.push(config);
  return { state: next, result: config };
}

export function deleteEventInvokeConfig(
  state: HearthState,
  ownerProfileId: string,
  input: z.input<typeof keySchema>,
): Change<{ deleted: true }> {
  const v = parseInput(keySchema, input);
  const task = getOwnTask(state, ownerProfileId, v.task);
  const qualifier = v.qualifier === "$LATEST" ? null : v.qualifier;
  if (!state.eventInvokeConfigs.some((e) => e.taskId === task.id && e.qualifier === qualifier)) {
    throw new HearthError(
      "EVENT_CONFIG_NOT_FOUND",
      `task "${task.name}${qualifier === null ? "" : `:${qualifier}`}" has no event-invoke configuration`,
      "FunctionName",
    );
  }
  const next = structuredClone(state);
  next.eventInvokeConfigs = next.eventInvokeConfigs.filter(
    (e) => !(e.taskId === task.id && e.qualifier === qualifier),
  );
  return { state: next, result: { deleted: true } };
}

/** The configuration an event to the task by this qualifier runs under, or null (Lambda's defaults, no destinations). */
export function eventInvokeConfigOf(
  state: HearthState,
  taskId: string,
  qualifier: string | null | undefined,
): EventInvokeConfig | null {
  const q = qualifier === undefined || qualifier === "$LATEST" ? null : qualifier;
  return state.eventInvokeConfigs.find((e) => e.taskId === taskId && e.qualifier === q) ?? null;
}

/** Sets (an ARN) or clears (null) the task's dead-letter target. */
export function setDeadLetter(
  state: HearthState,
  ownerProfileId: string,
  input: z.input<typeof deadLetterSchema>,
): Change<string | null> {
  const v = parseInput(deadLetterSchema, input);
  const task = getOwnTask(state, ownerProfileId, v.task);
  if (v.targetArn !== null && v.targetArn !== "")
    checkDestination(state, task, v.targetArn, "DeadLetterConfig.TargetArn");
  const next = structuredClone(state);
  const t = next.tasks.find((x) => x.id === task.id)!;
  if (v.targetArn === null || v.targetArn === "") delete t.deadLetterArn;
  else t.deadLetterArn = v.targetArn;
  return { state: next, result: t.deadLetterArn ?? null };
}
