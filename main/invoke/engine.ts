// The invocation engine: resolves what a caller names to a task version and configuration, checks the caller
// may run it, and hands it to the scheduler with the code from the blob store.
import { randomUUID } from "node:crypto";
import { pickAliasVersion } from "../domain/aliases/alias-routing.ts";
import { resolveInvokeTarget, type InvokeRef, type InvokeTarget } from "../domain/access/authorization.ts";
import { HearthError } from "../domain/model/errors.ts";
import { DEFAULT_EVENT_INVOKE, eventInvokeConfigOf } from "../domain/tasks/event-invoke-config.ts";
import { runtimeFamily } from "../domain/tasks/runtime-ids.ts";
import { sandboxConfig } from "../domain/tasks/sandbox-config.ts";
import { verifyToken } from "../domain/access/tokens.ts";
import { ms, type CallerLabel, type InvocationRecord } from "../domain/metrics/invocation-record.ts";
import type { HearthState, VersionRef } from "../domain/model/state.ts";
import type { HearthStore } from "../store/hearth-store.ts";
import { systemRandom } from "../store/system-random.ts";
import type { InvokeOptions } from "../vm/guest-session.ts";
import { errorForCaller, thrownForCaller } from "./caller-view.ts";
import type { InvocationLogs } from "./invocation-logs.ts";
import type { InvocationMetrics } from "./invocation-metrics.ts";
import type { Execution, RunOutcome, SandboxScheduler } from "./sandbox-scheduler.ts";

export interface InvokeRequest {
  callerProfileId: string;
  /** What the caller named: task[:qualifier], or another account's task through an alias the caller holds. */
  ref: InvokeRef;
  /** The event, as JSON text. */
  payload: string;
  requestId?: string;
  onLog?: InvokeOptions["onLog"];
  /** Takes a streaming handler's response as it is written (see InvokeOptions.onChunk); joined into the payload without it. */
  onChunk?: InvokeOptions["onChunk"];
  /** Lambda's client context, as JSON text. */
  clientContext?: string;
  /** A token's holder (not a profile acting for itself): never treated as the task's owner. */
  outsider?: boolean;
  /** Who called, as the metrics name it (a profile by default). */
  via?: CallerLabel;
}

/** What an asynchronous event to a target runs under: its task's event-invoke configuration and dead-letter target. */
export interface EventSettings {
  taskId: string;
  /** The task's owner: its account invokes the destinations, as a Lambda function's role does. */
  ownerProfileId: string;
  /** The ARN the event was sent to, qualified as Lambda's destination record names it. */
  functionArn: string;
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
  onSuccess: string | null;
  onFailure: string | null;
  deadLetter: string | null;
}

export interface InvokeResult extends RunOutcome {
  taskId: string;
  /** The version the target resolved to (an alias's draw); `servedVersion` is what answered. */
  version: string;
  aliasId: string | null;
  /** The profile whose VM ran it. */
  ranIn: string;
  /** The memory limit it ran with, in MB: the version's, or what a cross-profile alias set. */
  memoryMb: number;
  /** A cold start's module init (Lambda's Init Duration), in ms. */
  initMs?: number;
}

export interface Resolved {
  execution: Execution;
  taskId: string;
  version: VersionRef;
  aliasId: string | null;
  /** The task owner's profile: a caller who is someone else is told failures without their detail. */
  ownerProfileId: string;
}

/** Who calls when nobody says otherwise: a profile, for itself. */
const PROFILE_CALLER: CallerLabel = { kind: "profile" };

/** 1/φ: successive multiples of it, modulo 1, spread over [0, 1) more evenly than independent draws. */
const GOLDEN = (Math.sqrt(5) - 1) / 2;

export class Engine {
  /** Per alias: a random start and a count, for its weighted-split draws. */
  private readonly splitDraws = new Map<string, { start: number; n: number }>();

  constructor(
    private readonly store: HearthStore,
    private readonly scheduler: SandboxScheduler,
    private readonly random: () => number = systemRandom.float,
    readonly logs: InvocationLogs | null = null,
    readonly metrics: InvocationMetrics | null = null,
  ) {}

  /**
   * The uniform number an alias's split is decided by. Independent draws miss a 30% split by more than 3
   * points over 1,000 calls about one time in twenty-five; a randomly started golden-ratio sequence stays
   * within a few calls of it at every point, and no caller can predict it.
   */
  private splitDraw(aliasId: string): number {
    let d = this.splitDraws.get(aliasId);
    if (!d) {
      d = { start: this.random(), n: 0 };
      this.splitDraws.set(aliasId, d);
    }
    d.n++;
    return (d.start + d.n * GOLDEN) % 1;
  }

  /**
   * Tasks under a debugger (by id): their owner's own calls run in a sandbox started with the inspector, a line of
   * its own beside the task's usual sandboxes. Anyone else's calls never do: a debugger sees the environment.
   */
  readonly inspecting = new Set<string>();

  /** The settings an asynchronous event to `ref` runs under (Lambda's defaults where the owner set none). */
  eventSettings(callerProfileId: string, ref: InvokeRef): EventSettings {
    const state = this.store.documents.state;
    const target = resolveInvokeTarget(state, callerProfileId, ref);
    const taskId =
      target.kind === "version" ? target.taskId : state.aliases.find((a) => a.id === target.aliasId)!.taskId;
    const task = state.tasks.find((t) => t.id === taskId)!;
    const account = state.profiles.find((p) => p.id === task.profileId)?.accountId ?? "000000000000";
    // A holder's own cross-profile alias is not one of the owner's qualifiers: the owner's defaults apply.
    const ownQualifier =
      target.kind === "version" || state.aliases.find((a) => a.id === target.aliasId)?.grantId === null;
    const config = ownQualifier ? eventInvokeConfigOf(state, taskId, ref.qualifier) : null;
    return {
      taskId,
      ownerProfileId: task.profileId,
      functionArn: `arn:aws:lambda:local:${account}:function:${task.name}:${ref.qualifier ?? "$LATEST"}`,
      maximumRetryAttempts: config?.maximumRetryAttempts ?? DEFAULT_EVENT_INVOKE.maximumRetryAttempts,
      maximumEventAgeSeconds: config?.maximumEventAgeSeconds ?? DEFAULT_EVENT_INVOKE.maximumEventAgeSeconds,
      onSuccess: config?.onSuccess ?? null,
      onFailure: config?.onFailure ?? null,
      deadLetter: task.deadLetterArn ?? null,
    };
  }

  /** Resolves and checks a request without running it (Lambda's DryRun does exactly this). */
  resolve(callerProfileId: string, ref: InvokeRef): Resolved {
    const state = this.store.documents.state;
    const target = resolveInvokeTarget(state, callerProfileId, ref);
    return this.plan(state, target, callerProfileId);
  }

  /**
   * Where a task's $LATEST stands after a change, as its owner calls it: loading beside a warm older sandbox, or
   * serving (see SandboxScheduler.deployState). Starts that load when one is due.
   */
  deployState(taskId: string): { state: "current" | "moving" | "failed"; reason?: string } {
    const state = this.store.documents.state;
    const task = state.tasks.find((t) => t.id === taskId);
    if (!task) throw new HearthError("TASK_NOT_FOUND", `no task with id "${taskId}"`, "task");
    const plan = this.plan(state, { kind: "version", taskId, version: "$LATEST" }, task.profileId);
    return this.scheduler.deployState(plan.execution);
  }

  /** The execution of a task's $LATEST as its owner calls it while it is under the debugger. */
  inspectExecution(taskId: string): Execution {
    const state = this.store.documents.state;
    const task = state.tasks.find((t) => t.id === taskId);
    if (!task) throw new HearthError("TASK_NOT_FOUND", `no task with id "${taskId}"`, "task");
    if (!this.inspecting.has(taskId))
      throw new HearthError("INSPECT_UNAVAILABLE", `task "${task.name}" is not under the debugger`, "task");
    return this.plan(state, { kind: "version", taskId, version: "$LATEST" }, task.profileId).execution;
  }

  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    const r = this.resolve(req.callerProfileId, req.ref);
    return this.run(r, req, req.callerProfileId, !req.outsider && r.ownerProfileId === req.callerProfileId);
  }

  /**
   * Counts a call refused for a limit before it reached the engine (a token's rate limit) as the task's throttle,
   * when the target resolves; nothing otherwise (the call named nothing it may run).
   */
  recordThrottle(
    callerProfileId: string,
    ref: InvokeRef | { aliasId: string },
    via: CallerLabel,
    code: string,
  ): void {
    if (!this.metrics) return;
    let r: Resolved;
    try {
      r =
        "aliasId" in ref
          ? this.plan(this.store.documents.state, { kind: "alias", aliasId: ref.aliasId }, null)
          : this.resolve(callerProfileId, ref);
    } catch {
      return;
    }
    this.metrics.record({
      id: randomUUID(),
      t: Date.now(),
      task: r.taskId,
      owner: r.ownerProfileId,
      ...(r.aliasId ? { alias: r.aliasId } : {}),
      caller: callerProfileId,
      via,
      version: String(r.version),
      outcome: "throttle",
      errorType: code,
      cold: false,
      phases: { queue: 0, host: 0 },
      total: 0,
      maxRssKb: 0,
      memoryMb: r.execution.spec.memoryMb,
      concurrency: 0,
    });
  }

  /**
   * Invokes with a teammate's token: it names exactly one alias and runs as the profile that holds it. `aliasId`
   * is the alias the request addressed; a token for any other alias is refused like a wrong one.
   */
  async invokeWithToken(
    token: string,
    req: {
      aliasId?: string;
      payload: string;
      requestId?: string;
      onLog?: InvokeOptions["onLog"];
      onChunk?: InvokeOptions["onChunk"];
      clientContext?: string;
      via?: CallerLabel;
    },
  ): Promise<InvokeResult> {
    const state = this.store.documents.state;
    const holder = state.aliases.find((a) => a.id === req.aliasId)?.profileId ?? "";
    const expect = req.aliasId
      ? { kind: "alias" as const, profileId: holder, aliasId: req.aliasId }
      : undefined;
    const scope = verifyToken(state, token, Date.now(), expect);
    if (scope.kind !== "alias")
      throw new HearthError("TOKEN_INVALID", "the token is not valid for this request");
    // A token's holder is never the owner, whoever minted it: it learns what any outside caller learns.
    return this.run(
      this.plan(state, { kind: "alias", aliasId: scope.aliasId }, null),
      req,
      scope.profileId,
      false,
    );
  }

  /**
   * Runs a resolved request, streaming its lines to the caller and keeping them in the task's log. A caller who
   * is not the task's owner gets failures without traces, source lines or paths (caller-view.ts); the log keeps
   * the full error for the owner and the cleaned one for the caller's own reading.
   */
  private async run(
    r: Resolved,
    req: {
      payload: string;
      requestId?: string;
      onLog?: InvokeOptions["onLog"];
      onChunk?: InvokeOptions["onChunk"];
      clientContext?: string;
      via?: CallerLabel;
    },
    caller: string,
    callerIsOwner: boolean,
  ): Promise<InvokeResult> {
    const requestId = req.requestId ?? randomUUID();
    const t = Date.now();
    const began = performance.now();
    const log = this.logs?.begin(r.taskId, requestId, caller, String(r.version));
    const onLog: InvokeOptions["onLog"] = log
      ? (l) => {
          log.line(l.stream, l.line);
          req.onLog?.(l);
        }
      : req.onLog;
    let outcome: RunOutcome;
    try {
      outcome = await this.scheduler.run(r.execution, req.payload, {
        requestId,
        onLog,
        onChunk: req.onChunk,
        clientContext: req.clientContext,
      });
    } catch (err) {
      this.recordFailure(r, requestId, caller, req.via, t, performance.now() - began, err);
      if (callerIsOwner) {
        log?.end(false, 0, (err as Error).message);
        throw err;
      }
      const shown = thrownForCaller(err, requestId);
      log?.end(false, 0, (err as Error).message, (shown as Error).message);
      throw shown;
    }
    const text = (e: { errorType: string; errorMessage: string }): string =>
      `${e.errorType}: ${e.errorMessage}`;
    const error = outcome.error ? text(outcome.error) : undefined;
    const figures = {
      ...(outcome.cold ? { initMs: ms(outcome.cold.initMs) } : {}),
      maxMemoryUsedMb: Math.ceil(outcome.maxRssKb / 1024),
      memoryMb: r.execution.spec.memoryMb,
    };
    if (!callerIsOwner && outcome.error) {
      const shown = errorForCaller(outcome.error, requestId);
      log?.end(outcome.ok, outcome.durationMs, error, text(shown), figures);
      outcome = { ...outcome, error: shown };
    } else {
      log?.end(outcome.ok, outcome.durationMs, error, undefined, figures);
    }
    if (this.metrics) this.recordRun(r, requestId, caller, req.via, t, performance.now() - began, outcome);
    return {
      ...outcome,
      taskId: r.taskId,
      version: String(r.version),
      aliasId: r.aliasId,
      ranIn: r.execution.profile,
      memoryMb: r.execution.spec.memoryMb,
      ...(outcome.cold ? { initMs: ms(outcome.cold.initMs) } : {}),
    };
  }

  /** The record of a call that reached a handler: its timeline from the scheduler's figures and the guest's. */
  private recordRun(
    r: Resolved,
    id: string,
    caller: string,
    via: CallerLabel | undefined,
    t: number,
    totalMs: number,
    o: RunOutcome,
  ): void {
    // Written without spreads or intermediate objects: this runs on every call's way back.
    const c = o.cold;
    const queue = ms(o.queuedMs - (c ? c.vmMs + c.loadMs + c.initMs : 0));
    const handler = ms(o.durationMs);
    const transfer = ms(o.roundTripMs - o.durationMs);
    // Keys in the order the phases happen (host last): readers list them as they come.
    const phases = { queue } as InvocationRecord["phases"];
    let measured = queue + handler + transfer;
    if (c) {
      phases.vm = ms(c.vmMs);
      phases.load = ms(c.loadMs);
      phases.init = ms(c.initMs);
      measured += phases.vm + phases.load + phases.init;
    }
    phases.handler = handler;
    phases.transfer = transfer;
    // Hearth's own share is what the rest leaves of the total, so the phases add up to it exactly.
    measured = ms(measured);
    const total = Math.max(ms(totalMs), measured);
    phases.host = ms(total - measured);
    const rec: InvocationRecord = {
      id,
      t,
      task: r.taskId,
      owner: r.ownerProfileId,
      alias: r.aliasId ?? undefined,
      caller,
      via: via ?? PROFILE_CALLER,
      version: String(r.version),
      served: o.servedVersion,
      outcome: o.ok ? "ok" : "error",
      errorType: o.error?.errorType,
      cold: o.coldStart,
      vm: o.vm,
      take: c?.take,
      phases,
      total,
      maxRssKb: o.maxRssKb,
      memoryMb: r.execution.spec.memoryMb,
      concurrency: o.concurrency,
    };
    this.metrics!.record(rec);
  }

  /** The record of a call that failed around its handler: a throttle, a failed init, a lost sandbox. */
  private recordFailure(
    r: Resolved,
    id: string,
    caller: string,
    via: CallerLabel | undefined,
    t: number,
    totalMs: number,
    err: unknown,
  ): void {
    if (!this.metrics) return;
    const e = err as { code?: unknown; lambda?: { errorType?: unknown } };
    const code = typeof e.code === "string" ? e.code : "ServiceException";
    const throttle = code === "TOO_MANY_REQUESTS";
    const lambdaType = typeof e.lambda?.errorType === "string" ? e.lambda.errorType : undefined;
    this.metrics.record({
      id,
      t,
      task: r.taskId,
      owner: r.ownerProfileId,
      ...(r.aliasId ? { alias: r.aliasId } : {}),
      caller,
      via: via ?? { kind: "profile" },
      version: String(r.version),
      outcome: throttle ? "throttle" : "error",
      errorType: lambdaType ?? code,
      cold: code === "SANDBOX_INIT_FAILED",
      phases: { queue: ms(totalMs), host: 0 },
      total: ms(totalMs),
      maxRssKb: 0,
      memoryMb: r.execution.spec.memoryMb,
      concurrency: 0,
    });
  }

  private plan(state: HearthState, target: InvokeTarget, callerProfileId: string | null): Resolved {
    let taskId: string;
    let version: VersionRef;
    let aliasId: string | null = null;
    let lineKey: string;
    let follow: boolean;
    if (target.kind === "alias") {
      const alias = state.aliases.find((a) => a.id === target.aliasId);
      if (!alias)
        throw new HearthError("ALIAS_NOT_FOUND", `no alias with id "${target.aliasId}"`, "qualifier");
      aliasId = alias.id;
      taskId = alias.taskId;
      version = alias.routing.split
        ? pickAliasVersion(alias.routing, this.splitDraw(alias.id))
        : alias.routing.version;
      // An alias's primary and its weighted extra version are two lines: both stay warm while the split holds,
      // and when the alias moves, each line moves to its new version without a cold start.
      const leg =
        alias.routing.split && version === alias.routing.split.additionalVersion ? "extra" : "primary";
      lineKey = `alias:${alias.id}:${leg}`;
      follow = true;
    } else {
      taskId = target.taskId;
      version = target.version;
      // $LATEST follows the code as it changes; a named version never changes, so it never swaps.
      follow = version === "$LATEST";
      lineKey = `task:${taskId}:${String(version)}`;
    }
    const cfg = sandboxConfig(state, { taskId, version, aliasId }, this.store.secrets);
    const blobs = this.store.blobs;
    const sha256 = cfg.code.sha256;
    // Under the debugger only for the owner, in the owner's VM, with nothing set by anyone else.
    const inspect =
      this.inspecting.has(taskId) &&
      callerProfileId === cfg.ownerProfileId &&
      cfg.vmProfileId === cfg.ownerProfileId &&
      (cfg.spec.callerEnv ?? []).length === 0 &&
      runtimeFamily(cfg.spec.runtime) === "nodejs";
    const under = inspect ? ":inspect" : "";
    const execution: Execution = {
      profile: cfg.vmProfileId,
      configKey: `${cfg.configKey}${under}`,
      taskKey: taskId,
      lineKey: `${cfg.vmProfileId}:${lineKey}${under}`,
      follow,
      spec: inspect ? { ...cfg.spec, inspect: true } : cfg.spec,
      loadCode: async () => ({ zip: await blobs.get(sha256), sha256 }),
    };
    const reserved = state.tasks.find((t) => t.id === taskId)?.reservedConcurrency;
    if (reserved !== undefined) execution.reservedConcurrency = reserved;
    return { execution, taskId, version, aliasId, ownerProfileId: cfg.ownerProfileId };
  }
}
