// The host's session with one running VM: its agent on the control channel and a direct channel to each sandbox.
import { EventEmitter } from "node:events";
import { randomBytes, randomUUID } from "node:crypto";
import { FrameSocket } from "./frame-socket.ts";
import { parseControlFrame, parseSandboxFrame } from "./guest-frames.ts";
import {
  CONTROL_FRAME_LIMIT,
  CONTROL_PORT,
  DEFAULT_STREAM_CONTENT_TYPE,
  MAX_RESULT_BYTES,
  MAX_STREAMED_RESPONSE_BYTES,
  responseTooLargeError,
  SANDBOX_FRAME_LIMIT,
  streamTooLargeError,
  TUNNEL_CHUNK_BYTES,
  sandboxPortName,
  type ControlEvent,
  type ControlReply,
  type ControlRequest,
  type InvokeFrame,
  type LambdaError,
  type SandboxFrame,
  type SandboxSpec,
} from "./protocol.ts";

type ReadyFrame = Extract<ControlEvent, { t: "ready" }>;
type Request = ControlRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

/** Why an invocation did not produce the handler's own result or error. */
export type Fault = "handler" | "timeout" | "exit" | "signal" | "oom" | "killed" | "vm";

export interface InvokeOutcome {
  requestId: string;
  ok: boolean;
  /** The handler's return value as JSON text, when ok. */
  payload?: string;
  error?: LambdaError;
  fault?: Fault;
  /** Time inside the sandbox, as the runtime measured it. */
  durationMs: number;
  /** Time from sending the invocation to receiving its result, as the host measured it. */
  roundTripMs: number;
  maxRssKb: number;
  /** It failed while waiting for its sandbox (which died or could not start again): no handler ever saw it. */
  undelivered?: boolean;
  /**
   * The handler streamed its response (awslambda.streamifyResponse): its content type and how many bytes it sent.
   * A caller that took the chunks (`onChunk`) gets an empty `payload`; any other caller gets them joined, as Lambda's
   * Invoke does: `body` holds the bytes and `payload` the same as UTF-8 text.
   */
  streamed?: { contentType: string; bytes: number };
  body?: Buffer;
}

/** A piece of a streamed response, as it arrives from the sandbox. */
export interface ResponseChunk {
  /** Bytes in the order the handler wrote them (a large write arrives as several chunks). */
  data: Buffer;
  /** The response's content type: what the handler set before its first write, else application/octet-stream. */
  contentType: string;
  /** The function version answering (an older one while a deploy loads): what X-Amz-Executed-Version names. */
  functionVersion: string;
}

export interface InvokeOptions {
  requestId?: string;
  /** The host's own timer; defaults to the sandbox's timeout. The guest enforces that timeout either way. */
  hostTimeoutMs?: number;
  onLog?: (line: { stream: "stdout" | "stderr"; line: string }) => void;
  /**
   * Takes a streaming handler's response as it is written, instead of joined into the outcome's payload. A promise
   * returned holds the sandbox's port until it settles (the caller's own reader is slow): the runtime then stops
   * the handler's writes, as a full socket would, rather than the host holding what the reader has not taken.
   */
  onChunk?: (chunk: ResponseChunk) => void | Promise<void>;
  /** Lambda's client context (JSON text), handed to the handler as `context.clientContext`. */
  clientContext?: string;
}

export interface SandboxSessionEvents {
  ready: [ReadyFrame];
  "sandbox-exit": [Extract<ControlEvent, { t: "sandbox-exit" }>];
  "sandbox-up": [Extract<ControlEvent, { t: "sandbox-up" }>];
  "sandbox-failed": [Extract<ControlEvent, { t: "sandbox-failed" }>];
  "sandbox-output": [Extract<ControlEvent, { t: "sandbox-output" }>];
  lost: [reason: string];
}

export class GuestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

interface Pending {
  frame: InvokeFrame;
  opts: InvokeOptions;
  resolve: (o: InvokeOutcome) => void;
  sentAt: number;
  timer: NodeJS.Timeout | null;
  /** When the host's timeout fires (performance.now()), and what it does then; see setPaused. */
  deadline?: number;
  onTimeout?: () => void;
  /** Time left on the timeout while a debugger holds the sandbox paused (the timer is off meanwhile). */
  leftMs?: number;
  /** The response streamed so far: set by its first chunk, so a call that streams nothing never has one. */
  stream?: StreamState;
  /** Chunks `onChunk` has not finished taking: the port is paused while there are any. */
  holds?: number;
}

interface StreamState {
  contentType: string;
  bytes: number;
  /** Kept for a caller without `onChunk`, who gets them joined; null once they passed Invoke's limit. */
  parts: Buffer[] | null;
}

/** A byte stream to a sandbox's inspector, through the agent. */
export interface InspectorTunnel {
  write(data: Buffer): void;
  close(): void;
}

interface SlotState {
  socket: FrameSocket;
  spec: SandboxSpec | null;
  state: "empty" | "up" | "restarting" | "failed";
  /** The runtime serving the slot, as the guest last reported it (loaded or up again). */
  pid: number | null;
  running: Pending | null;
  queue: Pending[];
  upWaiters: (() => void)[];
  /** A debugger holds the runtime paused: invocations' timeouts do not run meanwhile. */
  paused?: boolean;
}

/** What a sandbox's invocation fails with when its port carried something no runtime sends. */
function invalidFrameError(): LambdaError {
  return {
    errorType: "Runtime.InvalidResponse",
    errorMessage: "The runtime sent a frame the host does not accept; the sandbox was restarted.",
    trace: [],
  };
}

/** Lambda's wording for what went wrong, so callers and AWS tools read familiar messages. */
function faultError(fault: Fault, requestId: string, spec: SandboxSpec | null, detail: string): LambdaError {
  const timeout = ((spec?.timeoutMs ?? 0) / 1000).toFixed(2);
  switch (fault) {
    case "timeout":
      return {
        errorType: "Sandbox.Timedout",
        errorMessage: `RequestId: ${requestId} Error: Task timed out after ${timeout} seconds`,
        trace: [],
      };
    case "oom":
      return {
        errorType: "Runtime.OutOfMemory",
        errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed (memory limit of ${spec?.memoryMb ?? "?"} MB exceeded)`,
        trace: detail ? detail.split("\n") : [],
      };
    case "vm":
      return {
        errorType: "Hearth.VmLost",
        errorMessage: `RequestId: ${requestId} Error: the VM running this invocation stopped: ${detail}`,
        trace: [],
      };
    default:
      return {
        errorType: "Runtime.ExitError",
        errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${detail}`,
        trace: [],
      };
  }
}

export class GuestSession extends EventEmitter<SandboxSessionEvents> {
  private control: FrameSocket | null = null;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (r: ControlReply) => void; reject: (e: Error) => void }
  >();
  private readonly slots = new Map<number, SlotState>();
  ready: ReadyFrame | null = null;
  lost: string | null = null;
  /** When a frame last came from the guest, on any port (performance.now()): a busy guest is still alive. */
  heardAt = performance.now();

  constructor(private readonly sockets: Map<string, string>) {
    super();
  }

  /** Connects to the agent and waits for its ready frame (the agent may still be booting). */
  async connect(timeoutMs = 60_000): Promise<ReadyFrame> {
    const path = this.sockets.get(CONTROL_PORT);
    if (!path) throw new GuestError("NO_CONTROL_CHANNEL", `the VM has no ${CONTROL_PORT} channel`);
    // An agent's frames are small; one declaring more is dropped (and counted) without costing the host memory.
    const control = new FrameSocket(path, { maxFrameBytes: CONTROL_FRAME_LIMIT });
    await control.open(timeoutMs);
    this.control = control;
    control.on("frame", (f) => {
      this.heardAt = performance.now();
      this.onControlFrame(f);
    });
    control.on("close", () => this.markLost("the agent channel closed"));
    return new Promise<ReadyFrame>((resolve, reject) => {
      const deadline = setTimeout(() => {
        clearInterval(hello);
        reject(new GuestError("AGENT_TIMEOUT", `the agent did not report ready within ${timeoutMs} ms`));
      }, timeoutMs);
      const hello = setInterval(() => {
        if (!control.closed) control.send({ t: "hello", id: 0 });
      }, 500);
      this.once("ready", (r) => {
        clearTimeout(deadline);
        clearInterval(hello);
        resolve(r);
      });
      // QEMU exiting (a kernel panic ends in a reboot, which destroys the domain) closes the channel: fail now.
      control.once("close", () => {
        clearTimeout(deadline);
        clearInterval(hello);
        if (!this.ready) reject(new GuestError("VM_LOST", "the VM stopped before its agent was ready"));
      });
      control.send({ t: "hello", id: 0 });
    });
  }

  /** Frames from the agent that were not ones it sends, dropped unread. */
  invalidControlFrames = 0;

  private onControlFrame(value: unknown): void {
    const f = parseControlFrame(value);
    if (!f) {
      this.invalidControlFrames++;
      return;
    }
    const t = f.t;
    if (f.t === "ready") {
      const first = this.ready === null;
      const next = f;
      // An agent that started again on its own (init respawned it after it died) knows none of the runtimes its
      // predecessor left running, and one of them could answer for the next task loaded into its slot: the VM
      // cannot be trusted any more and is retired.
      if (
        !first &&
        typeof next.agentStarts === "number" &&
        next.agentStarts > (this.ready!.agentStarts ?? 0)
      ) {
        this.markLost(
          `the agent restarted unasked (start ${next.agentStarts} after ${this.ready!.agentStarts})`,
        );
        return;
      }
      this.ready = next;
      if (first) this.emit("ready", this.ready);
      return;
    }
    if ("id" in f && typeof f.id === "number" && f.id > 0) {
      const w = this.waiting.get(f.id);
      if (w) {
        this.waiting.delete(f.id);
        if (f.t === "error") w.reject(new GuestError(f.code, f.message));
        else w.resolve(f as ControlReply);
      }
      return;
    }
    switch (t) {
      case "sandbox-exit":
        this.onSandboxExit(f as Extract<ControlEvent, { t: "sandbox-exit" }>);
        break;
      case "sandbox-up": {
        const e = f as Extract<ControlEvent, { t: "sandbox-up" }>;
        const s = this.slots.get(e.slot);
        if (s) {
          s.state = "up";
          s.pid = e.pid;
          for (const w of s.upWaiters.splice(0)) w();
          this.pump(e.slot);
        }
        this.emit("sandbox-up", e);
        break;
      }
      case "sandbox-failed": {
        const e = f as Extract<ControlEvent, { t: "sandbox-failed" }>;
        const s = this.slots.get(e.slot);
        if (s) {
          s.state = "failed";
          for (const w of s.upWaiters.splice(0)) w();
          for (const p of s.queue.splice(0))
            this.finish(p, { ok: false, error: e.error, fault: "exit" }, e.slot);
        }
        this.emit("sandbox-failed", e);
        break;
      }
      case "sandbox-output":
        this.emit("sandbox-output", f as Extract<ControlEvent, { t: "sandbox-output" }>);
        break;
      case "tunnel-data":
      case "tunnel-closed":
        this.onTunnelEvent(f as Extract<ControlEvent, { t: "tunnel-data" | "tunnel-closed" }>);
        break;
    }
  }

  /** Sends a control request and waits for its answer. */
  request<R extends ControlReply>(req: Request, timeoutMs = 30_000): Promise<R> {
    if (this.lost) return Promise.reject(new GuestError("VM_LOST", this.lost));
    const control = this.control;
    if (!control) return Promise.reject(new GuestError("NOT_CONNECTED", "connect() first"));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new GuestError("AGENT_TIMEOUT", `no answer to ${req.t} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r as R);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      control.send({ ...req, id } as ControlRequest);
    });
  }

  async ping(): Promise<{ rttUs: number; uptimeMs: number }> {
    const t0 = process.hrtime.bigint();
    const r = await this.request<Extract<ControlReply, { t: "pong" }>>({ t: "ping" });
    return { rttUs: Number(process.hrtime.bigint() - t0) / 1000, uptimeMs: r.uptimeMs };
  }

  /**
   * Sets the guest clock from ours and feeds it fresh randomness (after a restore, before any sandbox runs). Sent
   * again, with the time of sending, when no answer comes within `attemptMs`: a frame can be lost while a restored
   * guest's port settles, and setting the clock and adding randomness twice does no harm.
   */
  async sync(timeoutMs = 30_000, attemptMs = 5_000): Promise<Extract<ControlReply, { t: "synced" }>> {
    const deadline = performance.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const left = deadline - performance.now();
      try {
        return await this.request(
          { t: "sync", epochMs: Date.now(), entropy: randomBytes(64).toString("base64") },
          Math.max(1, Math.min(attemptMs, left)),
        );
      } catch (err) {
        if (!(err instanceof GuestError) || err.code !== "AGENT_TIMEOUT") throw err;
        if (performance.now() >= deadline - 1) {
          throw new GuestError(
            "AGENT_TIMEOUT",
            `no answer to sync within ${timeoutMs} ms (${attempt} ${attempt === 1 ? "try" : "tries"})`,
          );
        }
      }
    }
  }

  stats(): Promise<Extract<ControlReply, { t: "stats" }>> {
    return this.request({ t: "stats" });
  }

  /** Loads code into a slot and waits until its handler is imported; the slot's channel is opened on first use. */
  async load(
    slot: number,
    spec: SandboxSpec,
    code: Buffer,
    sha256: string,
    timeoutMs = 60_000,
  ): Promise<Extract<ControlReply, { t: "loaded" }>> {
    const s = await this.slot(slot);
    s.state = "restarting";
    s.spec = spec;
    s.socket.resetDecoder();
    try {
      const r = await this.request<Extract<ControlReply, { t: "loaded" }>>(
        { t: "load", slot, spec, code: code.toString("base64"), sha256 },
        timeoutMs,
      );
      s.state = "up";
      s.pid = r.pid;
      this.pump(slot);
      return r;
    } catch (err) {
      s.state = "failed";
      throw err;
    }
  }

  async unload(slot: number): Promise<void> {
    const s = this.slots.get(slot);
    if (s) {
      s.state = "empty";
      s.spec = null;
    }
    await this.request({ t: "unload", slot });
  }

  private async slot(slot: number): Promise<SlotState> {
    const existing = this.slots.get(slot);
    if (existing) return existing;
    const path = this.sockets.get(sandboxPortName(slot));
    if (!path) throw new GuestError("NO_SUCH_SLOT", `the VM has no channel for sandbox slot ${slot}`);
    // A runtime's frames are bounded by what it may answer (MAX_RESULT_BYTES); task code writing raw frames to
    // its port can declare anything, and a frame over the limit resets the sandbox before the host holds it.
    const socket = new FrameSocket(path, {
      maxFrameBytes: SANDBOX_FRAME_LIMIT,
      onOversize: (bytes) => this.resetSandbox(slot, responseTooLargeError(bytes)),
    });
    await socket.open();
    const state: SlotState = {
      socket,
      spec: null,
      state: "empty",
      pid: null,
      running: null,
      queue: [],
      upWaiters: [],
    };
    socket.on("frame", (value) => {
      this.heardAt = performance.now();
      const f = parseSandboxFrame(value);
      if (f) this.onSandboxFrame(slot, f);
      else this.resetSandbox(slot, invalidFrameError());
    });
    this.slots.set(slot, state);
    return state;
  }

  /** Invokes the handler loaded in `slot`; one invocation runs per sandbox at a time, the rest wait in order. */
  invoke(slot: number, payload: string, opts: InvokeOptions = {}): Promise<InvokeOutcome> {
    const requestId = opts.requestId ?? randomUUID();
    const s = this.slots.get(slot);
    if (this.lost) return Promise.reject(new GuestError("VM_LOST", this.lost));
    if (!s?.spec)
      return Promise.reject(new GuestError("SANDBOX_EMPTY", `sandbox slot ${slot} holds no task`));
    if (s.state === "failed") {
      // Nothing will bring a failed slot up again but a new load: waiting for it would never end.
      return Promise.reject(
        new GuestError("SANDBOX_DOWN", `sandbox slot ${slot} failed and was not restarted`),
      );
    }
    return new Promise((resolve) => {
      const frame: InvokeFrame = {
        t: "invoke",
        id: randomUUID(),
        requestId,
        payload,
        timeoutMs: s.spec!.timeoutMs,
      };
      if (opts.clientContext !== undefined) frame.clientContext = opts.clientContext;
      s.queue.push({ frame, opts, resolve, sentAt: 0, timer: null });
      this.pump(slot);
    });
  }

  private pump(slot: number): void {
    const s = this.slots.get(slot);
    if (!s || s.running || s.state !== "up" || s.queue.length === 0) return;
    const p = s.queue.shift()!;
    s.running = p;
    p.sentAt = performance.now();
    const timeoutMs = p.opts.hostTimeoutMs ?? s.spec?.timeoutMs ?? 3000;
    p.onTimeout = () => {
      // The sandbox cannot be trusted to stop itself (think `for (;;) {}`): the agent kills it and starts it again.
      s.state = "restarting";
      const pid = s.pid ?? undefined;
      this.request({ t: "kill", slot, reason: "timeout", ...(pid ? { pid } : {}) }).catch(() => {});
      this.finish(p, { ok: false, fault: "timeout" }, slot);
    };
    if (s.paused) p.leftMs = timeoutMs;
    else {
      p.deadline = performance.now() + timeoutMs;
      p.timer = setTimeout(p.onTimeout, timeoutMs);
    }
    try {
      s.socket.send(p.frame);
    } catch (err) {
      this.finish(p, { ok: false, fault: "vm", detail: (err as Error).message }, slot);
    }
  }

  private onSandboxFrame(slot: number, f: SandboxFrame): void {
    const s = this.slots.get(slot);
    const p = s?.running;
    if (!s || !p || f.id !== p.frame.id) return;
    if (f.t === "log") {
      p.opts.onLog?.({ stream: f.stream, line: f.line });
      return;
    }
    if (f.t === "chunk") {
      this.onChunk(slot, s, p, f.data, f.contentType);
      return;
    }
    if (f.t === "result") {
      const base = { durationMs: f.durationMs, maxRssKb: f.maxRssKb };
      if (f.ok && (p.stream || f.streamed)) {
        p.stream ??= { contentType: f.contentType ?? DEFAULT_STREAM_CONTENT_TYPE, bytes: 0, parts: [] };
        this.finishStream(slot, p, p.stream, base);
        return;
      }
      // The runtimes refuse such a result themselves; one that arrives anyway came from task code on the port.
      const bytes = f.ok ? Buffer.byteLength(f.payload, "utf8") : 0;
      if (bytes > MAX_RESULT_BYTES) this.resetSandbox(slot, responseTooLargeError(bytes));
      else if (f.ok) this.finish(p, { ok: true, payload: f.payload, ...base }, slot);
      else {
        // A runtime on its way out gets no next call: that one waits for the runtime started in its place. It is
        // ended now rather than trusted to end itself.
        if (f.ending && s.state === "up") {
          s.state = "restarting";
          const pid = s.pid ?? undefined;
          this.request({ t: "kill", slot, reason: "host", ...(pid ? { pid } : {}) }).catch(() => {});
        }
        this.finish(p, { ok: false, error: f.error, fault: "handler", ...base }, slot);
      }
    }
  }

  /**
   * A piece of a streamed response: passed on to a caller that takes chunks, else kept to be joined. The runtime
   * stops at MAX_STREAMED_RESPONSE_BYTES itself, so more than that came from task code writing to its port.
   */
  private onChunk(slot: number, s: SlotState, p: Pending, base64: string, contentType?: string): void {
    const data = Buffer.from(base64, "base64");
    const onChunk = p.opts.onChunk;
    const st = (p.stream ??= {
      contentType: contentType ?? DEFAULT_STREAM_CONTENT_TYPE,
      bytes: 0,
      parts: onChunk ? null : [],
    });
    st.bytes += data.length;
    if (st.bytes > MAX_STREAMED_RESPONSE_BYTES) {
      this.resetSandbox(slot, streamTooLargeError());
      return;
    }
    if (!onChunk) {
      // Lambda's Invoke of a streaming function buffers the response, within Invoke's own limit.
      if (st.bytes > MAX_RESULT_BYTES) st.parts = null;
      else st.parts?.push(data);
      return;
    }
    const taking = onChunk({
      data,
      contentType: st.contentType,
      functionVersion: s.spec?.functionVersion ?? "$LATEST",
    });
    if (!taking || typeof taking.then !== "function") return;
    if (!p.holds) s.socket.pause();
    p.holds = (p.holds ?? 0) + 1;
    const taken = (): void => {
      // finish() let go of every hold already: this one belongs to a call that is over.
      if (!p.holds) return;
      if (--p.holds === 0) s.socket.resume();
    };
    taking.then(taken, taken);
  }

  /** The end of a streamed response: nothing more for a caller that took the chunks, else the chunks joined. */
  private finishStream(
    slot: number,
    p: Pending,
    st: StreamState,
    base: { durationMs: number; maxRssKb: number },
  ): void {
    if (p.opts.onChunk) {
      this.finish(p, { ok: true, payload: "", ...base }, slot);
      return;
    }
    if (!st.parts) {
      this.finish(p, { ok: false, error: responseTooLargeError(st.bytes), fault: "handler", ...base }, slot);
      return;
    }
    const body = Buffer.concat(st.parts, st.bytes);
    this.finish(p, { ok: true, payload: body.toString("utf8"), body, ...base }, slot);
  }

  /**
   * A sandbox broke its port's contract (a frame too large, or not one a runtime sends): what it was running
   * fails with `error`, and its runtime is killed and started again, so the rest of the stream is never read as
   * frames. Other sandboxes and the VM carry on.
   */
  private resetSandbox(slot: number, error: LambdaError): void {
    const s = this.slots.get(slot);
    if (!s) return;
    s.socket.resetDecoder();
    if (s.state !== "up" && !s.running) return;
    if (s.state === "up") {
      s.state = "restarting";
      const pid = s.pid ?? undefined;
      this.request({ t: "kill", slot, reason: "host", ...(pid ? { pid } : {}) }).catch(() => {});
    }
    if (s.running) this.finish(s.running, { ok: false, error, fault: "handler" }, slot);
  }

  private onSandboxExit(e: Extract<ControlEvent, { t: "sandbox-exit" }>): void {
    const s = this.slots.get(e.slot);
    if (s) {
      s.socket.resetDecoder();
      s.state = e.restarting ? "restarting" : "failed";
      s.pid = null;
      const p = s.running;
      if (p && e.reason === "timeout") {
        // The guest's own watchdog got there first (the host's timer was longer, or the host was busy).
        this.finish(p, { ok: false, fault: "timeout" }, e.slot);
      } else if (p) {
        const detail = e.signal ? `signal: ${e.signal}` : `exit status ${e.exitCode}`;
        const fault: Fault =
          e.reason === "oom"
            ? "oom"
            : e.reason === "signal"
              ? "signal"
              : e.reason === "killed"
                ? "killed"
                : "exit";
        this.finish(
          p,
          {
            ok: false,
            fault,
            detail: e.reason === "oom" ? e.detail : `${detail}${e.detail ? `\n${e.detail}` : ""}`,
          },
          e.slot,
        );
      }
      if (!e.restarting)
        for (const q of s.queue.splice(0))
          this.finish(q, { ok: false, fault: "exit", detail: "the sandbox could not be restarted" }, e.slot);
    }
    this.emit("sandbox-exit", e);
  }

  private finish(
    p: Pending,
    r: {
      ok: boolean;
      payload?: string;
      error?: LambdaError;
      fault?: Fault;
      detail?: string;
      durationMs?: number;
      maxRssKb?: number;
      body?: Buffer;
    },
    slot: number,
  ): void {
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    const s = this.slots.get(slot);
    if (p.holds) {
      // The call is over: a reader still taking its chunks no longer holds the port the next call answers on.
      p.holds = 0;
      s?.socket.resume();
    }
    if (s?.running === p) s.running = null;
    else if (s) s.queue = s.queue.filter((q) => q !== p);
    const roundTripMs = p.sentAt ? performance.now() - p.sentAt : 0;
    const error =
      r.error ??
      (r.fault && r.fault !== "handler"
        ? faultError(r.fault, p.frame.requestId, s?.spec ?? null, r.detail ?? "")
        : undefined);
    const outcome: InvokeOutcome = {
      requestId: p.frame.requestId,
      ok: r.ok,
      ...(r.payload !== undefined ? { payload: r.payload } : {}),
      ...(error ? { error } : {}),
      ...(r.fault ? { fault: r.fault } : {}),
      durationMs: r.durationMs ?? roundTripMs,
      roundTripMs,
      maxRssKb: r.maxRssKb ?? 0,
      ...(!r.ok && !p.sentAt ? { undelivered: true } : {}),
    };
    const st = p.stream;
    if (st) {
      outcome.streamed = { contentType: st.contentType, bytes: st.bytes };
      if (r.body) outcome.body = r.body;
    }
    p.resolve(outcome);
    // Resolve first, then look for more work, so a caller sees results in order.
    queueMicrotask(() => this.pump(slot));
  }

  /**
   * A debugger paused (or resumed) the runtime in `slot`: the running invocation's timeout stops while paused and
   * goes on with the time it had left, so a breakpoint never times a call out. Only sandboxes loaded with
   * `inspect` are ever paused, by whoever holds their inspector.
   */
  setPaused(slot: number, paused: boolean): void {
    const s = this.slots.get(slot);
    if (!s || !s.spec?.inspect || s.paused === paused) return;
    s.paused = paused;
    const p = s.running;
    if (!p?.onTimeout) return;
    if (paused && p.timer) {
      clearTimeout(p.timer);
      p.timer = null;
      p.leftMs = Math.max(0, (p.deadline ?? 0) - performance.now());
    } else if (!paused && !p.timer && p.leftMs !== undefined) {
      p.deadline = performance.now() + p.leftMs;
      p.timer = setTimeout(p.onTimeout, p.leftMs);
      p.leftMs = undefined;
    }
  }

  private nextTunnel = 1;
  private readonly tunnels = new Map<number, { onData: (b: Buffer) => void; onClose: () => void }>();

  /** Opens a byte stream to the inspector of the runtime in `slot` (one loaded with `inspect`). */
  async openTunnel(
    slot: number,
    onData: (data: Buffer) => void,
    onClose: () => void,
  ): Promise<InspectorTunnel> {
    const tunnel = this.nextTunnel++;
    this.tunnels.set(tunnel, { onData, onClose });
    try {
      await this.request({ t: "tunnel-open", slot, tunnel });
    } catch (err) {
      this.tunnels.delete(tunnel);
      throw err;
    }
    return {
      write: (data) => {
        for (let at = 0; at < data.length; at += TUNNEL_CHUNK_BYTES) {
          const chunk = data.subarray(at, at + TUNNEL_CHUNK_BYTES).toString("base64");
          if (this.tunnels.has(tunnel)) this.control?.send({ t: "tunnel-data", tunnel, data: chunk });
        }
      },
      close: () => {
        if (this.tunnels.delete(tunnel)) this.control?.send({ t: "tunnel-close", tunnel });
      },
    };
  }

  private onTunnelEvent(e: Extract<ControlEvent, { t: "tunnel-data" | "tunnel-closed" }>): void {
    const t = this.tunnels.get(e.tunnel);
    if (!t) return;
    if (e.t === "tunnel-data") t.onData(Buffer.from(e.data, "base64"));
    else {
      this.tunnels.delete(e.tunnel);
      t.onClose();
    }
  }

  /** Waits until a slot's sandbox is serving again (after a crash or timeout restart). */
  whenUp(slot: number, timeoutMs = 30_000): Promise<void> {
    const s = this.slots.get(slot);
    if (!s || s.state === "up") return Promise.resolve();
    if (s.state === "failed" || s.state === "empty")
      return Promise.reject(new GuestError("SANDBOX_DOWN", `slot ${slot} is ${s.state}`));
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(new GuestError("SANDBOX_TIMEOUT", `slot ${slot} did not come back within ${timeoutMs} ms`)),
        timeoutMs,
      );
      s.upWaiters.push(() => {
        clearTimeout(t);
        if (s.state === "up") resolve();
        else reject(new GuestError("SANDBOX_DOWN", `slot ${slot} is ${s.state}`));
      });
    });
  }

  private markLost(reason: string): void {
    if (this.lost) return;
    this.lost = reason;
    for (const w of this.waiting.values()) w.reject(new GuestError("VM_LOST", reason));
    this.waiting.clear();
    for (const [slot, s] of this.slots) {
      if (s.running) this.finish(s.running, { ok: false, fault: "vm", detail: reason }, slot);
      for (const q of s.queue.splice(0)) this.finish(q, { ok: false, fault: "vm", detail: reason }, slot);
      s.socket.close();
    }
    for (const t of this.tunnels.values()) t.onClose();
    this.tunnels.clear();
    this.emit("lost", reason);
  }

  close(): void {
    this.markLost("the session was closed");
    this.control?.close();
  }
}
