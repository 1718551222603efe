// Runs one operation for a caller already authenticated, over any transport: checks the caller's access, validates
// the input with the operation's contract schema, then calls its function. HTTP and the window's IPC both come here.
import { operations, type Operation, type OperationName } from "../contract.ts";
import { parseInput } from "../domain/model/input-validation.ts";
import { actingProfile, type Caller, type ProfileSource } from "./caller.ts";
import type { CallTransport, OperationHost } from "./operation-context.ts";
import { operationTable, type OperationFunction } from "./operation-table.ts";

/** The transport of an operation one operation runs for another: no 202, no event stream. */
const VALUES_ONLY: CallTransport = {
  accepted: () => undefined,
  openEvents: () => {
    throw new Error("INTERNAL_ERROR: an operation called from another opens no event stream");
  },
};

export async function runOperation(
  on: OperationHost,
  name: OperationName,
  caller: Caller,
  raw: unknown,
  transport: CallTransport,
  profileSource: ProfileSource,
): Promise<unknown> {
  const o: Operation = operations[name];
  const profileId = actingProfile(name, o, caller, profileSource);
  const input = parseInput(o.input, raw);
  const run = operationTable[name] as OperationFunction<OperationName>;
  // A nested call may outlive this one (a project's session reloads later): it answers values only.
  const call = (next: OperationName, raw: unknown): Promise<unknown> =>
    runOperation(on, next, caller, raw, VALUES_ONLY, profileSource);
  return run({ ...on, caller, profileId, transport, call }, input as never);
}
