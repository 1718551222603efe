// The pool as callers see it: each VM with the sandboxes it holds (from the scheduler), warm-up per profile, and
// the live feed of VM changes, which HTTP serves as server-sent events and IPC on a stream channel.
import type { PoolHistoryView, PoolStatus, SandboxView, VmView } from "../contract.ts";
import { poolHistoryView } from "../domain/metrics/pool-series.ts";
import { parseTimeRange } from "../domain/metrics/time-range.ts";
import { HearthError } from "../domain/model/errors.ts";
import type { Host } from "../host.ts";
import type { VmReport } from "../invoke/sandbox-scheduler.ts";
import type { VmInfo } from "../vm/pool.ts";
import type { Caller } from "./caller.ts";
import type { OperationContext, OperationInput } from "./operation-context.ts";

/** Sandbox changes come in bursts (load, ready, retire): one event per VM per this many ms. */
const SANDBOX_COALESCE_MS = 100;

type TaskNames = (taskId: string, vmProfile: string) => string | undefined;

/** A task's name only when the task belongs to the profile owning the VM: never another profile's task. */
function taskNames(app: Host): TaskNames {
  const tasks = app.store.documents.state.tasks;
  let byId: Map<string, { name: string; profileId: string }> | null = null;
  return (taskId, vmProfile) => {
    byId ??= new Map(tasks.map((t) => [t.id, t]));
    const t = byId.get(taskId);
    return t && t.profileId === vmProfile ? t.name : undefined;
  };
}

function vmView(app: Host, info: VmInfo, report: VmReport | undefined, names: TaskNames): VmView {
  const sandboxes: SandboxView[] = (report?.sandboxes ?? []).map((s) => {
    const task = names(s.taskKey, info.profile);
    return {
      slot: s.slot,
      ...(task !== undefined ? { task } : {}),
      version: s.version,
      state: s.state,
      config: s.configKey.slice(0, 12),
    };
  });
  const pooled = app.pool.get(info.name);
  const invocations = report?.invocations ?? (pooled ? app.scheduler.invocationsOn(pooled) : 0);
  return {
    ...info,
    sandboxes,
    invocations,
    ...(report?.lastRequestId !== undefined ? { lastRequestId: report.lastRequestId } : {}),
  };
}

/** The `pool` operation: the VMs of the profile acted as, or of every profile for the owner naming none. */
export async function pool({ host, profileId }: OperationContext): Promise<PoolStatus> {
  return poolStatus(host, profileId);
}

/** The `pool` operation's answer: the profile's VMs (every profile's when `profileId` is null). */
export function poolStatus(app: Host, profileId: string | null): PoolStatus {
  const only = profileId ?? undefined;
  const reports = app.scheduler.vmReport(only);
  const names = taskNames(app);
  return {
    accel: app.accel,
    image: app.manifest.inputsKey,
    template: app.pool.figures,
    vms: app.pool.list(only).map((vm) => vmView(app, vm, reports.get(vm.name), names)),
    warming: app.pool.warmth(only),
  };
}

/**
 * Checks that `caller` may follow the pool (a profile, or the owner across profiles; never a token) and answers
 * the function that subscribes to its changes (returning the unsubscribe). Shared by HTTP (SSE) and IPC.
 */
export function poolFeed(app: Host, caller: Caller): (onChange: (vm: VmView) => void) => () => void {
  if (caller.kind === "token") {
    throw new HearthError("FORBIDDEN", "pool events need the owner key or a profile's access key");
  }
  const only = caller.profileId ?? undefined;
  const mine = (profile: string): boolean => only === undefined || profile === only;
  return (onChange) => {
    const pending = new Map<string, NodeJS.Timeout>();
    const current = (name: string): void => {
      pending.delete(name);
      const vm = app.pool.get(name);
      if (!vm) return; // gone: its last state event said so
      const info = vm.info();
      onChange(vmView(app, info, app.scheduler.vmReport(info.profile).get(name), taskNames(app)));
    };
    const onState = (e: { vm: VmInfo }): void => {
      if (!mine(e.vm.profile)) return;
      clearTimeout(pending.get(e.vm.name));
      pending.delete(e.vm.name);
      const report = app.scheduler.vmReport(e.vm.profile).get(e.vm.name);
      onChange(vmView(app, e.vm, report, taskNames(app)));
    };
    const onSandbox = (e: { profile: string; vm: string }): void => {
      if (!e.vm || !mine(e.profile) || pending.has(e.vm)) return;
      pending.set(
        e.vm,
        setTimeout(() => current(e.vm), SANDBOX_COALESCE_MS),
      );
    };
    app.pool.on("vm-state", onState);
    app.scheduler.on("sandbox", onSandbox);
    return () => {
      app.pool.off("vm-state", onState);
      app.scheduler.off("sandbox", onSandbox);
      for (const t of pending.values()) clearTimeout(t);
      pending.clear();
    };
  };
}

/** The `poolHistory` operation: the VMs of the profile acted as (every profile's for the owner naming none). */
export async function poolHistory(
  { host, profileId }: OperationContext,
  input: OperationInput<"poolHistory">,
): Promise<PoolHistoryView> {
  const range = parseTimeRange(input, Date.now() + 1);
  const samples = await host.poolHistory.read({
    ...range,
    ...(profileId !== null ? { profile: profileId } : {}),
  });
  const profiles = host.store.documents.state.profiles;
  return poolHistoryView(samples, {
    ...range,
    profileName: (id) => profiles.find((p) => p.id === id)?.name ?? id,
  });
}
