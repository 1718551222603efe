// Every call the window, the CLI and scripts make to a Hearth host: one table of operations (method, path, who may
// call, input schema, output type), served over HTTP by main/http/native/ and spoken by main/client/.
import { z } from "zod";
import type {
  AliasView,
  ApiView,
  GrantView,
  OwnedTaskView,
  ProfileView,
  RemoteView,
  SharedTaskView,
  TokenView,
} from "./domain/model/views.ts";
import type { ShareLinkParts } from "./domain/sharing/share-link.ts";
import type { LogRecord } from "./domain/model/log-record.ts";
import type { AsyncEventView } from "./domain/metrics/async-event-view.ts";
import type { FunctionSettingsView } from "./domain/tasks/function-settings-view.ts";
import type { ScheduleView } from "./domain/schedules/schedules.ts";
import type { InvocationStatsView, InvocationView } from "./domain/metrics/metrics-views.ts";
import type { PoolHistoryView } from "./domain/metrics/pool-series.ts";
import type { TelemetryView } from "./domain/metrics/telemetry-view.ts";
import type { TestEventView } from "./domain/events/test-events.ts";
import type { StartupStatus } from "./domain/model/startup-status.ts";
import { DEFAULT_IMPORT_LIMITS } from "./domain/tasks/import-limits.ts";

export type {
  AliasView,
  ApiAuthorizerView,
  ApiView,
  GrantView,
  OwnedTaskView,
  ProfileView,
  RemoteView,
  SharedTaskView,
  TokenView,
} from "./domain/model/views.ts";
export type { LogRecord } from "./domain/model/log-record.ts";
export type {
  CallerLabel,
  DurationFigures,
  InvocationOutcome,
  InvocationPhases,
  InvocationStatsView,
  InvocationView,
  StatsBucket,
  StatsFigures,
  VmTake,
} from "./domain/metrics/metrics-views.ts";
export type { PoolHistoryView, StartsPerHour, VmPoint, VmSeries } from "./domain/metrics/pool-series.ts";
export type { TelemetryView } from "./domain/metrics/telemetry-view.ts";
export type { AsyncEventView } from "./domain/metrics/async-event-view.ts";
export type { ScheduleView } from "./domain/schedules/schedules.ts";
export type {
  EventInvokeConfigView,
  FunctionSettingsView,
  FunctionUrlView,
  PolicyStatementView,
} from "./domain/tasks/function-settings-view.ts";
export type { TestEventView } from "./domain/events/test-events.ts";
/** A saved test event's name rule, checked by the window before it asks the host (which checks it again). */
export { TEST_EVENT_NAME_PATTERN } from "./domain/events/test-event-limits.ts";
export type { StartupPhase, StartupStatus } from "./domain/model/startup-status.ts";
/** A `hearth://share?…` link's parts, checked in the main process before the window sees them. */
export type { ShareLinkParts as ShareLink } from "./domain/sharing/share-link.ts";

/**
 * Who may call an operation:
 * - `public`: anyone who reaches the port;
 * - `owner`: the machine's owner (the owner key in the data directory), for what spans profiles;
 * - `profile`: one profile, by its access key or by the owner key acting as it (`X-Hearth-Profile`);
 * - `invoke`: a profile as above, or a token minted for the alias being invoked.
 */
export type Access = "public" | "owner" | "profile" | "invoke";
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface Operation<I extends z.ZodType = z.ZodType, O = unknown> {
  method: HttpMethod;
  /** Path parameters are `:name` segments; each is a field of the input. */
  path: string;
  access: Access;
  input: I;
  /** A field sent as the raw request body instead of JSON (an invocation's payload). */
  rawBody?: string;
  /** Type only: what the operation answers. */
  output?: O;
}

function op<O>() {
  return <I extends z.ZodType>(spec: Omit<Operation<I, O>, "output">): Operation<I, O> => spec;
}

export interface CreatedProfile {
  profile: ProfileView;
  /** Shown once: the store keeps only a hash of the secret. */
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export type TaskView = OwnedTaskView | SharedTaskView;

export interface InvocationResult {
  requestId: string;
  ok: boolean;
  /** The handler's return value (parsed JSON) when ok. */
  result?: unknown;
  /** Lambda's error shape when the handler failed. */
  error?: { errorType: string; errorMessage: string; trace?: string[] };
  /** The version the target resolved to, and the one that answered (an older one while a deploy loads). */
  version: string;
  servedVersion: string;
  durationMs: number;
  maxMemoryUsedMb: number;
  coldStart: boolean;
  /** A cold start's module init (Lambda's Init Duration), in ms. */
  initDurationMs?: number;
}

/** An alias shared in one step: the token, and the share link with ready commands, all in this answer only. */
export interface ShareAnswer {
  token: TokenView;
  secret: string;
  /** The name the teammate calls it by (the link's `name`). */
  name: string;
  /** The shared listener (`https://host:port`) and the pin of its certificate. */
  endpoint: string;
  fingerprint: string;
  /** `hearth://share?endpoint=…&token=…&fingerprint=sha256:…&name=…` */
  link: string;
  /** Calls the shared listener directly, pinned to its certificate's key. */
  curl: string;
  /** What the teammate runs against their own Hearth once the link is imported. */
  aws: string;
}

/** A token API shared in one step: its routes over the shared listener, with the token, in this answer only. */
export interface ApiShareAnswer {
  token: TokenView;
  secret: string;
  endpoint: string;
  fingerprint: string;
  /** Where the API's routes answer on the shared listener: `https://host:port/apis/<name>`. */
  url: string;
  /** `hearth://share?…&kind=api`: the teammate adds it as a remote API and calls its routes through their port. */
  link: string;
  /** Calls the API's root with the token, pinned to the listener's certificate key. */
  curl: string;
}

/** A project open in the host (the window's "Open project…"): what it made of the folder and how its reloads went. */
export interface ProjectStatus {
  id: string;
  /** The project's folder on this machine. */
  dir: string;
  /** The file it was read from, relative to dir (template.yaml, serverless.yml, task.json). */
  file: string;
  kind: "sam" | "serverless" | "task";
  apiName: string;
  watching: boolean;
  openedAt: string;
  functions: {
    id: string;
    task: string;
    runtime: string;
    /** Its last upload: done, or why not (a syntax error at file:line); null before the first. */
    last: { at: string; ok: boolean; message: string; file?: string; line?: number } | null;
  }[];
  /** The routes on the local port: the path below the port's URL. */
  routes: { method: string; path: string; task: string }[];
  lastReload: {
    at: string;
    changed: string[];
    ok: boolean;
    message: string;
    durationMs?: number;
    file?: string;
    line?: number;
  } | null;
  /** What Hearth does not honour in the project, by file and line. */
  notes: { file: string; line: number; message: string }[];
  /** The session's own lines, newest last. */
  log: string[];
}

/** A task under the debugger: where a debugger attaches (always 127.0.0.1), and how many are attached. */
export interface InspectView {
  task: string;
  host: "127.0.0.1";
  port: number;
  attached: number;
}

/** The longest one waitForDebugger call waits; a client waiting longer asks again. */
export const MAX_DEBUGGER_WAIT_MS = 600_000;

export interface AcceptedInvocation {
  requestId: string;
  state: string;
}

/** Server-sent events of a streamed invocation, in order: start, any number of log, then result or error. */
export type InvocationEvent =
  | { type: "start"; requestId: string }
  | { type: "log"; t: string; stream: "stdout" | "stderr"; line: string }
  | { type: "result"; result: InvocationResult }
  | { type: "error"; error: { code: string; message: string; field?: string } };

/** One sandbox on a VM: a process holding one task version with one configuration. */
export interface SandboxView {
  slot: number;
  /**
   * The task's name, only when the task belongs to the profile owning the VM; a task of another profile run
   * through a cross-profile alias stays unnamed.
   */
  task?: string;
  version: string;
  state: "loading" | "ready" | "busy";
  /** The first 12 hex digits of the sandbox's configuration hash (task version + every setting). */
  config: string;
}

export interface VmView {
  id: string;
  profile: string;
  state: string;
  name?: string;
  origin?: "boot" | "restore";
  /** Epoch ms. */
  createdAt?: number;
  /** From asking for the VM to its agent serving (a restore includes syncing the clock). */
  readyMs?: number;
  restoreMs?: number;
  reason?: string;
  /** What the VM holds now (empty for a spare), and the invocations it has served. */
  sandboxes?: SandboxView[];
  invocations?: number;
  /** The request id of the last call it ran (its log and timeline are the VM's profile's to read). */
  lastRequestId?: string;
  [k: string]: unknown;
}

/** One profile's warm-up: spare VMs wanted against those ready and booting. */
export interface PoolWarmth {
  profile: string;
  target: number;
  ready: number;
  booting: number;
  busy: number;
  /** Why its last VM failed to start, while none of its VMs is up: the pool keeps trying (with a growing wait). */
  failing?: string;
}

export interface PoolStatus {
  accel: string;
  image: string;
  template: { templateBootMs?: number; templateSaveMs?: number };
  vms: VmView[];
  /** Per profile shown (the acting one, or every profile owner-wide). */
  warming: PoolWarmth[];
}

export interface Health {
  ok: true;
  name: "hearth";
  version: string;
  accel: string;
}

const name = z.string({ error: "must be a string" }).min(1, "must not be empty").max(256, "is too long");
const id = name;
const zipBase64 = z
  .string({ error: "must be the zip, base64-encoded" })
  .min(1, "must not be empty")
  .regex(/^[A-Za-z0-9+/=\s]+$/, "must be base64");
/** One file of a folder sent as files; its size is checked against the import limits once decoded. */
const importFile = z.strictObject({
  path: z
    .string({ error: "must be the file's path inside the folder" })
    .min(1, "must not be empty")
    .max(1024, "is too long (at most 1024 characters)"),
  base64: z
    .string({ error: "must be the file's bytes, base64-encoded" })
    .regex(/^[A-Za-z0-9+/=\s]*$/, "must be base64"),
  executable: z.boolean({ error: "must be true or false" }).optional(),
});
const invokeMode = z.enum(["sync", "async", "stream"], { error: 'must be "sync", "async" or "stream"' });
/** A query flag: "true" or "false". */
const force = z.enum(["true", "false"], { error: 'must be "true" or "false"' }).optional();
const optionalNumber = z.coerce.number({ error: "must be a number" }).int("must be a whole number");
const accountIdField = z.string().regex(/^\d{12}$/, "must be a 12-digit account id");
/** A time as metrics take it: a duration back from now (15m, 1h, 7d) or an ISO date-time (checked by the operation). */
const timePoint = z
  .string({ error: "must be a duration (15m, 1h, 7d) or an ISO date-time" })
  .max(64, "is too long");

/**
 * Inputs of commands the domain validates itself (main/domain/*.ts, with the field named in each error) are
 * objects checked here only for shape; the rest are checked fully here.
 */
const fields = z.record(z.string(), z.unknown(), { error: "must be a JSON object" });

export const operations = {
  health: op<Health>()({ method: "GET", path: "/v1/health", access: "public", input: z.object({}) }),
  /** What Hearth is doing while it starts (image, checks, pool); "ready" from then on. */
  startup: op<StartupStatus>()({ method: "GET", path: "/v1/startup", access: "public", input: z.object({}) }),
  pool: op<PoolStatus>()({ method: "GET", path: "/v1/pool", access: "profile", input: z.object({}) }),
  /**
   * The pool over a time range: each VM's memory (QEMU's PSS, the guest's use), CPU, sandboxes and calls, and VM
   * starts (boots, restores) per hour; the acting profile's VMs, or every profile's for the owner naming none.
   */
  poolHistory: op<PoolHistoryView>()({
    method: "GET",
    path: "/v1/pool/history",
    access: "profile",
    input: z.strictObject({ since: timePoint.optional(), until: timePoint.optional() }),
  }),

  listProfiles: op<ProfileView[]>()({
    method: "GET",
    path: "/v1/profiles",
    access: "profile",
    input: z.object({}),
  }),
  createProfile: op<CreatedProfile>()({
    method: "POST",
    path: "/v1/profiles",
    access: "owner",
    input: z.strictObject({ name }),
  }),
  deleteProfile: op<{ deleted: string }>()({
    method: "DELETE",
    path: "/v1/profiles/:profile",
    access: "owner",
    input: z.strictObject({ profile: name, force }),
  }),

  listTasks: op<TaskView[]>()({ method: "GET", path: "/v1/tasks", access: "profile", input: z.object({}) }),
  getTask: op<TaskView>()({
    method: "GET",
    path: "/v1/tasks/:task",
    access: "profile",
    input: z.strictObject({ task: name }),
  }),
  /** A zip with task.json at its root, or any zip plus the task's fields (which then win over task.json). */
  importTask: op<OwnedTaskView>()({
    method: "POST",
    path: "/v1/tasks",
    access: "profile",
    input: z.strictObject({
      zipBase64,
      manifest: fields.optional(),
      publish: z.boolean({ error: "must be true or false" }).optional(),
    }),
  }),
  /** A folder as its files (paths `/`-separated, one shared top-level folder removed), task.json among them. */
  importTaskFiles: op<OwnedTaskView>()({
    method: "POST",
    path: "/v1/tasks/files",
    access: "profile",
    input: z.strictObject({
      files: z
        .array(importFile, { error: "must be a list of files" })
        .min(1, "must hold at least one file")
        .max(DEFAULT_IMPORT_LIMITS.maxEntries, `may hold at most ${DEFAULT_IMPORT_LIMITS.maxEntries} files`),
      manifest: fields.optional(),
      publish: z.boolean({ error: "must be true or false" }).optional(),
    }),
  }),
  updateTaskCode: op<OwnedTaskView>()({
    method: "PUT",
    path: "/v1/tasks/:task/code",
    access: "profile",
    input: z.strictObject({
      task: name,
      zipBase64,
      publish: z.boolean({ error: "must be true or false" }).optional(),
    }),
  }),
  configureTask: op<OwnedTaskView>()({
    method: "PATCH",
    path: "/v1/tasks/:task",
    access: "profile",
    input: fields,
  }),
  /** `force` also removes other profiles' aliases on the task (which would otherwise block the deletion). */
  deleteTask: op<{ deleted: string }>()({
    method: "DELETE",
    path: "/v1/tasks/:task",
    access: "profile",
    input: z.strictObject({ task: name, force }),
  }),
  publishVersion: op<OwnedTaskView>()({
    method: "POST",
    path: "/v1/tasks/:task/versions",
    access: "profile",
    input: fields,
  }),

  listAliases: op<AliasView[]>()({
    method: "GET",
    path: "/v1/aliases",
    access: "profile",
    input: z.strictObject({ task: name.optional() }),
  }),
  createAlias: op<AliasView>()({
    method: "POST",
    path: "/v1/tasks/:task/aliases",
    access: "profile",
    input: fields,
  }),
  /** An alias on another profile's task, standing on that profile's grant. */
  createSharedAlias: op<AliasView>()({
    method: "POST",
    path: "/v1/shared-aliases",
    access: "profile",
    input: fields,
  }),
  updateAlias: op<AliasView>()({
    method: "PATCH",
    path: "/v1/aliases/:aliasId",
    access: "profile",
    input: fields,
  }),
  customizeAlias: op<AliasView>()({
    method: "PATCH",
    path: "/v1/aliases/:aliasId/customization",
    access: "profile",
    input: fields,
  }),
  deleteAlias: op<{ deleted: string }>()({
    method: "DELETE",
    path: "/v1/aliases/:aliasId",
    access: "profile",
    input: z.strictObject({ aliasId: id }),
  }),

  listGrants: op<GrantView[]>()({
    method: "GET",
    path: "/v1/grants",
    access: "profile",
    input: z.object({}),
  }),
  /** `grantee` is the other profile's name or account id. */
  createGrant: op<GrantView>()({
    method: "POST",
    path: "/v1/tasks/:task/grants",
    access: "profile",
    input: z.strictObject({
      task: name,
      grantee: name,
      maxMemoryMb: z.number({ error: "must be a number" }).nullable().optional(),
      maxTimeoutS: z.number({ error: "must be a number" }).nullable().optional(),
      /** Variable names the grantee's aliases may set; absent or null: those the task declares. */
      allowedEnvironment: z.array(z.string(), { error: "must be a list of names" }).nullable().optional(),
      /** Whether the grantee may run the task in its own VMs, and with the owner's environment. */
      callerPlacement: z.enum(["none", "code", "code-and-environment"]).optional(),
    }),
  }),
  revokeGrant: op<{ deleted: string }>()({
    method: "DELETE",
    path: "/v1/grants/:grantId",
    access: "profile",
    input: z.strictObject({ grantId: id }),
  }),

  /**
   * An own task's Lambda settings: its resource policy, its asynchronous-invocation configurations and
   * destinations, its dead-letter target, reserved concurrency and tags.
   */
  getFunctionSettings: op<FunctionSettingsView>()({
    method: "GET",
    path: "/v1/tasks/:task/settings",
    access: "profile",
    input: z.strictObject({ task: name }),
  }),
  /** Adds a statement to the task's policy (Lambda's AddPermission): the account may invoke that ARN. */
  addPermission: op<FunctionSettingsView>()({
    method: "POST",
    path: "/v1/tasks/:task/policy",
    access: "profile",
    input: z.strictObject({
      task: name,
      statementId: name,
      /** A 12-digit account id, its root ARN, or a local profile's name. */
      principal: name,
      /** A version number or an own alias; absent: the unqualified function ARN. */
      qualifier: name.optional(),
    }),
  }),
  removePermission: op<FunctionSettingsView>()({
    method: "DELETE",
    path: "/v1/tasks/:task/policy/:statementId",
    access: "profile",
    input: z.strictObject({ task: name, statementId: name, qualifier: name.optional() }),
  }),
  /** Sets the task's (or a qualifier's) asynchronous-invocation configuration, replacing it whole. */
  putEventInvokeConfig: op<FunctionSettingsView>()({
    method: "PUT",
    path: "/v1/tasks/:task/event-invoke-config",
    access: "profile",
    input: z.strictObject({
      task: name,
      qualifier: name.optional(),
      maximumRetryAttempts: z.number({ error: "must be a number" }).optional(),
      maximumEventAgeSeconds: z.number({ error: "must be a number" }).optional(),
      onSuccess: z.string().nullable().optional(),
      onFailure: z.string().nullable().optional(),
    }),
  }),
  deleteEventInvokeConfig: op<FunctionSettingsView>()({
    method: "DELETE",
    path: "/v1/tasks/:task/event-invoke-config",
    access: "profile",
    input: z.strictObject({ task: name, qualifier: name.optional() }),
  }),
  /**
   * Gives the task (or one of its aliases) a function URL, or changes the one it has (Lambda's
   * CreateFunctionUrlConfig / UpdateFunctionUrlConfig): it answers at `/lambda-url/{urlId}/` on this port.
   */
  putFunctionUrl: op<FunctionSettingsView>()({
    method: "PUT",
    path: "/v1/tasks/:task/url",
    access: "profile",
    input: z.strictObject({
      task: name,
      /** An own alias; absent: the unqualified function ($LATEST). */
      qualifier: name.optional(),
      authType: z.enum(["NONE", "AWS_IAM"], { error: 'must be "NONE" or "AWS_IAM"' }).optional(),
      invokeMode: z
        .enum(["BUFFERED", "RESPONSE_STREAM"], { error: 'must be "BUFFERED" or "RESPONSE_STREAM"' })
        .optional(),
      /** Origins a page may call the URL from (CORS); an empty list or null: none. */
      allowOrigins: z.array(z.string()).max(100).nullable().optional(),
    }),
  }),
  deleteFunctionUrl: op<FunctionSettingsView>()({
    method: "DELETE",
    path: "/v1/tasks/:task/url",
    access: "profile",
    input: z.strictObject({ task: name, qualifier: name.optional() }),
  }),
  /** The acting profile's schedules, with each one's next run, last run and any runs it missed. */
  listSchedules: op<ScheduleView[]>()({
    method: "GET",
    path: "/v1/schedules",
    access: "profile",
    input: z.object({}),
  }),
  /**
   * A rate(…) or cron(…) expression (UTC) that sends the target an event through the async queue: EventBridge's
   * Scheduled Event, or `input` (JSON text) when given.
   */
  createSchedule: op<ScheduleView>()({
    method: "POST",
    path: "/v1/schedules",
    access: "profile",
    input: z.strictObject({
      name,
      description: z.string().optional(),
      expression: z.string({ error: "must be rate(…) or cron(…)" }),
      target: z.strictObject({
        task: name,
        qualifier: name.optional(),
        ownerAccountId: z.string().optional(),
      }),
      input: z.string().optional(),
      enabled: z.boolean().optional(),
    }),
  }),
  /** Changes a schedule; `enabled: false` pauses it, `true` resumes it (a rate counts again from then). */
  updateSchedule: op<ScheduleView>()({
    method: "PATCH",
    path: "/v1/schedules/:name",
    access: "profile",
    input: z.strictObject({
      name,
      description: z.string().optional(),
      expression: z.string().optional(),
      target: z
        .strictObject({ task: name, qualifier: name.optional(), ownerAccountId: z.string().optional() })
        .optional(),
      input: z.string().nullable().optional(),
      enabled: z.boolean().optional(),
    }),
  }),
  deleteSchedule: op<{ deleted: string }>()({
    method: "DELETE",
    path: "/v1/schedules/:name",
    access: "profile",
    input: z.strictObject({ name }),
  }),
  /** Sets (a function ARN) or clears (null) where the task's failed asynchronous events are copied. */
  setDeadLetter: op<FunctionSettingsView>()({
    method: "PUT",
    path: "/v1/tasks/:task/dead-letter",
    access: "profile",
    input: z.strictObject({ task: name, targetArn: z.string().nullable() }),
  }),

  listTokens: op<TokenView[]>()({
    method: "GET",
    path: "/v1/tokens",
    access: "profile",
    input: z.object({}),
  }),
  /**
   * The token itself is in this answer only. It works on this machine's port only unless `remote: true` asks
   * for it to work from other machines too, on the shared listener (a share link's token always does).
   */
  mintToken: op<{ token: TokenView; secret: string }>()({
    method: "POST",
    path: "/v1/aliases/:aliasId/tokens",
    access: "profile",
    input: fields,
  }),
  /**
   * Shares an alias with a teammate on another machine: mints a token (label, expiresInS, rateLimitPerMinute) and
   * answers the share link for the shared listener; SHARING_OFF while Hearth is not sharing.
   */
  shareAlias: op<ShareAnswer>()({
    method: "POST",
    path: "/v1/aliases/:aliasId/share",
    access: "profile",
    input: fields,
  }),
  revokeToken: op<TokenView>()({
    method: "DELETE",
    path: "/v1/tokens/:tokenId",
    access: "profile",
    input: z.strictObject({ tokenId: id }),
  }),

  listApis: op<ApiView[]>()({ method: "GET", path: "/v1/apis", access: "profile", input: z.object({}) }),
  /** Routes (`GET /orders/{id}`) bound to tasks or aliases, served at `/apis/<name>/...`. */
  createApi: op<ApiView>()({ method: "POST", path: "/v1/apis", access: "profile", input: fields }),
  updateApi: op<ApiView>()({ method: "PATCH", path: "/v1/apis/:apiId", access: "profile", input: fields }),
  deleteApi: op<{ deleted: string }>()({
    method: "DELETE",
    path: "/v1/apis/:apiId",
    access: "profile",
    input: z.strictObject({ apiId: id }),
  }),
  /** A token for calling a token-protected API; in this answer only; local-only unless `remote: true`. */
  mintApiToken: op<{ token: TokenView; secret: string }>()({
    method: "POST",
    path: "/v1/apis/:apiId/tokens",
    access: "profile",
    input: fields,
  }),

  /**
   * Shares a token API with a teammate on another machine: mints an API token (label, expiresInS,
   * rateLimitPerMinute) and answers its address on the shared listener; SHARING_OFF while Hearth is not sharing.
   */
  shareApi: op<ApiShareAnswer>()({
    method: "POST",
    path: "/v1/apis/:apiId/share",
    access: "profile",
    input: fields,
  }),

  /** Teammates' shared aliases on other machines, imported into this profile and invoked by their local names. */
  listRemotes: op<RemoteView[]>()({
    method: "GET",
    path: "/v1/remotes",
    access: "profile",
    input: z.object({}),
  }),
  /** Imports a share link (`link`, or its endpoint, token and fingerprint) as a remote alias; `name` renames it. */
  addRemote: op<RemoteView>()({ method: "POST", path: "/v1/remotes", access: "profile", input: fields }),
  /** Forgets a remote alias, by id or local name (the owner's token stays valid until the owner revokes it). */
  removeRemote: op<RemoteView>()({
    method: "DELETE",
    path: "/v1/remotes/:remote",
    access: "profile",
    input: z.strictObject({ remote: name }),
  }),

  /**
   * Invokes `task[:qualifier]` of the caller (or another account's task through the caller's alias on it); with a
   * token, the token's alias and nothing else. The payload is the raw body; `mode=stream` answers with server-sent
   * events (InvocationEvent), `async` with 202 and an AcceptedInvocation instead of this result.
   */
  invoke: op<InvocationResult>()({
    method: "POST",
    path: "/v1/invoke",
    access: "invoke",
    rawBody: "payload",
    input: z.strictObject({
      task: name.optional(),
      qualifier: name.optional(),
      ownerAccountId: z
        .string()
        .regex(/^\d{12}$/, "must be a 12-digit account id")
        .optional(),
      mode: invokeMode.default("sync"),
      payload: z.string().default(""),
    }),
  }),
  getInvocation: op<AcceptedInvocation & { attempts: number; outcome?: unknown }>()({
    method: "GET",
    path: "/v1/invocations/:requestId",
    access: "profile",
    input: z.strictObject({ requestId: id }),
  }),
  /**
   * The acting profile's asynchronous events, newest first: by state (`failed`: every attempt failed or the event
   * grew too old), with how each ended and where its end was sent.
   */
  listAsyncEvents: op<AsyncEventView[]>()({
    method: "GET",
    path: "/v1/async-events",
    access: "profile",
    input: z.strictObject({
      state: z
        .enum(["queued", "running", "succeeded", "failed"], {
          error: "must be queued, running, succeeded or failed",
        })
        .optional(),
      task: name.optional(),
      limit: optionalNumber.min(1, "must be at least 1").max(1000, "must be at most 1000").optional(),
    }),
  }),

  /** The caller's saved test events on a task it may invoke (its own, or `ownerAccountId`'s shared with it). */
  listTestEvents: op<TestEventView[]>()({
    method: "GET",
    path: "/v1/tasks/:task/events",
    access: "profile",
    input: z.strictObject({ task: name, ownerAccountId: z.string().optional() }),
  }),
  /** Saves `payload` (JSON text, kept as written) under `event`, replacing what was saved there. */
  saveTestEvent: op<TestEventView>()({
    method: "PUT",
    path: "/v1/tasks/:task/events/:event",
    access: "profile",
    input: z.strictObject({
      task: name,
      event: name,
      ownerAccountId: z.string().optional(),
      payload: z.string({ error: "must be the event as JSON text (a string)" }),
    }),
  }),
  renameTestEvent: op<TestEventView>()({
    method: "POST",
    path: "/v1/tasks/:task/events/:event/rename",
    access: "profile",
    input: z.strictObject({
      task: name,
      event: name,
      ownerAccountId: z.string().optional(),
      newName: z.string({ error: "must be a string" }),
    }),
  }),
  deleteTestEvent: op<{ deleted: string }>()({
    method: "DELETE",
    path: "/v1/tasks/:task/events/:event",
    access: "profile",
    input: z.strictObject({ task: name, event: name, ownerAccountId: z.string().optional() }),
  }),

  /**
   * Opens a project folder of this machine (AWS SAM, Serverless or task.json) as the caller's tasks and API, and
   * follows its files as `hearth dev` does. Only the machine's owner: the host reads the folder.
   */
  openProject: op<ProjectStatus>()({
    method: "POST",
    path: "/v1/projects",
    access: "profile",
    input: z.strictObject({
      dir: z
        .string({ error: "must be the project's folder (a path on this machine)" })
        .min(1, "must be the project's folder (a path on this machine)")
        .max(4096, "must be at most 4096 characters"),
      stage: z.string().max(128).optional(),
      region: z.string().max(64).optional(),
      apiName: name.optional(),
      access: z.enum(["public", "token"]).default("public"),
      parameterOverrides: z.record(z.string().max(256), z.string().max(4096)).default({}),
    }),
  }),
  /** The projects the caller's profile has open, with their state. */
  listProjects: op<ProjectStatus[]>()({
    method: "GET",
    path: "/v1/projects",
    access: "profile",
    input: z.strictObject({}),
  }),
  /** Stops following a project; its tasks and API stay. */
  closeProject: op<{ id: string; closed: boolean }>()({
    method: "DELETE",
    path: "/v1/projects/:projectId",
    access: "profile",
    input: z.strictObject({ projectId: id }),
  }),

  /**
   * Puts one of the caller's own Node.js tasks under a debugger: its calls by its owner run in a sandbox started
   * with the inspector, reached on the returned port of 127.0.0.1 (9229 first) as a local Node.js process is.
   */
  inspectTask: op<InspectView>()({
    method: "POST",
    path: "/v1/tasks/:task/inspect",
    access: "profile",
    input: z.strictObject({ task: name }),
  }),
  /** Waits until a debugger attached to the task's port has set itself up (it asked the runtime to go on). */
  waitForDebugger: op<InspectView & { ready: boolean }>()({
    method: "POST",
    path: "/v1/tasks/:task/inspect/wait",
    access: "profile",
    input: z.strictObject({
      task: name,
      timeoutMs: z
        .number({ error: "must be a number of milliseconds" })
        .int()
        .min(0)
        .max(MAX_DEBUGGER_WAIT_MS, `must be at most ${MAX_DEBUGGER_WAIT_MS} ms`)
        .default(60_000),
    }),
  }),
  /** Takes the task from under the debugger: its port closes, its calls go back to its usual sandboxes. */
  stopInspectTask: op<{ task: string; stopped: boolean }>()({
    method: "DELETE",
    path: "/v1/tasks/:task/inspect",
    access: "profile",
    input: z.strictObject({ task: name }),
  }),

  /** Kept log records of a task (the owner sees every invocation, an alias holder only its own). */
  queryLogs: op<LogRecord[]>()({
    method: "GET",
    path: "/v1/logs",
    access: "profile",
    input: z.strictObject({
      task: name,
      ownerAccountId: z
        .string()
        .regex(/^\d{12}$/, "must be a 12-digit account id")
        .optional(),
      invocation: name.optional(),
      text: z.string().max(256, "is too long").optional(),
      since: z.iso.datetime({ error: "must be an ISO date-time" }).optional(),
      until: z.iso.datetime({ error: "must be an ISO date-time" }).optional(),
      limit: optionalNumber.min(1, "must be at least 1").max(10_000, "must be at most 10000").optional(),
    }),
  }),

  /**
   * A task's numbers over a time range (all of the acting profile's tasks without `task`): totals and buckets of
   * invocations, errors, throttles, duration percentiles, cold starts, peak memory and concurrency. The owner
   * counts every call; a profile calling through a cross-profile alias (`ownerAccountId`) only its own.
   */
  invocationStats: op<InvocationStatsView>()({
    method: "GET",
    path: "/v1/stats",
    access: "profile",
    input: z.strictObject({
      task: name.optional(),
      ownerAccountId: accountIdField.optional(),
      alias: name.optional(),
      since: timePoint.optional(),
      until: timePoint.optional(),
      periodSeconds: optionalNumber
        .min(1, "must be at least 1")
        .max(86_400, "must be at most 86400")
        .optional(),
    }),
  }),
  /**
   * Invocations with their figures and timelines, newest first: a task's (the acting profile's tasks without
   * `task`), through one alias, one outcome, or one request id (`invocation`).
   */
  listInvocations: op<InvocationView[]>()({
    method: "GET",
    path: "/v1/invocations",
    access: "profile",
    input: z.strictObject({
      task: name.optional(),
      ownerAccountId: accountIdField.optional(),
      alias: name.optional(),
      invocation: name.optional(),
      outcome: z.enum(["ok", "error", "throttle"], { error: "must be ok, error or throttle" }).optional(),
      since: timePoint.optional(),
      until: timePoint.optional(),
      limit: optionalNumber.min(1, "must be at least 1").max(5000, "must be at most 5000").optional(),
    }),
  }),
  /** Where invocation traces are exported (OpenTelemetry OTLP/HTTP), and how that export is going. */
  getTelemetry: op<TelemetryView>()({
    method: "GET",
    path: "/v1/telemetry",
    access: "owner",
    input: z.object({}),
  }),
  /**
   * Exports each invocation as a span, its phases as child spans, to the collector named (null: no export); kept
   * across restarts. Header values (an API key) are kept and never shown back.
   */
  setTelemetry: op<TelemetryView>()({
    method: "PUT",
    path: "/v1/telemetry",
    access: "owner",
    input: z.strictObject({
      otlpEndpoint: z
        .string({ error: "must be the collector's http(s) address, or null for no export" })
        .max(2048, "is too long")
        .nullable(),
      otlpHeaders: z
        .record(
          z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "header names are letters, digits and dashes"),
          z.string().max(4096, "is too long"),
          { error: "must be an object of header names to values" },
        )
        .refine((h) => Object.keys(h).length <= 32, "at most 32 headers")
        .optional(),
    }),
  }),
} as const;

export type Operations = typeof operations;
export type OperationName = keyof Operations;
export type InputOf<N extends OperationName> = z.input<Operations[N]["input"]>;
export type OutputOf<N extends OperationName> = NonNullable<Operations[N]["output"]>;

/** The error body of every failed native call. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** The live log tail: server-sent events of LogRecord, GET with the same filters as queryLogs. */
export const LIVE_LOGS_PATH = "/v1/logs/live";
/**
 * Pool changes: server-sent events named "vm", each the VmView of a VM whose state (or sandboxes) changed; GET with
 * the owner key (every profile, or the X-Hearth-Profile one) or a profile's credentials (its own VMs).
 */
export const POOL_EVENTS_PATH = "/v1/pool/events";
/**
 * A remote API's routes on the teammate's own port: `<this>/<local name>/<route path>`, with the profile's own
 * credentials; Hearth forwards each request to the owner's shared listener with the shared token.
 */
export { REMOTE_API_PATH } from "./domain/sharing/remote-api-path.ts";
/** The owner key's header naming the profile it acts as. */
export const PROFILE_HEADER = "x-hearth-profile";

/**
 * The Content-Security-Policy the window runs under, however it is loaded: sent with its files over HTTP
 * (main/http/ui-static.ts), set on its file:// page by the Electron shell (main/app/window-csp.ts), and written
 * into its index.html at build (renderer/build.ts). Only its own script, styles and API; no inline script, no
 * framing, no form posts. The page holds the owner key, so nothing it loads may come from, or go to, elsewhere.
 */
const WINDOW_CSP_DIRECTIVES = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];
export const WINDOW_CSP = WINDOW_CSP_DIRECTIVES.join("; ");
/** The same policy as a <meta> tag holds it: browsers ignore frame-ancestors there (and say so in the console). */
export const WINDOW_META_CSP = WINDOW_CSP_DIRECTIVES.filter((d) => !d.startsWith("frame-ancestors")).join(
  "; ",
);

/**
 * Everything the window may ask of a host, over either transport: `window.hearth` from the Electron preload (IPC),
 * or main/client/http-client.ts in browser mode. Streams are callbacks, which cross Electron's context bridge.
 */
export interface HearthApi {
  /**
   * `profile` (a profile's name or id) is the one the call acts as, like the X-Hearth-Profile header; without it
   * only owner-wide operations (health, pool, profiles) answer. The Electron preload sends it with every call.
   */
  call<N extends OperationName>(name: N, input: InputOf<N>, profile?: string): Promise<OutputOf<N>>;
  /** Runs an invocation with its log lines streamed; resolves after the result (or error) event. */
  invokeStream(
    input: Omit<InputOf<"invoke">, "mode">,
    onEvent: (event: InvocationEvent) => void,
    profile?: string,
  ): Promise<void>;
  /** Tails a task's log; returns the function that stops the tail. */
  liveLogs(
    query: { task: string; ownerAccountId?: string; invocation?: string },
    onRecord: (record: LogRecord) => void,
    profile?: string,
  ): () => void;
  /**
   * Follows the pool's changes (POOL_EVENTS_PATH): `onChange` gets each changed VM; `onError` once if the stream
   * fails or ends, after which nothing more arrives. Without `profile`, every profile's VMs. Returns the stop.
   */
  poolEvents(
    onChange: (vm: VmView) => void,
    profile?: string,
    onError?: (error: { code: string; message: string }) => void,
  ): () => void;
}

/**
 * What a failed call of `window.hearth` rejects with: a plain object (Electron's context bridge drops an Error's
 * own properties), shaped like main/client/http-client.ts's HearthApiError.
 */
export interface HearthCallError {
  name: "HearthApiError";
  code: string;
  /** `CODE: detail`, as in the HTTP error body. */
  message: string;
  /** The message without the code. */
  detail: string;
  field?: string;
}

/** `window.hearth` in the Electron window: the contract, plus the share links the app is opened with. */
export interface HearthDesktopApi extends HearthApi {
  /** Calls `onLink` for each `hearth://share` link, including any the app was launched with; returns the unsubscribe. */
  onShareLink(onLink: (link: ShareLinkParts) => void): () => void;
}
