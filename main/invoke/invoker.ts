// The one way into an invocation: every transport (the Lambda API, the native API and the window, APIs built from
// tasks) names a caller, a target, a payload and a mode here, and gets back everything its answer needs.
import { randomUUID } from "node:crypto";
import type { AcceptedInvocation, InvocationEvent, InvocationResult } from "../contract.ts";
import type { InvokeRef } from "../domain/access/authorization.ts";
import type { CallerLabel } from "../domain/metrics/invocation-record.ts";
import { HearthError } from "../domain/model/errors.ts";
import type { RemoteAlias } from "../domain/model/state.ts";
import { checkPayloadJson } from "../domain/tasks/payload-check.ts";
import type { HearthStore } from "../store/hearth-store.ts";
import type { AsyncInvocations } from "./async-invocations.ts";
import type { Engine, InvokeRequest, InvokeResult } from "./engine.ts";
import { callRemoteAlias, remoteAliasFor } from "../remote/remote-calls.ts";
import type { RemoteConnections } from "../remote/remote-connections.ts";
import type { RemoteInvokeOptions } from "../remote/remote-invoker.ts";

/**
 * sync: run it and answer its outcome; async: accept it into the queue and answer at once; stream: run it and send
 * its start, log lines and outcome as events; dry-run: check the caller may run it, run nothing (Lambda's DryRun).
 */
export type InvocationMode = "sync" | "async" | "stream" | "dry-run";

export interface InvocationCaller {
  /** The profile the call acts as: its own tasks, the tasks granted to it, its aliases and its remote aliases. */
  profileId: string;
  /**
   * A token's holder or a caller of an API built from tasks: never treated as the task's owner (failures come
   * without their detail), and a local name never leads it to a remote alias.
   */
  outsider?: boolean;
  /** Who called, as the metrics name it: a token's label, a teammate's remote call, an API (a profile by default). */
  via?: CallerLabel;
}

/**
 * How a transport names the payload, the mode and the modes, so that a refusal names what its caller sent.
 * Only the modes the transport offers are named.
 */
export interface InvocationWords {
  payloadField: string;
  modeField: string;
  modes: { sync: string; async: string; stream?: string; "dry-run"?: string };
}

/** The contract's words (the native API, the window, the CLI). */
export const CONTRACT_WORDS: InvocationWords = {
  payloadField: "payload",
  modeField: "mode",
  modes: { sync: "sync", async: "async", stream: "streamed" },
};

/** Where a streamed invocation's events go; the transport gives them their shape (server-sent events, IPC). */
export interface InvocationEventSink {
  /** start, then any number of log, then result: in that order. */
  send(event: Exclude<InvocationEvent, { type: "error" }>): void;
  /** The invocation failed after the stream opened: the transport sends it as its error event, in its own terms. */
  fail(err: unknown): void;
  /** Nothing was sent for a while: a transport with idle timers keeps the stream open. */
  keepAlive(): void;
  end(): void;
}

interface RequestBase {
  caller: InvocationCaller;
  /** What the caller named: task[:qualifier], or another account's task through an alias the caller holds. */
  target: InvokeRef;
  /** The id the invocation runs under (an API's event already names it); a fresh one otherwise. */
  requestId?: string;
  /** The caller's words for its refusals; the contract's by default. */
  words?: InvocationWords;
}

/**
 * The event: `payload` is what a caller sent, as text (checked here; empty means `{}`); `event` is one Hearth built
 * itself (an API's request), sent as JSON without a check.
 */
type EventSource = { payload: string; event?: never } | { event: unknown; payload?: never };

export type SyncInvocation = RequestBase &
  EventSource & {
    mode: "sync";
    /** Keep the invocation's log lines for the answer (Lambda's `--log-type Tail`). */
    keepLines?: boolean;
    /**
     * Takes a streaming handler's response (awslambda.streamifyResponse) chunk by chunk as it is written; the
     * answer then carries no payload, only `streamed`. Without it the chunks are joined into the payload, as
     * Lambda's Invoke does. A handler that does not stream answers as always: its payload, no chunk. A remote
     * alias's owner answers whole, so it too arrives as a payload.
     */
    onChunk?: InvokeRequest["onChunk"];
    /** Lambda's client context (JSON text), handed to the handler as `context.clientContext`. */
    clientContext?: string;
  };
export type AsyncInvocation = RequestBase & EventSource & { mode: "async" };
export type StreamedInvocation = RequestBase &
  EventSource & {
    mode: "stream";
    /**
     * Opens the transport's stream; called only once the invocation can no longer be refused with a status
     * (the target resolved, the owner's Hearth answered), so that a refusal still gets its own answer.
     */
    openEvents: () => InvocationEventSink;
  };
export type DryRunInvocation = RequestBase & EventSource & { mode: "dry-run" };
export type InvocationRequest = SyncInvocation | AsyncInvocation | StreamedInvocation | DryRunInvocation;

/** What a sync invocation answers, whether it ran here or on a remote alias's owner's machine. */
export interface InvocationAnswer {
  requestId: string;
  ok: boolean;
  /** The handler's return value as JSON text, when ok: what Lambda and APIs pass on as it is. */
  payload?: string;
  /** Lambda's error shape when the handler failed, as this caller may see it. */
  error?: InvocationResult["error"];
  /** The version the target resolved to, and the one that answered (an older one while a deploy loads). */
  version: string;
  servedVersion: string;
  durationMs: number;
  coldStart: boolean;
  /**
   * The memory limit it ran with, in MB. A remote alias's owner does not share its settings: there, what the
   * invocation used stands in for it.
   */
  memoryMb: number;
  maxRssKb: number;
  /** A cold start's module init (Lambda's Init Duration), in ms. */
  initMs?: number;
  /** This invocation's log lines (the first MAX_KEPT_LINES), when the request asked to keep them. */
  lines?: string[];
  /** The handler streamed its response: its content type and size (see SyncInvocation.onChunk). */
  streamed?: { contentType: string; bytes: number };
  /** A streamed response joined for a caller without `onChunk`: the bytes `payload` holds as text. */
  body?: Buffer;
}

/** A remote alias's call, as the invoker makes it: the host's connections to owners stay behind it. */
export type RemoteAliasCall = (
  callerProfileId: string,
  remote: RemoteAlias,
  o: RemoteInvokeOptions,
) => Promise<InvocationResult>;

export interface InvokerDeps {
  store: HearthStore;
  engine: Engine;
  async: AsyncInvocations;
  /** The host's pinned connections to teammates' shared listeners, which remote aliases are called through. */
  remoteConnections: RemoteConnections;
  /** How a remote alias is called; over the pinned connection to its owner's shared listener by default. */
  callRemote?: RemoteAliasCall;
}

/** Log lines an answer keeps at most: a tail is what is asked for, and a chatty task must not grow it unbounded. */
export const MAX_KEPT_LINES = 10_000;
/** A streamed invocation asks its transport to keep the stream open this often (a task may print nothing for minutes). */
export const STREAM_KEEP_ALIVE_MS = 15_000;

/** The contract's result of an answer, as the native API, the window and a streamed result event carry it. */
export function invocationResult(a: InvocationAnswer): InvocationResult {
  let result: unknown;
  if (a.ok && a.payload !== undefined) {
    try {
      result = JSON.parse(a.payload);
    } catch {
      result = a.payload;
    }
  }
  return {
    requestId: a.requestId,
    ok: a.ok,
    ...(a.ok ? { result: result ?? null } : {}),
    ...(a.error ? { error: a.error } : {}),
    version: a.version,
    servedVersion: a.servedVersion,
    durationMs: a.durationMs,
    maxMemoryUsedMb: Math.ceil(a.maxRssKb / 1024),
    coldStart: a.coldStart,
    ...(a.initMs !== undefined ? { initDurationMs: a.initMs } : {}),
  };
}

function localAnswer(r: InvokeResult, lines: string[] | undefined): InvocationAnswer {
  return {
    requestId: r.requestId,
    ok: r.ok,
    ...(r.payload !== undefined ? { payload: r.payload } : {}),
    ...(r.error ? { error: r.error } : {}),
    version: r.version,
    servedVersion: r.servedVersion,
    durationMs: r.durationMs,
    coldStart: r.coldStart,
    memoryMb: r.memoryMb,
    maxRssKb: r.maxRssKb,
    ...(r.initMs !== undefined ? { initMs: r.initMs } : {}),
    ...(lines ? { lines } : {}),
    ...(r.streamed ? { streamed: r.streamed } : {}),
    ...(r.body ? { body: r.body } : {}),
  };
}

function remoteAnswer(r: InvocationResult, lines: string[] | undefined): InvocationAnswer {
  return {
    requestId: r.requestId,
    ok: r.ok,
    ...(r.ok ? { payload: JSON.stringify(r.result ?? null) } : {}),
    ...(r.error ? { error: r.error } : {}),
    version: r.version,
    servedVersion: r.servedVersion,
    durationMs: r.durationMs,
    coldStart: r.coldStart,
    memoryMb: r.maxMemoryUsedMb,
    maxRssKb: r.maxMemoryUsedMb * 1024,
    ...(r.initDurationMs !== undefined ? { initMs: r.initDurationMs } : {}),
    ...(lines ? { lines } : {}),
  };
}

/** A place for log lines that stops taking them at MAX_KEPT_LINES. */
function lineKeeper(): { lines: string[]; keep: (line: string) => void } {
  const lines: string[] = [];
  return { lines, keep: (line) => void (lines.length < MAX_KEPT_LINES && lines.push(line)) };
}

/** The payload as it goes to the task: a caller's text is checked, and empty means `{}` (Lambda's rule). */
function eventText(req: InvocationRequest, words: InvocationWords): string {
  if (req.payload === undefined) return JSON.stringify(req.event);
  if (req.payload.trim() === "") return "{}";
  checkPayloadJson(req.payload, words.payloadField);
  return req.payload;
}

export class Invoker {
  private readonly callRemote: RemoteAliasCall;

  constructor(private readonly deps: InvokerDeps) {
    this.callRemote = deps.callRemote ?? ((caller, remote, o) => callRemoteAlias(deps, caller, remote, o));
  }

  /**
   * Counts a call refused for a limit before it could run (a token's rate limit) among the throttles of the task it
   * named; a remote alias's calls are the owner's to count.
   */
  recordThrottle(callerProfileId: string, target: InvokeRef, via: CallerLabel, code: string): void {
    if (remoteAliasFor(this.deps.store.documents.state, callerProfileId, target)) return;
    this.deps.engine.recordThrottle(callerProfileId, target, via, code);
  }

  invoke(req: SyncInvocation): Promise<InvocationAnswer>;
  invoke(req: AsyncInvocation): Promise<AcceptedInvocation>;
  invoke(req: StreamedInvocation | DryRunInvocation): Promise<void>;
  invoke(req: InvocationRequest): Promise<InvocationAnswer | AcceptedInvocation | void>;
  async invoke(req: InvocationRequest): Promise<InvocationAnswer | AcceptedInvocation | void> {
    const words = req.words ?? CONTRACT_WORDS;
    const payload = eventText(req, words);
    // A teammate's shared alias, by its local name: the owner's machine runs it. Never for an outside caller, whose
    // names are the owner's, not a profile's.
    const remote =
      req.caller.outsider === true
        ? null
        : remoteAliasFor(this.deps.store.documents.state, req.caller.profileId, req.target);
    if (remote) return this.invokeRemote(req, remote, payload, words);
    const callerProfileId = req.caller.profileId;
    const outsider = req.caller.outsider === true;
    switch (req.mode) {
      case "dry-run":
        this.deps.engine.resolve(callerProfileId, req.target);
        return;
      case "async": {
        const accepted = await this.deps.async.enqueue({
          callerProfileId,
          ref: req.target,
          payload,
          outsider,
          ...(req.requestId !== undefined ? { requestId: req.requestId } : {}),
        });
        return { requestId: accepted.id, state: accepted.state };
      }
      case "sync": {
        const kept = req.keepLines === true ? lineKeeper() : null;
        const r = await this.deps.engine.invoke({
          callerProfileId,
          ref: req.target,
          payload,
          outsider,
          ...(req.caller.via ? { via: req.caller.via } : {}),
          ...(req.requestId !== undefined ? { requestId: req.requestId } : {}),
          ...(kept ? { onLog: ({ line }) => kept.keep(line) } : {}),
          // As they are, absent or not: a call that does not stream costs no more than before.
          onChunk: req.onChunk,
          clientContext: req.clientContext,
        });
        return localAnswer(r, kept?.lines);
      }
      case "stream":
        return this.streamLocal(req, payload);
    }
  }

  /** Resolves before the stream opens, so a wrong target still gets its own answer; then runs it, streaming. */
  private async streamLocal(req: StreamedInvocation, payload: string): Promise<void> {
    const callerProfileId = req.caller.profileId;
    this.deps.engine.resolve(callerProfileId, req.target);
    const sink = req.openEvents();
    const requestId = req.requestId ?? randomUUID();
    sink.send({ type: "start", requestId });
    const keepAlive = setInterval(() => sink.keepAlive(), STREAM_KEEP_ALIVE_MS);
    try {
      const r = await this.deps.engine.invoke({
        callerProfileId,
        ref: req.target,
        payload,
        outsider: req.caller.outsider === true,
        ...(req.caller.via ? { via: req.caller.via } : {}),
        requestId,
        onLog: (l) => sink.send({ type: "log", t: new Date().toISOString(), stream: l.stream, line: l.line }),
      });
      sink.send({ type: "result", result: invocationResult(localAnswer(r, undefined)) });
    } catch (err) {
      sink.fail(err);
    } finally {
      clearInterval(keepAlive);
    }
    sink.end();
  }

  /**
   * An invocation whose target is one of the caller's remote aliases: sync or streamed with the owner's live logs;
   * a dry run checks nothing here (only the owner could); async is refused, the owner's queue is not this one's.
   */
  private async invokeRemote(
    req: InvocationRequest,
    remote: RemoteAlias,
    payload: string,
    words: InvocationWords,
  ): Promise<InvocationAnswer | void> {
    const profileId = req.caller.profileId;
    switch (req.mode) {
      case "dry-run":
        return;
      case "async": {
        const { sync, stream, async } = words.modes;
        const allowed = stream === undefined ? sync : `${sync} or ${stream}`;
        throw new HearthError(
          "INVALID_INPUT",
          `"${remote.name}" is a remote alias: it is invoked ${allowed}, not ${async}`,
          words.modeField,
        );
      }
      case "sync": {
        if (req.keepLines !== true)
          return remoteAnswer(await this.callRemote(profileId, remote, { payload }), undefined);
        // Streamed only to collect the lines; the answer is still one result.
        const kept = lineKeeper();
        const r = await this.callRemote(profileId, remote, {
          payload,
          onEvent: (e) => void (e.type === "log" && kept.keep(e.line)),
        });
        return remoteAnswer(r, kept.lines);
      }
      case "stream":
        return this.streamRemote(req, profileId, remote, payload);
    }
  }

  /**
   * The stream opens with the owner's first event, so an unreachable listener or a wrong certificate still gets
   * its own answer; then the owner's start and log events are passed on, and the result (or the error) ends it.
   */
  private async streamRemote(
    req: StreamedInvocation,
    profileId: string,
    remote: RemoteAlias,
    payload: string,
  ): Promise<void> {
    let sink: InvocationEventSink | null = null;
    const send = (e: Exclude<InvocationEvent, { type: "error" }>): void => {
      sink ??= req.openEvents();
      sink.send(e);
    };
    const keepAlive = setInterval(() => sink?.keepAlive(), STREAM_KEEP_ALIVE_MS);
    try {
      const result = await this.callRemote(profileId, remote, { payload, onEvent: send });
      send({ type: "result", result });
    } catch (err) {
      if (sink === null) throw err;
      (sink as InvocationEventSink).fail(err);
    } finally {
      clearInterval(keepAlive);
    }
    (sink as InvocationEventSink | null)?.end();
  }
}
