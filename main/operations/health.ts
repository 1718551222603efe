// Whether Hearth answers and how its start goes: the two operations anyone who reaches it may call.
import type { Health, StartupStatus } from "../contract.ts";
import { readyStatus } from "../startup-progress.ts";
import type { OperationContext } from "./operation-context.ts";

export async function health({ host }: OperationContext): Promise<Health> {
  return {
    ok: true,
    name: "hearth",
    version: process.env.npm_package_version ?? "0.1.0",
    accel: host.accel,
  };
}

export async function startup({ host }: OperationContext): Promise<StartupStatus> {
  return host.startup?.status() ?? readyStatus();
}
