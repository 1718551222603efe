// Saved test events: a profile's named payloads per task it may invoke (main/domain/events/test-events.ts).
import type { TestEventView } from "../contract.ts";
import {
  deleteTestEvent as deleteCommand,
  listTestEvents as listQuery,
  renameTestEvent as renameCommand,
  saveTestEvent as saveCommand,
} from "../domain/events/test-events.ts";
import { actingAs, commandContext, type OperationContext, type OperationInput } from "./operation-context.ts";

const ref = (input: { task: string; ownerAccountId?: string | undefined }) =>
  input.ownerAccountId === undefined
    ? { task: input.task }
    : { task: input.task, ownerAccountId: input.ownerAccountId };

export async function listTestEvents(
  c: OperationContext,
  input: OperationInput<"listTestEvents">,
): Promise<TestEventView[]> {
  return listQuery(c.host.store.documents.state, actingAs(c), ref(input));
}

export async function saveTestEvent(
  c: OperationContext,
  input: OperationInput<"saveTestEvent">,
): Promise<TestEventView> {
  const pid = actingAs(c);
  return c.host.store.documents.update((s) =>
    saveCommand(s, pid, { ...ref(input), name: input.event, payload: input.payload }, commandContext(c.host)),
  );
}

export async function renameTestEvent(
  c: OperationContext,
  input: OperationInput<"renameTestEvent">,
): Promise<TestEventView> {
  const pid = actingAs(c);
  return c.host.store.documents.update((s) =>
    renameCommand(
      s,
      pid,
      { ...ref(input), name: input.event, newName: input.newName },
      commandContext(c.host),
    ),
  );
}

export async function deleteTestEvent(
  c: OperationContext,
  input: OperationInput<"deleteTestEvent">,
): Promise<{ deleted: string }> {
  const pid = actingAs(c);
  return c.host.store.documents.update((s) => deleteCommand(s, pid, { ...ref(input), name: input.event }));
}
