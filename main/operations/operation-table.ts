// Every operation of main/contract.ts by its name, so a transport dispatches a call by name to the one function
// that answers it; the mapped type makes an operation added to the contract without a function here a type error.
import type { OperationName } from "../contract.ts";
import {
  createAlias,
  createSharedAlias,
  customizeAlias,
  deleteAlias,
  listAliases,
  updateAlias,
} from "./aliases.ts";
import { createApi, deleteApi, listApis, mintApiToken, updateApi } from "./apis.ts";
import {
  addPermission,
  deleteEventInvokeConfig,
  deleteFunctionUrl,
  getFunctionSettings,
  putFunctionUrl,
  putEventInvokeConfig,
  removePermission,
  setDeadLetter,
} from "./function-settings.ts";
import { createGrant, listGrants, revokeGrant } from "./grants.ts";
import { createSchedule, deleteSchedule, listSchedules, updateSchedule } from "./schedules.ts";
import { health, startup } from "./health.ts";
import { getInvocation, invoke, listAsyncEvents } from "./invoke.ts";
import { queryLogs } from "./logs.ts";
import { invocationStats, listInvocations } from "./metrics.ts";
import { getTelemetry, setTelemetry } from "./telemetry.ts";
import type { OperationContext, OperationInput } from "./operation-context.ts";
import { pool, poolHistory } from "./pool.ts";
import { createProfile, deleteProfile, listProfiles } from "./profiles.ts";
import { addRemote, listRemotes, removeRemote } from "./remotes.ts";
import { shareAlias, shareApi } from "./sharing.ts";
import {
  configureTask,
  deleteTask,
  getTask,
  importTask,
  importTaskFiles,
  listTasks,
  publishVersion,
  updateTaskCode,
} from "./tasks.ts";
import { deleteTestEvent, listTestEvents, renameTestEvent, saveTestEvent } from "./test-events.ts";
import { inspectTask, stopInspectTask, waitForDebugger } from "./inspect.ts";
import { closeProject, listProjects, openProject } from "./projects.ts";
import { listTokens, mintToken, revokeToken } from "./tokens.ts";

/** One operation: its input as the contract's schema checked it, its answer in the contract's shapes. */
export type OperationFunction<N extends OperationName> = (
  c: OperationContext,
  input: OperationInput<N>,
) => Promise<unknown>;

export const operationTable: { readonly [N in OperationName]: OperationFunction<N> } = {
  health,
  startup,
  pool,

  listProfiles,
  createProfile,
  deleteProfile,

  listTasks,
  getTask,
  importTask,
  importTaskFiles,
  updateTaskCode,
  configureTask,
  deleteTask,
  publishVersion,

  listAliases,
  createAlias,
  createSharedAlias,
  updateAlias,
  customizeAlias,
  deleteAlias,

  listGrants,
  createGrant,
  revokeGrant,
  getFunctionSettings,
  addPermission,
  removePermission,
  putFunctionUrl,
  deleteFunctionUrl,
  putEventInvokeConfig,
  deleteEventInvokeConfig,
  setDeadLetter,
  listSchedules,
  createSchedule,
  updateSchedule,
  deleteSchedule,

  listTokens,
  mintToken,
  shareAlias,
  revokeToken,

  listApis,
  createApi,
  updateApi,
  deleteApi,
  mintApiToken,
  shareApi,

  listRemotes,
  addRemote,
  removeRemote,

  invoke,
  getInvocation,
  listAsyncEvents,

  queryLogs,
  invocationStats,
  listInvocations,
  poolHistory,
  getTelemetry,
  setTelemetry,
  listTestEvents,
  saveTestEvent,
  renameTestEvent,
  deleteTestEvent,
  inspectTask,
  waitForDebugger,
  stopInspectTask,
  openProject,
  listProjects,
  closeProject,
};
