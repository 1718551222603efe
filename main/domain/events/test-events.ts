// Saved test events: named payloads a profile keeps per task it may invoke, to pick in the window or name with
// `hearth invoke --event`. Each profile sees only its own, including on a task another profile shared with it.
import { z } from "zod";
import { isoTime, type CommandContext } from "../model/command-context.ts";
import { HearthError } from "../model/errors.ts";
import { parseInput } from "../model/input-validation.ts";
import { getOwnTask, getProfile, getSharedTask } from "../model/lookups.ts";
import type { Change, HearthState, Task, TestEvent } from "../model/state.ts";

import { MAX_TEST_EVENT_BYTES, MAX_TEST_EVENTS, TEST_EVENT_NAME_PATTERN } from "./test-event-limits.ts";

export { MAX_TEST_EVENT_BYTES, MAX_TEST_EVENTS, TEST_EVENT_NAME_PATTERN } from "./test-event-limits.ts";

export interface TestEventView {
  name: string;
  payload: string;
  createdAt: string;
  updatedAt: string;
}

/** Which task: the caller's own by name, or one shared with it by the owner's account id and the task's name. */
export interface TestEventTaskRef {
  task: string;
  ownerAccountId?: string;
}

export const testEventNameSchema = z
  .string({ error: "must be a name" })
  .regex(
    TEST_EVENT_NAME_PATTERN,
    "must be 1 to 64 characters: letters, digits, ., - or _ (not starting with .)",
  );

/** JSON text of at most MAX_TEST_EVENT_BYTES, kept as written. */
export const testEventPayloadSchema = z.string({ error: "must be JSON text" }).superRefine((text, ctx) => {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_TEST_EVENT_BYTES) {
    ctx.addIssue({
      code: "custom",
      message: `is ${bytes} bytes; a saved event holds at most ${MAX_TEST_EVENT_BYTES}`,
    });
    return;
  }
  try {
    JSON.parse(text);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `is not JSON: ${(err as Error).message}` });
  }
});

const taskRefFields = {
  task: z.string({ error: "must be a task name" }).min(1, "must not be empty"),
  ownerAccountId: z
    .string()
    .regex(/^\d{12}$/, "must be a 12-digit account id")
    .optional(),
};
const saveSchema = z.strictObject({
  ...taskRefFields,
  name: testEventNameSchema,
  payload: testEventPayloadSchema,
});
const renameSchema = z.strictObject({
  ...taskRefFields,
  name: testEventNameSchema,
  newName: testEventNameSchema,
});
const nameSchema = z.strictObject({ ...taskRefFields, name: testEventNameSchema });

/** The task the caller names: its own, or one shared with it (a task it has no grant on is reported missing). */
function taskOf(state: HearthState, profileId: string, ref: TestEventTaskRef): Task {
  const caller = getProfile(state, profileId);
  if (ref.ownerAccountId === undefined || ref.ownerAccountId === caller.accountId) {
    return getOwnTask(state, profileId, ref.task);
  }
  return getSharedTask(state, profileId, ref.ownerAccountId, ref.task).task;
}

function viewOf(e: TestEvent): TestEventView {
  return { name: e.name, payload: e.payload, createdAt: e.createdAt, updatedAt: e.updatedAt };
}

function eventsOf(state: HearthState, profileId: string, taskId: string): TestEvent[] {
  return state.testEvents.filter((e) => e.profileId === profileId && e.taskId === taskId);
}

function notFound(task: Task, name: string): HearthError {
  return new HearthError("EVENT_NOT_FOUND", `no saved event "${name}" on task "${task.name}"`, "name");
}

/** The caller's saved events on a task, by name. */
export function listTestEvents(
  state: HearthState,
  profileId: string,
  ref: TestEventTaskRef,
): TestEventView[] {
  const task = taskOf(state, profileId, parseInput(z.strictObject(taskRefFields), ref));
  return eventsOf(state, profileId, task.id)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(viewOf);
}

/** One saved event, for `hearth invoke --event NAME`. */
export function getTestEvent(
  state: HearthState,
  profileId: string,
  input: TestEventTaskRef & { name: string },
): TestEventView {
  const ref = parseInput(nameSchema, input);
  const task = taskOf(state, profileId, ref);
  const found = eventsOf(state, profileId, task.id).find((e) => e.name === ref.name);
  if (!found) throw notFound(task, ref.name);
  return viewOf(found);
}

/** Saves an event under its name, replacing the payload of one already there. */
export function saveTestEvent(
  state: HearthState,
  profileId: string,
  input: TestEventTaskRef & { name: string; payload: string },
  ctx: CommandContext,
): Change<TestEventView> {
  const ref = parseInput(saveSchema, input);
  const task = taskOf(state, profileId, ref);
  const now = isoTime(ctx.now);
  const mine = eventsOf(state, profileId, task.id);
  const existing = mine.find((e) => e.name === ref.name);
  if (!existing && mine.length >= MAX_TEST_EVENTS) {
    throw new HearthError(
      "EVENT_LIMIT_EXCEEDED",
      `task "${task.name}" already has ${MAX_TEST_EVENTS} saved events; delete one first`,
      "name",
    );
  }
  const saved: TestEvent = existing
    ? { ...existing, payload: ref.payload, updatedAt: now }
    : { profileId, taskId: task.id, name: ref.name, payload: ref.payload, createdAt: now, updatedAt: now };
  const testEvents = existing
    ? state.testEvents.map((e) => (e === existing ? saved : e))
    : [...state.testEvents, saved];
  return { state: { ...state, testEvents }, result: viewOf(saved) };
}

export function renameTestEvent(
  state: HearthState,
  profileId: string,
  input: TestEventTaskRef & { name: string; newName: string },
  ctx: CommandContext,
): Change<TestEventView> {
  const ref = parseInput(renameSchema, input);
  const task = taskOf(state, profileId, ref);
  const mine = eventsOf(state, profileId, task.id);
  const existing = mine.find((e) => e.name === ref.name);
  if (!existing) throw notFound(task, ref.name);
  if (ref.newName === ref.name) return { state, result: viewOf(existing) };
  if (mine.some((e) => e.name === ref.newName)) {
    throw new HearthError(
      "EVENT_EXISTS",
      `task "${task.name}" already has a saved event "${ref.newName}"`,
      "newName",
    );
  }
  const renamed: TestEvent = { ...existing, name: ref.newName, updatedAt: isoTime(ctx.now) };
  return {
    state: { ...state, testEvents: state.testEvents.map((e) => (e === existing ? renamed : e)) },
    result: viewOf(renamed),
  };
}

export function deleteTestEvent(
  state: HearthState,
  profileId: string,
  input: TestEventTaskRef & { name: string },
): Change<{ deleted: string }> {
  const ref = parseInput(nameSchema, input);
  const task = taskOf(state, profileId, ref);
  const existing = eventsOf(state, profileId, task.id).find((e) => e.name === ref.name);
  if (!existing) throw notFound(task, ref.name);
  return {
    state: { ...state, testEvents: state.testEvents.filter((e) => e !== existing) },
    result: { deleted: ref.name },
  };
}
