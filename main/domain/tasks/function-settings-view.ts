// What the owner reads of a task's Lambda settings in the window and the native API: its resource policy, its
// asynchronous-invocation configurations with their destinations, its function URLs, its dead-letter target,
// reserved concurrency and tags.
import { getOwnTask } from "../model/lookups.ts";
import type { FunctionUrlCors, HearthState } from "../model/state.ts";
import { functionUrlPath } from "./function-urls.ts";

export interface PolicyStatementView {
  statementId: string;
  /** null: the unqualified function ARN ($LATEST); else the version or alias the statement names. */
  qualifier: string | null;
  principalAccountId: string;
  /** The local profile with that account, when there is one. */
  principalName: string | null;
  action: string;
  createdAt: string;
}

export interface EventInvokeConfigView {
  qualifier: string | null;
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
  onSuccess: string | null;
  onFailure: string | null;
  updatedAt: string;
}

export interface FunctionUrlView {
  /** null: the unqualified function ($LATEST); else the alias it serves. */
  qualifier: string | null;
  urlId: string;
  /** Below the port's origin: `/lambda-url/{urlId}/`. */
  path: string;
  authType: "NONE" | "AWS_IAM";
  invokeMode: "BUFFERED" | "RESPONSE_STREAM";
  cors: FunctionUrlCors | null;
  createdAt: string;
  updatedAt: string;
}

export interface FunctionSettingsView {
  task: string;
  accountId: string;
  policy: PolicyStatementView[];
  eventInvokeConfigs: EventInvokeConfigView[];
  urls: FunctionUrlView[];
  deadLetterArn: string | null;
  reservedConcurrency: number | null;
  tags: Record<string, string>;
}

export function functionSettingsView(
  state: HearthState,
  ownerProfileId: string,
  taskName: string,
): FunctionSettingsView {
  const task = getOwnTask(state, ownerProfileId, taskName);
  const accountId = state.profiles.find((p) => p.id === ownerProfileId)!.accountId;
  return {
    task: task.name,
    accountId,
    policy: state.permissions
      .filter((p) => p.taskId === task.id)
      .map((p) => ({
        statementId: p.sid,
        qualifier: p.qualifier,
        principalAccountId: p.principalAccountId,
        principalName: state.profiles.find((x) => x.accountId === p.principalAccountId)?.name ?? null,
        action: p.action,
        createdAt: p.createdAt,
      })),
    eventInvokeConfigs: state.eventInvokeConfigs
      .filter((e) => e.taskId === task.id)
      .map((e) => ({
        qualifier: e.qualifier,
        maximumRetryAttempts: e.maximumRetryAttempts,
        maximumEventAgeSeconds: e.maximumEventAgeSeconds,
        onSuccess: e.onSuccess,
        onFailure: e.onFailure,
        updatedAt: e.updatedAt,
      })),
    urls: state.functionUrls
      .filter((u) => u.taskId === task.id)
      .map((u) => ({
        qualifier: u.qualifier,
        urlId: u.urlId,
        path: functionUrlPath(u),
        authType: u.authType,
        invokeMode: u.invokeMode,
        cors: u.cors ? structuredClone(u.cors) : null,
        createdAt: u.createdAt,
        updatedAt: u.updatedAt,
      })),
    deadLetterArn: task.deadLetterArn ?? null,
    reservedConcurrency: task.reservedConcurrency ?? null,
    tags: { ...task.tags },
  };
}
