// Schedules: a profile's rate and cron expressions that invoke a task or alias it may call, made, changed, paused,
// resumed and removed; and the view of one, with its next run.
import { z } from "zod";
import { resolveInvokeTarget } from "../access/authorization.ts";
import { isoTime, type CommandContext } from "../model/command-context.ts";
import { HearthError } from "../model/errors.ts";
import { newId } from "../model/ids.ts";
import { parseInput } from "../model/input-validation.ts";
import { checkPayloadJson } from "../tasks/payload-check.ts";
import type { Change, HearthState, Schedule } from "../model/state.ts";
import { getProfile } from "../model/lookups.ts";
import { nextRun, parseScheduleExpression } from "./schedule-expression.ts";

/** Schedules one profile may keep. */
export const MAX_SCHEDULES_PER_PROFILE = 200;
/** EventBridge's limit on a target's constant input. */
const MAX_INPUT_BYTES = 8192;

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const nameSchema = z.string().regex(NAME, "must be 1 to 64 letters, digits, ., - or _");
const targetSchema = z.strictObject({
  task: z.string().min(1, "must name a task"),
  qualifier: z.string().min(1).optional(),
  ownerAccountId: z
    .string()
    .regex(/^\d{12}$/, "must be a 12-digit account id")
    .optional(),
});

const createSchema = z.strictObject({
  name: nameSchema,
  description: z.string().max(512, "must be at most 512 characters").default(""),
  expression: z.string(),
  target: targetSchema,
  input: z.string().optional(),
  enabled: z.boolean().default(true),
});

const updateSchema = z.strictObject({
  name: nameSchema,
  description: z.string().max(512, "must be at most 512 characters").optional(),
  expression: z.string().optional(),
  target: targetSchema.optional(),
  input: z.string().nullable().optional(),
  enabled: z.boolean().optional(),
});

function checkInput(input: string | undefined | null): void {
  if (input === undefined || input === null) return;
  if (Buffer.byteLength(input) > MAX_INPUT_BYTES)
    throw new HearthError("INVALID_INPUT", `input must be at most ${MAX_INPUT_BYTES} bytes`, "input");
  checkPayloadJson(input, "input");
}

/** The target must be one the profile may invoke now; a later loss of that right is reported at run time. */
function checkTarget(state: HearthState, profileId: string, target: Schedule["target"]): void {
  try {
    resolveInvokeTarget(state, profileId, target);
  } catch (err) {
    if (err instanceof HearthError) throw new HearthError(err.code, err.detail, "target");
    throw err;
  }
}

function getSchedule(state: HearthState, profileId: string, name: string): Schedule {
  const s = state.schedules.find((x) => x.profileId === profileId && x.name === name);
  if (!s) throw new HearthError("SCHEDULE_NOT_FOUND", `no schedule "${name}" in this profile`, "name");
  return s;
}

export function createSchedule(
  state: HearthState,
  profileId: string,
  input: z.input<typeof createSchema>,
  ctx: Pick<CommandContext, "now" | "random">,
): Change<Schedule> {
  const v = parseInput(createSchema, input);
  getProfile(state, profileId);
  parseScheduleExpression(v.expression);
  checkInput(v.input);
  checkTarget(state, profileId, v.target);
  if (state.schedules.some((s) => s.profileId === profileId && s.name === v.name))
    throw new HearthError("SCHEDULE_EXISTS", `this profile already has a schedule "${v.name}"`, "name");
  if (state.schedules.filter((s) => s.profileId === profileId).length >= MAX_SCHEDULES_PER_PROFILE)
    throw new HearthError(
      "SCHEDULE_LIMIT_EXCEEDED",
      `a profile keeps at most ${MAX_SCHEDULES_PER_PROFILE} schedules; remove one first`,
      "name",
    );
  const now = isoTime(ctx.now);
  const schedule: Schedule = {
    id: newId("sch", ctx.random, (id) => state.schedules.some((s) => s.id === id)),
    profileId,
    name: v.name,
    description: v.description,
    expression: v.expression.trim(),
    target: { ...v.target },
    ...(v.input !== undefined ? { input: v.input } : {}),
    state: v.enabled ? "enabled" : "disabled",
    anchorAt: now,
    createdAt: now,
    updatedAt: now,
  };
  const next = structuredClone(state);
  next.schedules.push(schedule);
  return { state: next, result: schedule };
}

/** Changes a schedule; resuming it (or changing its expression) starts a rate's periods again from now. */
export function updateSchedule(
  state: HearthState,
  profileId: string,
  input: z.input<typeof updateSchema>,
  ctx: Pick<CommandContext, "now">,
): Change<Schedule> {
  const v = parseInput(updateSchema, input);
  const old = getSchedule(state, profileId, v.name);
  if (v.expression !== undefined) parseScheduleExpression(v.expression);
  checkInput(v.input);
  if (v.target !== undefined) checkTarget(state, profileId, v.target);
  const next = structuredClone(state);
  const s = getSchedule(next, profileId, v.name);
  const now = isoTime(ctx.now);
  const resumed = v.enabled === true && old.state === "disabled";
  if (v.description !== undefined) s.description = v.description;
  if (v.expression !== undefined) s.expression = v.expression.trim();
  if (v.target !== undefined) s.target = { ...v.target };
  if (v.input === null) delete s.input;
  else if (v.input !== undefined) s.input = v.input;
  if (v.enabled !== undefined) s.state = v.enabled ? "enabled" : "disabled";
  if (resumed || (v.expression !== undefined && v.expression.trim() !== old.expression)) s.anchorAt = now;
  if (resumed) delete s.missed;
  s.updatedAt = now;
  return { state: next, result: s };
}

export function deleteSchedule(
  state: HearthState,
  profileId: string,
  input: { name: string },
): Change<{ deleted: string }> {
  const s = getSchedule(state, profileId, input.name);
  const next = structuredClone(state);
  next.schedules = next.schedules.filter((x) => x.id !== s.id);
  return { state: next, result: { deleted: s.name } };
}

export interface ScheduleView {
  name: string;
  description: string;
  expression: string;
  target: Schedule["target"];
  input: string | null;
  state: "enabled" | "disabled";
  /** The next run, when enabled and it has one. */
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastRequestId: string | null;
  lastError: string | null;
  missed: Schedule["missed"] | null;
  createdAt: string;
  updatedAt: string;
}

export function scheduleView(s: Schedule, now: number): ScheduleView {
  let next: number | null = null;
  if (s.state === "enabled") {
    const expr = parseScheduleExpression(s.expression);
    next = nextRun(expr, Math.max(now, Date.parse(s.lastRunAt ?? s.anchorAt)), Date.parse(s.anchorAt));
  }
  return {
    name: s.name,
    description: s.description,
    expression: s.expression,
    target: { ...s.target },
    input: s.input ?? null,
    state: s.state,
    nextRunAt: next === null ? null : new Date(next).toISOString(),
    lastRunAt: s.lastRunAt ?? null,
    lastRequestId: s.lastRequestId ?? null,
    lastError: s.lastError ?? null,
    missed: s.missed ?? null,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/** Notes a run sent (its request id) or refused (why) at `at`. */
export function recordScheduleRun(
  state: HearthState,
  scheduleId: string,
  run: { at: number; requestId?: string; error?: string; missedBefore?: { count: number; first: number } },
  now: number,
): Change<Schedule | null> {
  if (!state.schedules.some((s) => s.id === scheduleId)) return { state, result: null };
  const next = structuredClone(state);
  const s = next.schedules.find((x) => x.id === scheduleId)!;
  s.lastRunAt = isoTime(run.at);
  if (run.requestId !== undefined) s.lastRequestId = run.requestId;
  if (run.error !== undefined) s.lastError = run.error;
  else delete s.lastError;
  if (run.missedBefore && run.missedBefore.count > 0)
    addMissed(s, run.missedBefore.count, run.missedBefore.first, run.at - 1, now);
  return { state: next, result: s };
}

/** Notes runs that fell while Hearth was not running; they add up until the schedule is resumed or changed. */
export function recordMissedRuns(
  state: HearthState,
  scheduleId: string,
  missed: { count: number; first: number; last: number },
  now: number,
): Change<Schedule | null> {
  if (missed.count === 0 || !state.schedules.some((s) => s.id === scheduleId)) return { state, result: null };
  const next = structuredClone(state);
  const s = next.schedules.find((x) => x.id === scheduleId)!;
  addMissed(s, missed.count, missed.first, missed.last, now);
  return { state: next, result: s };
}

function addMissed(s: Schedule, count: number, first: number, last: number, now: number): void {
  const old = s.missed;
  s.missed = {
    count: (old?.count ?? 0) + count,
    first: old?.first ?? isoTime(first),
    last: isoTime(last),
    noticedAt: isoTime(now),
  };
}

/** Where a schedule's runs count from: its last run, or the last run it missed, or when it was made or resumed. */
export function scheduleCursor(s: Schedule): number {
  return Math.max(
    Date.parse(s.anchorAt),
    s.lastRunAt ? Date.parse(s.lastRunAt) : 0,
    s.missed ? Date.parse(s.missed.last) : 0,
  );
}
