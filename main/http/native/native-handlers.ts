// What each native operation does once its caller is known and its input validated: calls into the domain,
// the store and the engine, and answers in the contract's shapes.
import type { FastifyInstance, FastifyReply } from "fastify";
import {
  LIVE_LOGS_PATH,
  operations,
  type InvocationEvent,
  type InvocationResult,
  type OperationName,
} from "../../contract.ts";
import { createAlias, deleteAlias, updateAlias } from "../../domain/aliases/aliases.ts";
import type { InvokeRef } from "../../domain/access/authorization.ts";
import type { CommandContext } from "../../domain/model/command-context.ts";
import {
  configureCrossProfileAlias,
  createCrossProfileAlias,
} from "../../domain/aliases/cross-profile-aliases.ts";
import { HearthError } from "../../domain/model/errors.ts";
import { createGrant, revokeGrant } from "../../domain/aliases/grants.ts";
import { parseInput } from "../../domain/model/input-validation.ts";
import {
  findProfileByAccountId,
  findProfileByName,
  getOwnTask,
  getSharedTask,
} from "../../domain/model/lookups.ts";
import { createProfile, deleteProfile } from "../../domain/access/profiles.ts";
import { createTask, deleteTask, updateTaskCode, updateTaskConfig } from "../../domain/tasks/tasks.ts";
import { mintAliasToken, mintApiToken, revokeToken } from "../../domain/access/tokens.ts";
import { createApi, deleteApi, updateApi } from "../../domain/apis/apis.ts";
import { publishVersion } from "../../domain/tasks/versions.ts";
import {
  aliasView,
  listAliasViews,
  listApiViews,
  listGrantViews,
  listTaskViews,
  listTokenViews,
  ownedTaskView,
  profileView,
  taskView,
} from "../../domain/model/views.ts";
import type { Host } from "../../host.ts";
import type { InvokeResult } from "../../invoke/engine.ts";
import { recordForCaller, type LogQuery, type LogRecord } from "../../store/log-files.ts";
import { systemRandom } from "../../store/system-random.ts";
import {
  importTaskCode,
  importTaskFiles,
  importTaskZip,
  type ImportedTask,
} from "../../store/task-import.ts";
import { nativeErrorResponse } from "../error-status.ts";
import { openEventStream, type EventStreamOptions } from "./event-stream.ts";
import { sendNativeError } from "./native-errors.ts";
import type { Caller, NativeAuth } from "./native-auth.ts";
import { invokeRemoteAlias, remoteHandlers } from "./remote-handlers.ts";
import { shareHandlers } from "./share-handlers.ts";
import { poolStatus } from "./pool-status.ts";
import { remoteAliasFor } from "../../remote/remote-calls.ts";
import { readyStatus } from "../../startup-progress.ts";
import { checkPayloadJson } from "../../domain/tasks/payload-check.ts";

/** Where a streamed invocation's events go: server-sent events over HTTP, a per-call channel over IPC. */
export interface EventSink {
  send(event: string, data: unknown): void;
  /** Keeps an idle connection open (an SSE comment); transports without idle timers ignore it. */
  comment(text: string): void;
  end(): void;
}

/** What a handler may ask of the transport beyond answering a value; HTTP and IPC each provide one. */
export interface CallTransport {
  /** The answer is an accepted, not finished, piece of work (HTTP answers 202). */
  accepted(): void;
  /** Opens the event stream a streamed invocation answers with; the handler's return value is then ignored. */
  openEvents(): EventSink;
}

export interface HandlerContext {
  caller: Caller;
  /** The profile the request acts as (null only for owner-wide and public operations). */
  profileId: string | null;
  input: Record<string, unknown>;
  transport: CallTransport;
}

export type Handler = (c: HandlerContext) => Promise<unknown>;

function need(profileId: string | null): string {
  if (profileId === null) throw new Error("INTERNAL_ERROR: an operation ran without a profile");
  return profileId;
}

function str(v: unknown): string {
  return String(v);
}

/** Parses an invocation payload: empty means `{}`, anything else must be JSON (Lambda's rule). */
function checkPayload(payload: string): string {
  if (payload.trim() === "") return "{}";
  checkPayloadJson(payload, "payload");
  return payload;
}

export function invocationResult(r: InvokeResult): InvocationResult {
  let result: unknown;
  if (r.ok && r.payload !== undefined) {
    try {
      result = JSON.parse(r.payload);
    } catch {
      result = r.payload;
    }
  }
  return {
    requestId: r.requestId,
    ok: r.ok,
    ...(r.ok ? { result: result ?? null } : {}),
    ...(r.error ? { error: r.error } : {}),
    version: r.version,
    servedVersion: r.servedVersion,
    durationMs: r.durationMs,
    maxMemoryUsedMb: Math.ceil(r.maxRssKb / 1024),
    coldStart: r.coldStart,
  };
}

/** What a client that did not keep up reads in place of the lines it missed. */
export function droppedLinesText(n: number): string {
  return `[hearth] dropped ${n} log line${n === 1 ? "" : "s"}: the client did not read fast enough`;
}

/**
 * A streamed invocation drops log lines (never start, result or error) for a client that does not read, and tells
 * it so as one more log line: every reader of the stream (window, CLI, a teammate's Hearth) already shows those.
 */
const invocationStreamOptions: EventStreamOptions = {
  droppable: (event) => event === "log",
  dropMarker: (n) => ({
    event: "log",
    data: { type: "log", t: new Date().toISOString(), stream: "stderr", line: droppedLinesText(n) },
  }),
};

/** The live tail drops records the same way, and announces them as one record of a line. */
const liveTailOptions: EventStreamOptions = {
  droppable: (event) => event === "record",
  dropMarker: (n) => ({
    event: "record",
    data: {
      t: new Date().toISOString(),
      inv: "",
      caller: "",
      kind: "line",
      stream: "stderr",
      line: droppedLinesText(n),
    } satisfies LogRecord,
  }),
};

/** The HTTP transport of one request: 202 on the reply, server-sent events on the hijacked reply. */
export function httpTransport(reply: FastifyReply): CallTransport {
  return {
    accepted: () => void reply.code(202),
    openEvents: () => openEventStream(reply, invocationStreamOptions),
  };
}

/** Which task's records a profile may read, and whether only its own invocations'. */
function logScope(
  app: Host,
  profileId: string,
  task: string,
  ownerAccountId: string | undefined,
): { taskId: string; caller?: string } {
  const state = app.store.documents.state;
  const me = state.profiles.find((p) => p.id === profileId)!;
  if (ownerAccountId === undefined || ownerAccountId === me.accountId) {
    return { taskId: getOwnTask(state, profileId, task).id };
  }
  return { taskId: getSharedTask(state, profileId, ownerAccountId, task).task.id, caller: profileId };
}

export function nativeHandlers(app: Host): Record<OperationName, Handler> {
  const docs = app.store.documents;
  const ctx = (): CommandContext => ({ now: Date.now(), random: systemRandom, sealer: app.store.secrets });

  async function storeCode(zip: Buffer, manifest: unknown | undefined) {
    const imported =
      manifest === undefined ? await importTaskZip(zip) : await importTaskCode({ code: zip, manifest });
    return imported;
  }

  /** A new task from imported code; refused before anything reaches the blob store, so a refusal stores nothing. */
  async function createImported(pid: string, imported: ImportedTask, publish: unknown) {
    const name = imported.manifest.name;
    if (docs.state.tasks.some((t) => t.profileId === pid && t.name === name)) {
      throw new HearthError(
        "TASK_EXISTS",
        `task "${name}" already exists; update its code with PUT /v1/tasks/${name}/code`,
        "name",
      );
    }
    await app.store.blobs.put(imported.code);
    const code = { sha256: imported.sha256, size: imported.size };
    await docs.update((s) => createTask(s, pid, { ...imported.manifest, code }, ctx()));
    await publishIfAsked(pid, name, publish);
    app.pool.ensure(pid);
    return ownedTaskView(docs.state, getOwnTask(docs.state, pid, name));
  }

  async function publishIfAsked(profileId: string, task: string, publish: unknown): Promise<void> {
    if (publish === true) await docs.update((s) => publishVersion(s, profileId, { task }, ctx()));
  }

  function invokeTarget(c: HandlerContext): { callerProfileId: string; ref: InvokeRef } {
    const i = c.input;
    if (c.caller.kind === "token") {
      const ref = c.caller.ref;
      const asked = [i.task, i.qualifier, i.ownerAccountId].some((v) => v !== undefined);
      const same =
        (i.task === undefined || i.task === ref.task) &&
        (i.qualifier === undefined || i.qualifier === ref.qualifier) &&
        (i.ownerAccountId === undefined || i.ownerAccountId === ref.ownerAccountId);
      if (asked && !same)
        throw new HearthError("TOKEN_INVALID", "the token is not valid for this request", "token");
      return { callerProfileId: c.caller.profileId, ref };
    }
    if (i.task === undefined) throw new HearthError("INVALID_INPUT", "task is required", "task");
    return {
      callerProfileId: need(c.profileId),
      ref: {
        task: str(i.task),
        ...(i.qualifier !== undefined ? { qualifier: str(i.qualifier) } : {}),
        ...(i.ownerAccountId !== undefined ? { ownerAccountId: str(i.ownerAccountId) } : {}),
      },
    };
  }

  return {
    health: async () => ({
      ok: true,
      name: "hearth",
      version: process.env.npm_package_version ?? "0.1.0",
      accel: app.accel,
    }),
    startup: async () => app.startup?.status() ?? readyStatus(),
    pool: async ({ profileId }) => poolStatus(app, profileId),

    listProfiles: async ({ caller, profileId }) => {
      const all = docs.state.profiles;
      const visible = caller.kind === "owner" ? all : all.filter((p) => p.id === profileId);
      return visible.map(profileView);
    },
    createProfile: async ({ input }) => {
      const created = await docs.update((s) => createProfile(s, { name: str(input.name) }, ctx()));
      app.pool.ensure(created.profile.id);
      return created;
    },
    deleteProfile: async ({ input }) => {
      const state = docs.state;
      const named = str(input.profile);
      const profile = state.profiles.find((p) => p.id === named) ?? findProfileByName(state, named);
      if (!profile) throw new HearthError("PROFILE_NOT_FOUND", `no profile named "${named}"`, "profile");
      await docs.update((s) => deleteProfile(s, profile.id, { force: input.force === "true" }));
      return { deleted: profile.name };
    },

    listTasks: async ({ profileId }) => listTaskViews(docs.state, need(profileId)),
    getTask: async ({ profileId, input }) => {
      const task = getOwnTask(docs.state, need(profileId), str(input.task));
      return taskView(docs.state, need(profileId), task.id);
    },
    importTask: async ({ profileId, input }) => {
      const imported = await storeCode(Buffer.from(str(input.zipBase64), "base64"), input.manifest);
      return createImported(need(profileId), imported, input.publish);
    },
    importTaskFiles: async ({ profileId, input }) => {
      const files = (input.files as { path: string; base64: string; executable?: boolean }[]).map((f) => ({
        path: f.path,
        executable: f.executable === true,
        data: Buffer.from(f.base64, "base64"),
      }));
      const imported = await importTaskFiles(
        files,
        input.manifest === undefined ? {} : { manifest: input.manifest },
      );
      return createImported(need(profileId), imported, input.publish);
    },
    updateTaskCode: async ({ profileId, input }) => {
      const pid = need(profileId);
      const task = getOwnTask(docs.state, pid, str(input.task));
      const c0 = task.latest.config;
      const imported = await importTaskCode({
        code: Buffer.from(str(input.zipBase64), "base64"),
        manifest: { name: task.name, ...c0, description: task.description },
      });
      await app.store.blobs.put(imported.code);
      await docs.update((s) =>
        updateTaskCode(
          s,
          pid,
          { task: task.name, code: { sha256: imported.sha256, size: imported.size } },
          ctx(),
        ),
      );
      await publishIfAsked(pid, task.name, input.publish);
      return ownedTaskView(docs.state, getOwnTask(docs.state, pid, task.name));
    },
    configureTask: async ({ profileId, input }) => {
      const pid = need(profileId);
      await docs.update((s) => updateTaskConfig(s, pid, input as never, ctx()));
      return ownedTaskView(docs.state, getOwnTask(docs.state, pid, str(input.task)));
    },
    deleteTask: async ({ profileId, input }) => {
      const force = input.force === "true";
      await docs.update((s) => deleteTask(s, need(profileId), { task: str(input.task), force }));
      return { deleted: str(input.task) };
    },
    publishVersion: async ({ profileId, input }) => {
      const pid = need(profileId);
      await docs.update((s) => publishVersion(s, pid, input as never, ctx()));
      return ownedTaskView(docs.state, getOwnTask(docs.state, pid, str(input.task)));
    },

    listAliases: async ({ profileId, input }) => {
      const pid = need(profileId);
      const taskId = input.task === undefined ? undefined : getOwnTask(docs.state, pid, str(input.task)).id;
      return listAliasViews(docs.state, pid, taskId);
    },
    createAlias: async ({ profileId, input }) => {
      const pid = need(profileId);
      const view = await docs.update((s) => createAlias(s, pid, input as never, ctx()));
      return view;
    },
    createSharedAlias: async ({ profileId, input }) => {
      const pid = need(profileId);
      return docs.update((s) => createCrossProfileAlias(s, pid, input as never, ctx()));
    },
    updateAlias: async ({ profileId, input }) => {
      const pid = need(profileId);
      return docs.update((s) => updateAlias(s, pid, input as never, ctx()));
    },
    customizeAlias: async ({ profileId, input }) => {
      const pid = need(profileId);
      return docs.update((s) => configureCrossProfileAlias(s, pid, input as never, ctx()));
    },
    deleteAlias: async ({ profileId, input }) => {
      const pid = need(profileId);
      aliasView(docs.state, pid, str(input.aliasId));
      await docs.update((s) => deleteAlias(s, pid, { aliasId: str(input.aliasId) }));
      return { deleted: str(input.aliasId) };
    },

    listGrants: async ({ profileId }) => listGrantViews(docs.state, need(profileId)),
    createGrant: async ({ profileId, input }) => {
      const pid = need(profileId);
      const named = str(input.grantee);
      const grantee = findProfileByAccountId(docs.state, named) ?? findProfileByName(docs.state, named);
      if (!grantee) {
        throw new HearthError(
          "PROFILE_NOT_FOUND",
          `no profile with name or account id "${named}"`,
          "grantee",
        );
      }
      const { grantee: _g, ...rest } = input;
      await docs.update((s) =>
        createGrant(s, pid, { ...rest, granteeProfileId: grantee.id } as never, ctx()),
      );
      const task = getOwnTask(docs.state, pid, str(input.task));
      return listGrantViews(docs.state, pid).find(
        (g) => g.task.id === task.id && g.grantee.profileId === grantee.id,
      );
    },
    revokeGrant: async ({ profileId, input }) => {
      await docs.update((s) => revokeGrant(s, need(profileId), { grantId: str(input.grantId) }));
      return { deleted: str(input.grantId) };
    },

    listTokens: async ({ profileId }) =>
      listTokenViews(docs.state, need(profileId), (id) => app.store.tokenUsage.usageOf(id)),
    mintToken: async ({ profileId, input }) => {
      const pid = need(profileId);
      return docs.update((s) => mintAliasToken(s, pid, input as never, ctx()));
    },
    revokeToken: async ({ profileId, input }) => {
      const pid = need(profileId);
      return docs.update((s) => revokeToken(s, pid, { tokenId: str(input.tokenId) }, ctx()));
    },

    listApis: async ({ profileId }) => listApiViews(docs.state, need(profileId)),
    createApi: async ({ profileId, input }) => {
      const pid = need(profileId);
      return docs.update((s) => createApi(s, pid, input as never, ctx()));
    },
    updateApi: async ({ profileId, input }) => {
      const pid = need(profileId);
      return docs.update((s) => updateApi(s, pid, input as never, ctx()));
    },
    deleteApi: async ({ profileId, input }) => {
      await docs.update((s) => deleteApi(s, need(profileId), { apiId: str(input.apiId) }));
      return { deleted: str(input.apiId) };
    },
    mintApiToken: async ({ profileId, input }) => {
      const pid = need(profileId);
      return docs.update((s) => mintApiToken(s, pid, input as never, ctx()));
    },
    ...remoteHandlers(app),
    ...shareHandlers(app),

    invoke: async (c) => {
      const { callerProfileId, ref } = invokeTarget(c);
      // Counted (and held to the token's rate limit) in memory before anything runs; saved later, not per call.
      if (c.caller.kind === "token") {
        const { tokenId, rateLimitPerMinute, client } = c.caller;
        app.store.tokenUsage.admit({ id: tokenId, rateLimitPerMinute }, client);
      }
      const payload = checkPayload(str(c.input.payload));
      // A teammate's shared alias, by its local name: the call goes to the owner's machine (never for a token).
      const remote = c.caller.kind === "token" ? null : remoteAliasFor(docs.state, callerProfileId, ref);
      if (remote) return invokeRemoteAlias(app, c, callerProfileId, remote, payload);
      const mode = str(c.input.mode);
      const outsider = c.caller.kind === "token";
      if (mode === "async") {
        const accepted = await app.async.enqueue({ callerProfileId, ref, payload, outsider });
        c.transport.accepted();
        return { requestId: accepted.id, state: accepted.state };
      }
      if (mode === "sync") {
        const r = await app.engine.invoke({ callerProfileId, ref, payload, outsider });
        return invocationResult(r);
      }
      // Resolve before the stream opens, so a wrong target still gets its status code.
      app.engine.resolve(callerProfileId, ref);
      const stream = c.transport.openEvents();
      const send = (e: InvocationEvent): void => stream.send(e.type, e);
      const requestId = crypto.randomUUID();
      send({ type: "start", requestId });
      // A task may print nothing for minutes: comments keep clients' idle timers from closing the stream.
      const keepAlive = setInterval(() => stream.comment("keep-alive"), 15_000);
      try {
        const r = await app.engine.invoke({
          callerProfileId,
          ref,
          payload,
          outsider,
          requestId,
          onLog: (l) => send({ type: "log", t: new Date().toISOString(), stream: l.stream, line: l.line }),
        });
        send({ type: "result", result: invocationResult(r) });
      } catch (err) {
        const { body } = nativeErrorResponse(err);
        send({ type: "error", error: body.error });
      } finally {
        clearInterval(keepAlive);
      }
      stream.end();
      return undefined;
    },
    getInvocation: async ({ profileId, input }) => {
      const item = app.async.get(str(input.requestId));
      if (!item || item.callerProfileId !== profileId) {
        throw new HearthError(
          "INVALID_INPUT",
          `no invocation "${str(input.requestId)}" of yours`,
          "requestId",
        );
      }
      return {
        requestId: item.id,
        state: item.state,
        attempts: item.attempts,
        ...(item.outcome ? { outcome: item.outcome } : {}),
      };
    },

    queryLogs: async ({ profileId, input }) => {
      const pid = need(profileId);
      const scope = logScope(
        app,
        pid,
        str(input.task),
        input.ownerAccountId === undefined ? undefined : str(input.ownerAccountId),
      );
      await app.logs.flush();
      const q: LogQuery = {};
      for (const k of ["invocation", "text", "since", "until"] as const) {
        if (input[k] !== undefined) q[k] = str(input[k]);
      }
      if (input.limit !== undefined) q.limit = Number(input.limit);
      if (scope.caller) q.caller = scope.caller;
      return app.logs.files.query(scope.taskId, q);
    },
  };
}

const liveLogsInput = operations.queryLogs.input.pick({ task: true, ownerAccountId: true, invocation: true });

/**
 * Checks that `caller` may tail a task's log and validates the query, throwing before anything is subscribed;
 * answers the function that subscribes (and returns the unsubscribe). Shared by HTTP (SSE) and IPC.
 */
export function liveLogTail(
  app: Host,
  caller: Caller,
  query: unknown,
): (onRecord: (record: LogRecord) => void) => () => void {
  if (caller.kind === "token" || caller.profileId === null) {
    throw new HearthError(
      "FORBIDDEN",
      "live logs need a profile (an access key, or the owner key with X-Hearth-Profile)",
    );
  }
  const q = parseInput(liveLogsInput, query);
  const ls = logScope(app, caller.profileId, q.task, q.ownerAccountId);
  return (onRecord) =>
    app.logs.subscribe({ taskId: ls.taskId, ...(q.invocation ? { invocation: q.invocation } : {}) }, (e) => {
      const r: LogRecord = e.record;
      if (ls.caller === undefined) onRecord(r);
      else if (r.caller === ls.caller) onRecord(recordForCaller(r));
    });
}

/** The live tail: log records of one task as server-sent events, as they arrive. */
export function registerLiveLogs(scope: FastifyInstance, app: Host, auth: NativeAuth): void {
  scope.get(LIVE_LOGS_PATH, async (req, reply) => {
    try {
      const caller = auth.authenticate(app.store.documents.state, req.headers, req.ip);
      const subscribe = liveLogTail(app, caller, req.query);
      const stream = openEventStream(reply, liveTailOptions);
      stream.comment("live");
      const unsubscribe = subscribe((r) => stream.send("record", r));
      // A comment every 15 s keeps proxies and idle timers from closing a quiet tail.
      const keepAlive = setInterval(() => stream.comment("keep-alive"), 15_000);
      await stream.closed;
      clearInterval(keepAlive);
      unsubscribe();
      return reply;
    } catch (err) {
      if (reply.sent || reply.raw.headersSent) return reply;
      return sendNativeError(reply, err);
    }
  });
}
