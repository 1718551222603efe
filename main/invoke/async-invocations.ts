// Asynchronous invocations (Lambda's InvocationType "Event"): written to disk before they are accepted, run in the
// background fairly across profiles, retried twice on failure, and their bounded outcome kept; what was pending when
// Hearth stopped runs on start.
import { randomUUID } from "node:crypto";
import { open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { InvokeRef } from "../domain/access/authorization.ts";
import { HearthError } from "../domain/model/errors.ts";
import { makePrivateDir, PRIVATE_FILE_MODE } from "../store/private-data-dir.ts";
import { defaultMaxPerProfile, nextProfile } from "./async-fair-share.ts";
import { boundedOutcome, type AsyncOutcome } from "./async-outcome.ts";
import { parseFunctionName } from "../domain/access/function-arn.ts";
import type { Engine, EventSettings } from "./engine.ts";

export type AsyncState = "queued" | "running" | "succeeded" | "failed";

export interface AsyncInvocation {
  id: string;
  callerProfileId: string;
  ref: InvokeRef;
  payload: string;
  /** Queued by a token's holder: its outcome is told as to any caller who is not the owner. */
  outsider?: boolean;
  state: AsyncState;
  attempts: number;
  maxAttempts: number;
  /** When a queued invocation may run next (a retry waits). */
  nextAt: number;
  createdAt: string;
  updatedAt: string;
  outcome?: AsyncOutcome;
  /** The ARN the event was sent to, as Lambda's destination record names it. */
  functionArn?: string;
  /** The event is dropped (EventAgeExceeded) once older than this (Lambda's MaximumEventAgeInSeconds). */
  maxAgeS?: number;
  /** Why it ended: Lambda's destination condition. */
  condition?: DestinationCondition;
  /** Made by Hearth for another event: a destination's record, or a dead-letter target's copy of the event. */
  origin?: { kind: "destination" | "dead-letter"; requestId: string; depth: number };
  /** Where this event's end was sent: its destination and dead-letter target, each with the event made there. */
  delivered?: { kind: "destination" | "dead-letter"; arn: string; requestId?: string; error?: string }[];
}

export type DestinationCondition = "Success" | "RetriesExhausted" | "EventAgeExceeded";

/** Destinations calling destinations stop here, as Lambda's recursive loop detection stops a chain. */
export const MAX_DESTINATION_DEPTH = 16;

export interface AsyncOptions {
  dir: string;
  /** Invocations running at once. */
  concurrency?: number;
  /** Waits before the first and the second retry (Lambda waits a minute, then two). */
  retryDelaysMs?: number[];
  /** Finished records older than this are removed at start. */
  keepFinishedMs?: number;
  /** The most workers one profile holds at once, even with nobody else waiting (default: all but one). */
  maxRunningPerProfile?: number;
  /** Invocations of one profile queued or running at once; one more is refused with ASYNC_QUEUE_FULL. */
  maxQueuedPerProfile?: number;
  /** Finished records kept per profile; the oldest go first. */
  maxFinishedPerProfile?: number;
  /** The largest request payload accepted (Lambda's limit for asynchronous invocations is 256 KB). */
  maxPayloadBytes?: number;
  /** The largest result payload kept in a record; a larger one is left out and its size recorded. */
  maxOutcomeBytes?: number;
}

export const DEFAULT_MAX_QUEUED_PER_PROFILE = 1000;
export const DEFAULT_MAX_FINISHED_PER_PROFILE = 500;
export const DEFAULT_MAX_ASYNC_PAYLOAD_BYTES = 256 * 1024;
export const DEFAULT_MAX_OUTCOME_BYTES = 256 * 1024;

const ID_RE = /^[0-9a-f-]{36}$/;

/** A profile's own order: what is due first runs first, and among equals what was queued first. */
function inQueueOrder(a: AsyncInvocation, b: AsyncInvocation): number {
  return a.nextAt - b.nextAt || a.createdAt.localeCompare(b.createdAt);
}

export class AsyncInvocations {
  private readonly dir: string;
  private readonly concurrency: number;
  private readonly retryDelaysMs: number[];
  private readonly keepFinishedMs: number;
  private readonly maxRunningPerProfile: number;
  private readonly maxQueuedPerProfile: number;
  private readonly maxFinishedPerProfile: number;
  private readonly maxPayloadBytes: number;
  private readonly maxOutcomeBytes: number;
  private readonly items = new Map<string, AsyncInvocation>();
  private running = 0;
  private readonly runningByProfile = new Map<string, number>();
  /** Enqueues accepted but still being written, counted against their profile's cap so a burst cannot pass it. */
  private readonly writingByProfile = new Map<string, number>();
  /** Profiles in round-robin order: the one served longest ago first. */
  private readonly turn: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Paused: nothing new starts, but what runs still records its outcome. */
  private paused = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly engine: Engine,
    o: AsyncOptions,
  ) {
    this.dir = o.dir;
    this.concurrency = o.concurrency ?? 4;
    this.retryDelaysMs = o.retryDelaysMs ?? [60_000, 120_000];
    this.keepFinishedMs = o.keepFinishedMs ?? 7 * 24 * 3600_000;
    this.maxRunningPerProfile = o.maxRunningPerProfile ?? defaultMaxPerProfile(this.concurrency);
    this.maxQueuedPerProfile = o.maxQueuedPerProfile ?? DEFAULT_MAX_QUEUED_PER_PROFILE;
    this.maxFinishedPerProfile = o.maxFinishedPerProfile ?? DEFAULT_MAX_FINISHED_PER_PROFILE;
    this.maxPayloadBytes = o.maxPayloadBytes ?? DEFAULT_MAX_ASYNC_PAYLOAD_BYTES;
    this.maxOutcomeBytes = o.maxOutcomeBytes ?? DEFAULT_MAX_OUTCOME_BYTES;
  }

  /** Loads what an earlier run left: invocations cut off while running go back to the queue. */
  async start(): Promise<{ resumed: number }> {
    // Queued payloads are callers' data: the owner's alone, like the rest of the data directory.
    await makePrivateDir(this.dir);
    let resumed = 0;
    for (const f of await readdir(this.dir)) {
      if (!f.endsWith(".json")) {
        if (f.endsWith(".tmp")) await rm(join(this.dir, f), { force: true });
        continue;
      }
      let item: AsyncInvocation;
      try {
        item = JSON.parse(await readFile(join(this.dir, f), "utf8")) as AsyncInvocation;
      } catch {
        continue;
      }
      const finished = item.state === "succeeded" || item.state === "failed";
      if (finished && Date.now() - Date.parse(item.updatedAt) > this.keepFinishedMs) {
        await rm(join(this.dir, f), { force: true });
        continue;
      }
      if (item.state === "running") {
        // Cut off by a stop or a crash: that counts as an attempt, so a task that kills Hearth cannot loop.
        item.state = item.attempts < item.maxAttempts ? "queued" : "failed";
        item.outcome ??= {
          ok: false,
          error: {
            errorType: "Hearth.Interrupted",
            errorMessage: "Hearth stopped while this invocation ran",
            trace: [],
          },
        };
        await this.save(item);
      }
      if (item.state === "queued") resumed++;
      this.items.set(item.id, item);
    }
    // Records written before the cap existed may be more than it allows: the oldest go now.
    for (const profileId of new Set([...this.items.values()].map((i) => i.callerProfileId))) {
      await this.pruneFinished(profileId);
    }
    this.pump();
    return { resumed };
  }

  /**
   * Accepts an invocation: the target is resolved and checked first (an unknown task is refused now, not later),
   * then the request is on disk before this resolves.
   */
  async enqueue(req: {
    callerProfileId: string;
    ref: InvokeRef;
    payload: string;
    requestId?: string;
    outsider?: boolean;
    origin?: AsyncInvocation["origin"];
  }): Promise<AsyncInvocation> {
    if (this.closed) throw new Error("ENGINE_CLOSED: Hearth is shutting down");
    const bytes = Buffer.byteLength(req.payload);
    // A destination's record holds the event and its result: it may pass the limit an event itself keeps to.
    const limit = req.origin ? 2 * this.maxPayloadBytes + 64 * 1024 : this.maxPayloadBytes;
    if (bytes > limit) {
      throw new HearthError(
        "PAYLOAD_TOO_LARGE",
        `an asynchronous invocation's payload may be ${this.maxPayloadBytes} bytes; this one is ${bytes}`,
        "payload",
      );
    }
    const settings = this.engine.eventSettings(req.callerProfileId, req.ref);
    const pid = req.callerProfileId;
    let waiting = 0;
    for (const i of this.items.values()) {
      if (i.callerProfileId === pid && (i.state === "queued" || i.state === "running")) waiting++;
    }
    if (waiting + (this.writingByProfile.get(pid) ?? 0) >= this.maxQueuedPerProfile) {
      throw new HearthError(
        "ASYNC_QUEUE_FULL",
        `this profile already has ${this.maxQueuedPerProfile} asynchronous invocations queued or running; ` +
          "wait for some to finish and send this one again",
      );
    }
    const now = new Date().toISOString();
    const item: AsyncInvocation = {
      id: req.requestId && ID_RE.test(req.requestId) ? req.requestId : randomUUID(),
      callerProfileId: req.callerProfileId,
      ref: req.ref,
      payload: req.payload,
      ...(req.outsider ? { outsider: true } : {}),
      state: "queued",
      attempts: 0,
      maxAttempts: 1 + Math.min(settings.maximumRetryAttempts, this.retryDelaysMs.length),
      nextAt: Date.now(),
      createdAt: now,
      updatedAt: now,
      functionArn: settings.functionArn,
      maxAgeS: settings.maximumEventAgeSeconds,
      ...(req.origin ? { origin: req.origin } : {}),
    };
    this.writingByProfile.set(pid, (this.writingByProfile.get(pid) ?? 0) + 1);
    try {
      await this.save(item);
    } finally {
      this.writingByProfile.set(pid, (this.writingByProfile.get(pid) ?? 1) - 1);
    }
    this.items.set(item.id, item);
    this.pump();
    return { ...item };
  }

  get(id: string): AsyncInvocation | undefined {
    const item = this.items.get(id);
    return item ? { ...item } : undefined;
  }

  list(filter: { callerProfileId?: string; state?: AsyncState } = {}): AsyncInvocation[] {
    return [...this.items.values()]
      .filter(
        (i) =>
          (!filter.callerProfileId || i.callerProfileId === filter.callerProfileId) &&
          (!filter.state || i.state === filter.state),
      )
      .map((i) => ({ ...i }));
  }

  /** Resolves when nothing is queued or running (for tests and a graceful shutdown). */
  idle(): Promise<void> {
    if (this.running === 0 && ![...this.items.values()].some((i) => i.state === "queued"))
      return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    if (this.closed || this.paused) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const now = Date.now();
    // Each profile's ready invocations in their own order (first queued, first run), never reordered across.
    const ready = new Map<string, AsyncInvocation[]>();
    for (const i of this.items.values()) {
      if (i.state !== "queued" || i.nextAt > now) continue;
      const list = ready.get(i.callerProfileId) ?? [];
      list.push(i);
      ready.set(i.callerProfileId, list);
      if (!this.turn.includes(i.callerProfileId)) this.turn.push(i.callerProfileId);
    }
    for (const list of ready.values()) list.sort(inQueueOrder);
    while (this.running < this.concurrency) {
      const profileId = nextProfile({
        concurrency: this.concurrency,
        maxPerProfile: this.maxRunningPerProfile,
        running: this.runningByProfile,
        waiting: this.turn.filter((p) => (ready.get(p)?.length ?? 0) > 0),
      });
      if (profileId === null) break;
      const item = ready.get(profileId)!.shift()!;
      this.turn.splice(this.turn.indexOf(profileId), 1);
      this.turn.push(profileId);
      // A record that cannot be written (disk full, folder gone) must not become an unhandled rejection, which
      // would end the whole host: the item keeps its last state on disk and the next start runs it again.
      void this.runOne(item).catch((err: unknown) => {
        process.stderr.write(`hearth: async invocation ${item.id}: ${(err as Error).message}\n`);
      });
    }
    const queued = [...this.items.values()].filter((i) => i.state === "queued");
    // A retry waiting out its back-off wakes the queue when it is due; a profile at its ceiling wakes it by finishing.
    const due = queued.filter((i) => i.nextAt > now).sort(inQueueOrder)[0];
    if (due && this.running < this.concurrency) {
      this.timer = setTimeout(() => this.pump(), Math.max(0, due.nextAt - Date.now()));
    }
    if (this.running === 0 && queued.length === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async runOne(item: AsyncInvocation): Promise<void> {
    const pid = item.callerProfileId;
    this.running++;
    this.runningByProfile.set(pid, (this.runningByProfile.get(pid) ?? 0) + 1);
    item.state = "running";
    item.attempts++;
    item.updatedAt = new Date().toISOString();
    try {
      if (item.maxAgeS !== undefined && Date.now() - Date.parse(item.createdAt) > item.maxAgeS * 1000) {
        // Too old to run (a long stop, a long back-off): dropped as Lambda drops it, and its failure told.
        item.attempts--;
        item.condition = "EventAgeExceeded";
        item.outcome ??= {
          ok: false,
          error: {
            errorType: "Hearth.EventAgeExceeded",
            errorMessage: `the event was older than its maximum age of ${item.maxAgeS} s before it could run`,
            trace: [],
          },
        };
        // Ended only once its destination has the record: whoever sees it ended also sees where that went.
        await this.deliver(item);
        item.state = "failed";
        item.updatedAt = new Date().toISOString();
        await this.save(item);
        await this.pruneFinished(pid);
        return;
      }
      await this.save(item);
      let outcome: AsyncOutcome;
      try {
        const r = await this.engine.invoke({
          callerProfileId: item.callerProfileId,
          ref: item.ref,
          payload: item.payload,
          requestId: item.id,
          via: { kind: "async" },
          ...(item.outsider ? { outsider: true } : {}),
        });
        outcome = boundedOutcome(
          {
            ok: r.ok,
            ...(r.payload !== undefined ? { payload: r.payload } : {}),
            ...(r.error ? { error: r.error } : {}),
            servedVersion: r.servedVersion,
            durationMs: r.durationMs,
          },
          this.maxOutcomeBytes,
        );
      } catch (err) {
        outcome = boundedOutcome(
          {
            ok: false,
            error: { errorType: "Hearth.InvokeFailed", errorMessage: (err as Error).message, trace: [] },
          },
          this.maxOutcomeBytes,
        );
      }
      if (this.closed) return; // abandoned: the record stays "running" and the next start retries it
      item.outcome = outcome;
      if (!outcome.ok && item.attempts < item.maxAttempts) {
        item.state = "queued";
        item.nextAt = Date.now() + (this.retryDelaysMs[item.attempts - 1] ?? 0);
      } else {
        item.condition = outcome.ok ? "Success" : "RetriesExhausted";
        // Ended only once its destination has the record: whoever sees it ended also sees where that went.
        await this.deliver(item);
        item.state = outcome.ok ? "succeeded" : "failed";
      }
      item.updatedAt = new Date().toISOString();
      await this.save(item);
      if (item.state !== "queued") await this.pruneFinished(pid);
    } finally {
      this.running--;
      this.runningByProfile.set(pid, (this.runningByProfile.get(pid) ?? 1) - 1);
      if (this.runningByProfile.get(pid) === 0) this.runningByProfile.delete(pid);
      this.pump();
    }
  }

  /**
   * Sends a finished event on: Lambda's destination record to OnSuccess or OnFailure, and on failure the event
   * itself to the dead-letter target. Each goes through this queue as the task owner's own async call. A target
   * that refuses (gone, no longer permitted, queue full) is noted on the record, never retried forever.
   */
  private async deliver(item: AsyncInvocation): Promise<void> {
    let settings: EventSettings;
    try {
      settings = this.engine.eventSettings(item.callerProfileId, item.ref);
    } catch {
      return; // the task or the caller's right to it is gone: nothing to tell
    }
    const depth = (item.origin?.depth ?? 0) + 1;
    const sends: { kind: "destination" | "dead-letter"; arn: string; payload: string }[] = [];
    const dest = item.condition === "Success" ? settings.onSuccess : settings.onFailure;
    if (dest) sends.push({ kind: "destination", arn: dest, payload: destinationRecord(item, settings) });
    if (item.condition !== "Success" && settings.deadLetter)
      sends.push({ kind: "dead-letter", arn: settings.deadLetter, payload: item.payload });
    for (const s of sends) {
      const note: NonNullable<AsyncInvocation["delivered"]>[number] = { kind: s.kind, arn: s.arn };
      if (depth > MAX_DESTINATION_DEPTH) {
        note.error = `not sent: ${MAX_DESTINATION_DEPTH} events in a row were made by destinations, which looks like a loop`;
      } else {
        try {
          const sent = await this.enqueue({
            callerProfileId: settings.ownerProfileId,
            ref: parseFunctionName(s.arn),
            payload: s.payload,
            origin: { kind: s.kind, requestId: item.id, depth },
          });
          note.requestId = sent.id;
        } catch (err) {
          note.error = (err as Error).message;
        }
      }
      (item.delivered ??= []).push(note);
    }
  }

  /** Keeps a profile's newest finished records up to the cap, so a busy profile cannot fill the disk with them. */
  private async pruneFinished(profileId: string): Promise<void> {
    const finished = [...this.items.values()]
      .filter((i) => i.callerProfileId === profileId && (i.state === "succeeded" || i.state === "failed"))
      .sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt));
    for (const old of finished.slice(this.maxFinishedPerProfile)) {
      this.items.delete(old.id);
      await rm(join(this.dir, `${old.id}.json`), { force: true });
    }
  }

  /** Written to a temporary file, flushed, then renamed: a crash leaves the old record or the new one. */
  private async save(item: AsyncInvocation): Promise<void> {
    const path = join(this.dir, `${item.id}.json`);
    const tmp = `${path}.${process.pid}.tmp`;
    const fh = await open(tmp, "w", PRIVATE_FILE_MODE);
    try {
      // A temp file left by a crash keeps its old mode through open: set it, since the rename keeps it.
      await fh.chmod(PRIVATE_FILE_MODE);
      await fh.writeFile(JSON.stringify(item));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  }

  /** Starts nothing more; invocations already running still record their outcome (a graceful shutdown). */
  pause(): void {
    this.paused = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Stops taking work. Running invocations are abandoned as they are: the next start runs them again. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.idleWaiters.splice(0)) w();
  }
}

/** The payload as JSON when it is JSON, else as the text it is. */
function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Lambda's destination record for a function destination: the event, how it ended, and its response. */
export function destinationRecord(
  item: AsyncInvocation,
  settings: Pick<EventSettings, "functionArn">,
): string {
  const o = item.outcome;
  const ran = o !== undefined && o.error?.errorType !== "Hearth.EventAgeExceeded";
  const hearthFailure = o?.error?.errorType?.startsWith("Hearth.") === true;
  const record: Record<string, unknown> = {
    version: "1.0",
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: item.id,
      functionArn: item.functionArn ?? settings.functionArn,
      condition: item.condition,
      approximateInvokeCount: item.attempts,
    },
    requestPayload: jsonOrText(item.payload),
  };
  if (ran && o) {
    record.responseContext = {
      statusCode: hearthFailure ? 500 : 200,
      executedVersion: o.servedVersion ?? "$LATEST",
      ...(!o.ok && !hearthFailure ? { functionError: "Unhandled" } : {}),
    };
    if (o.ok) {
      if (o.payload !== undefined) record.responsePayload = jsonOrText(o.payload);
    } else if (o.error) {
      record.responsePayload = {
        errorMessage: o.error.errorMessage,
        errorType: o.error.errorType,
        stackTrace: o.error.trace,
      };
    }
  }
  return JSON.stringify(record);
}
