// The function-settings operations: an own task's resource policy, asynchronous-invocation configurations and
// dead-letter target, as the window and the native API change them (the Lambda API changes the same records).
import type { FunctionSettingsView } from "../contract.ts";
import {
  addPermission as addStatement,
  removePermission as removeStatement,
} from "../domain/access/function-policy.ts";
import { findProfileByName } from "../domain/model/lookups.ts";
import {
  deleteEventInvokeConfig as deleteConfig,
  putEventInvokeConfig as putConfig,
  setDeadLetter as setDeadLetterCommand,
} from "../domain/tasks/event-invoke-config.ts";
import { functionSettingsView } from "../domain/tasks/function-settings-view.ts";
import {
  createFunctionUrl,
  deleteFunctionUrl as deleteUrl,
  findFunctionUrl,
  updateFunctionUrl,
} from "../domain/tasks/function-urls.ts";
import { getOwnTask } from "../domain/model/lookups.ts";
import { actingAs, commandContext, type OperationContext, type OperationInput } from "./operation-context.ts";

function view(c: OperationContext, task: string): FunctionSettingsView {
  return functionSettingsView(c.host.store.documents.state, actingAs(c), task);
}

export async function getFunctionSettings(
  c: OperationContext,
  input: OperationInput<"getFunctionSettings">,
): Promise<FunctionSettingsView> {
  return view(c, input.task);
}

export async function addPermission(
  c: OperationContext,
  input: OperationInput<"addPermission">,
): Promise<FunctionSettingsView> {
  const docs = c.host.store.documents;
  // A local profile may be named by its name too; the statement keeps its account.
  const byName = findProfileByName(docs.state, input.principal);
  await docs.update((s) =>
    addStatement(
      s,
      actingAs(c),
      {
        task: input.task,
        qualifier: input.qualifier ?? null,
        sid: input.statementId,
        action: "lambda:InvokeFunction",
        principal: byName ? byName.accountId : input.principal,
      },
      commandContext(c.host),
    ),
  );
  return view(c, input.task);
}

export async function removePermission(
  c: OperationContext,
  input: OperationInput<"removePermission">,
): Promise<FunctionSettingsView> {
  await c.host.store.documents.update((s) =>
    removeStatement(s, actingAs(c), {
      task: input.task,
      qualifier: input.qualifier ?? null,
      sid: input.statementId,
    }),
  );
  return view(c, input.task);
}

export async function putEventInvokeConfig(
  c: OperationContext,
  input: OperationInput<"putEventInvokeConfig">,
): Promise<FunctionSettingsView> {
  const { qualifier, onSuccess, onFailure, ...rest } = input;
  await c.host.store.documents.update((s) =>
    putConfig(
      s,
      actingAs(c),
      {
        ...rest,
        qualifier: qualifier ?? null,
        ...(onSuccess !== undefined ? { onSuccess: onSuccess === "" ? null : onSuccess } : {}),
        ...(onFailure !== undefined ? { onFailure: onFailure === "" ? null : onFailure } : {}),
      },
      commandContext(c.host),
    ),
  );
  return view(c, input.task);
}

export async function deleteEventInvokeConfig(
  c: OperationContext,
  input: OperationInput<"deleteEventInvokeConfig">,
): Promise<FunctionSettingsView> {
  await c.host.store.documents.update((s) =>
    deleteConfig(s, actingAs(c), { task: input.task, qualifier: input.qualifier ?? null }),
  );
  return view(c, input.task);
}

export async function setDeadLetter(
  c: OperationContext,
  input: OperationInput<"setDeadLetter">,
): Promise<FunctionSettingsView> {
  await c.host.store.documents.update((s) =>
    setDeadLetterCommand(s, actingAs(c), { task: input.task, targetArn: input.targetArn }),
  );
  return view(c, input.task);
}

/**
 * Creates the task's (or alias's) function URL, or changes the one it has: left-out fields keep their value, and a
 * new URL's auth type is AWS_IAM unless told (a URL open to whoever reaches the port is a choice to make).
 */
export async function putFunctionUrl(
  c: OperationContext,
  input: OperationInput<"putFunctionUrl">,
): Promise<FunctionSettingsView> {
  const cors =
    input.allowOrigins === undefined
      ? {}
      : {
          cors:
            input.allowOrigins === null || input.allowOrigins.length === 0
              ? null
              : { allowOrigins: input.allowOrigins, allowMethods: ["*"], allowHeaders: ["*"] },
        };
  await c.host.store.documents.update((s) => {
    const task = getOwnTask(s, actingAs(c), input.task);
    const qualifier = input.qualifier === undefined || input.qualifier === "$LATEST" ? null : input.qualifier;
    const fields = {
      task: input.task,
      qualifier,
      ...(input.invokeMode !== undefined ? { invokeMode: input.invokeMode } : {}),
      ...cors,
    };
    return findFunctionUrl(s, task.id, qualifier)
      ? updateFunctionUrl(
          s,
          actingAs(c),
          { ...fields, ...(input.authType !== undefined ? { authType: input.authType } : {}) },
          commandContext(c.host),
        )
      : createFunctionUrl(
          s,
          actingAs(c),
          { ...fields, authType: input.authType ?? "AWS_IAM" },
          commandContext(c.host),
        );
  });
  return view(c, input.task);
}

export async function deleteFunctionUrl(
  c: OperationContext,
  input: OperationInput<"deleteFunctionUrl">,
): Promise<FunctionSettingsView> {
  await c.host.store.documents.update((s) =>
    deleteUrl(s, actingAs(c), { task: input.task, qualifier: input.qualifier ?? null }),
  );
  return view(c, input.task);
}
