// The schedules operations: a profile's rate and cron schedules, listed, made, changed (paused, resumed) and removed;
// every change wakes the runner so it takes effect at once.
import type { ScheduleView } from "../contract.ts";
import {
  createSchedule as createCommand,
  deleteSchedule as deleteCommand,
  scheduleView,
  updateSchedule as updateCommand,
} from "../domain/schedules/schedules.ts";
import { actingAs, commandContext, type OperationContext, type OperationInput } from "./operation-context.ts";

export async function listSchedules(c: OperationContext): Promise<ScheduleView[]> {
  const pid = actingAs(c);
  const now = Date.now();
  return c.host.store.documents.state.schedules
    .filter((s) => s.profileId === pid)
    .map((s) => scheduleView(s, now));
}

export async function createSchedule(
  c: OperationContext,
  input: OperationInput<"createSchedule">,
): Promise<ScheduleView> {
  const made = await c.host.store.documents.update((s) =>
    createCommand(s, actingAs(c), input, commandContext(c.host)),
  );
  c.host.schedules.changed();
  return scheduleView(made, Date.now());
}

export async function updateSchedule(
  c: OperationContext,
  input: OperationInput<"updateSchedule">,
): Promise<ScheduleView> {
  const changed = await c.host.store.documents.update((s) =>
    updateCommand(s, actingAs(c), input, commandContext(c.host)),
  );
  c.host.schedules.changed();
  return scheduleView(changed, Date.now());
}

export async function deleteSchedule(
  c: OperationContext,
  input: OperationInput<"deleteSchedule">,
): Promise<{ deleted: string }> {
  const r = await c.host.store.documents.update((s) => deleteCommand(s, actingAs(c), { name: input.name }));
  c.host.schedules.changed();
  return r;
}
