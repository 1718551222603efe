// Runs one operation for a caller already authenticated, over any transport: checks the caller's access, validates
// the input with the operation's contract schema, then calls its function. HTTP and the window's IPC both come here.
import { operations, type Operation, type OperationName } from "../contract.ts";
import { parseInput } from "../domain/model/input-validation.ts";
import { actingProfile, type Caller, type ProfileSource } from "./caller.ts";
import type { CallTransport, OperationHost } from "./operation-context.ts";
import { operationTable, type OperationFunction } from "./operation-table.ts";

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
  return run({ ...on, caller, profileId, transport }, input as never);
}
