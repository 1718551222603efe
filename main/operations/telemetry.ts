// The telemetry operations: where invocation traces are exported (the owner's setting), read and changed.
import type { TelemetryView } from "../contract.ts";
import type { OperationContext, OperationInput } from "./operation-context.ts";

export async function getTelemetry({ host }: OperationContext): Promise<TelemetryView> {
  return host.telemetry.view();
}

export async function setTelemetry(
  { host }: OperationContext,
  input: OperationInput<"setTelemetry">,
): Promise<TelemetryView> {
  return host.telemetry.configure({ otlpEndpoint: input.otlpEndpoint, otlpHeaders: input.otlpHeaders ?? {} });
}
