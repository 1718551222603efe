// Debugging a task: its owner puts it under the debugger (main/invoke/inspector-ports.ts), waits for a debugger to
// attach, and takes it back out.
import type { InspectView } from "../contract.ts";
import { HearthError } from "../domain/model/errors.ts";
import { getOwnTask } from "../domain/model/lookups.ts";
import { runtimeFamily, type Runtime } from "../domain/tasks/runtime-ids.ts";
import { actingAs, type OperationContext, type OperationInput } from "./operation-context.ts";

/** Why a task's runtime has no debugger here, or null when it has (Node.js). */
export function inspectUnavailable(task: { name: string; runtime: Runtime }): string | null {
  switch (runtimeFamily(task.runtime)) {
    case "nodejs":
      return null;
    case "python3":
      return `a debugger is not available for "${task.name}" (${task.runtime}): the VM image has no debugpy; Node.js tasks can be debugged`;
    case "provided":
      return `a debugger is not available for "${task.name}" (${task.runtime}): Hearth does not debug a custom bootstrap; Node.js tasks can be debugged`;
  }
}

function view(task: string, port: number, attached: number): InspectView {
  return { task, host: "127.0.0.1", port, attached };
}

export async function inspectTask(
  c: OperationContext,
  input: OperationInput<"inspectTask">,
): Promise<InspectView> {
  const task = getOwnTask(c.host.store.documents.state, actingAs(c), input.task);
  const why = inspectUnavailable({ name: task.name, runtime: task.latest.config.runtime });
  if (why) throw new HearthError("INSPECT_UNAVAILABLE", why, "task");
  c.host.engine.inspecting.add(task.id);
  try {
    const { port, attached } = await c.host.inspectors.open(task.id);
    return view(task.name, port, attached);
  } catch (err) {
    if (!c.host.inspectors.get(task.id)) c.host.engine.inspecting.delete(task.id);
    throw err;
  }
}

export async function waitForDebugger(
  c: OperationContext,
  input: OperationInput<"waitForDebugger">,
): Promise<InspectView & { ready: boolean }> {
  const task = getOwnTask(c.host.store.documents.state, actingAs(c), input.task);
  const open = c.host.inspectors.get(task.id);
  if (!open)
    throw new HearthError(
      "INSPECT_UNAVAILABLE",
      `task "${task.name}" is not under the debugger; start with POST /v1/tasks/${task.name}/inspect`,
      "task",
    );
  const ready = await c.host.inspectors.waitForDebugger(task.id, input.timeoutMs);
  const now = c.host.inspectors.get(task.id);
  return { ...view(task.name, open.port, now?.attached ?? 0), ready };
}

export async function stopInspectTask(
  c: OperationContext,
  input: OperationInput<"stopInspectTask">,
): Promise<{ task: string; stopped: boolean }> {
  const task = getOwnTask(c.host.store.documents.state, actingAs(c), input.task);
  c.host.engine.inspecting.delete(task.id);
  return { task: task.name, stopped: c.host.inspectors.close(task.id) };
}
