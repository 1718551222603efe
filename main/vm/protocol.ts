// The one definition of every frame between the host and a guest: the agent's control port and each sandbox's port.
//
// Shared verbatim by the host (main/vm) and the guest (vm-images/agent, bundled), so it imports nothing.

/** Names of the virtio-serial ports a Hearth VM carries; the guest finds them under /sys/class/virtio-ports. */
export const CONTROL_PORT = "org.hearth.agent.0";
export const sandboxPortName = (slot: number): string => `org.hearth.sandbox.${slot}`;
export const PROTOCOL_VERSION = 1;

/**
 * The uids a slot's sandboxes run as: each load of the slot takes the next one of its range, so no two loads in a
 * VM's life share a uid, and no two slots ever do. After this many loads of one slot the range wraps; every
 * process of the whole range is killed and the slot's files are gone before any load, so a uid taken again
 * meets nothing of its earlier holder. Here because tests on the host check whose a uid is.
 */
export const UIDS_PER_SLOT = 100_000;
export const slotUidRange = (slot: number): { first: number; last: number } => ({
  first: 1_000_000 + slot * UIDS_PER_SLOT,
  last: 1_000_000 + (slot + 1) * UIDS_PER_SLOT - 1,
});

/** Largest frame either side accepts: a 50 MiB zip in base64 fits with room to spare. Only load frames need it. */
export const MAX_FRAME_BYTES = 96 * 1024 * 1024;

/** Lambda's limit on a synchronous invocation's response payload (6 MB), checked by runtimes and the host alike. */
export const MAX_RESULT_BYTES = 6 * 1024 * 1024;

/**
 * Largest frame the host takes from a sandbox's port: a result of MAX_RESULT_BYTES, even one whose every byte
 * JSON escapes as `\u00XX` inside the frame, plus its envelope. Logs and results share the port, so one limit.
 */
export const SANDBOX_FRAME_LIMIT = 6 * MAX_RESULT_BYTES + 1024 * 1024;

/** Largest frame the host takes from an agent: its replies and events are small; only the host sends code. */
export const CONTROL_FRAME_LIMIT = 1024 * 1024;

/** Longest log line the host keeps; the runtimes split lines at 16 KiB, task code writing raw frames may not. */
export const MAX_LOG_LINE_CHARS = 256 * 1024;

/**
 * Lambda's limit on a streamed response (a handler wrapped in awslambda.streamifyResponse): 20 MiB by default. The
 * runtime stops sending past it and fails the invocation; the host refuses a sandbox that sends more anyway.
 */
export const MAX_STREAMED_RESPONSE_BYTES = 20 * 1024 * 1024;

/**
 * Largest piece of a streamed response one chunk frame carries (base64 makes it a third bigger): small enough that
 * a chunk reaches the caller as the handler writes it, far under the sandbox frame limit.
 */
export const STREAM_CHUNK_BYTES = 64 * 1024;

/** What a streamed response is when its handler names no content type (as in Lambda). */
export const DEFAULT_STREAM_CONTENT_TYPE = "application/octet-stream";

/**
 * The content type of a streamed response that starts with an HTTP prelude (awslambda.HttpResponseStream): JSON
 * ({ statusCode, headers, cookies }), then PRELUDE_DELIMITER_BYTES NUL bytes, then the body. Function URLs split it.
 */
export const HTTP_INTEGRATION_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response";
export const PRELUDE_DELIMITER_BYTES = 8;

/** Longest content type a streamed response may name. */
export const MAX_CONTENT_TYPE_CHARS = 256;

/** Lambda's answer to a streamed response over MAX_STREAMED_RESPONSE_BYTES. */
export function streamTooLargeError(): LambdaError {
  return {
    errorType: "Function.ResponseSizeTooLarge",
    errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_STREAMED_RESPONSE_BYTES} bytes, 20 MiB) for a streamed response.`,
    trace: [],
  };
}

/** Lambda's answer to a response over MAX_RESULT_BYTES, so callers and AWS tools read a familiar error. */
export function responseTooLargeError(bytes: number | null): LambdaError {
  const size = bytes === null ? "" : ` (${bytes} bytes)`;
  return {
    errorType: "Function.ResponseSizeTooLarge",
    errorMessage: `Response payload size${size} exceeded maximum allowed payload size (${MAX_RESULT_BYTES} bytes, 6 MB).`,
    trace: [],
  };
}

/** A runtime identifier, as a task names it: main/domain/tasks/runtime-ids.ts (types only, erased when bundled). */
export type { Runtime } from "../domain/tasks/runtime-ids.ts";
import type { Runtime } from "../domain/tasks/runtime-ids.ts";

/** Everything a sandbox needs to start: code arrives separately, checked against `sha256`. */
export interface SandboxSpec {
  runtime: Runtime;
  handler: string;
  functionName: string;
  functionVersion: string;
  memoryMb: number;
  timeoutMs: number;
  env: Record<string, string>;
  /**
   * Names in `env` set by someone other than the task's owner (a cross-profile alias's overrides and secrets).
   * The agent drops any of them that steers a runtime (main/domain/tasks/interpreter-variables.ts) and hands the rest
   * to the runtime only after it has started, so none of them reaches a runtime's start.
   */
  callerEnv?: string[];
  /**
   * Start the runtime with Node.js's inspector on the sandbox's own loopback (INSPECTOR_PORT), reached from the host
   * only through a tunnel of the agent's (tunnel-open). Never set for a call whose environment is not the owner's.
   */
  inspect?: boolean;
}

/** Where a sandbox's inspector listens, inside the sandbox's own network namespace. */
export const INSPECTOR_PORT = 9229;

/** Largest chunk of tunnel bytes one frame carries (base64 makes it a third bigger). */
export const TUNNEL_CHUNK_BYTES = 64 * 1024;

export interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export type ExitReason = "exit" | "signal" | "oom" | "timeout" | "killed";

// ---- control port: host → agent ----
export type ControlRequest =
  | { t: "hello"; id: number }
  | { t: "ping"; id: number }
  | { t: "sync"; id: number; epochMs: number; entropy: string }
  | { t: "load"; id: number; slot: number; spec: SandboxSpec; code: string; sha256: string }
  | { t: "unload"; id: number; slot: number }
  | {
      t: "kill";
      id: number;
      slot: number;
      reason: "timeout" | "host";
      /** Kill only this runtime: one that already died (and is being started again) is left alone. */
      pid?: number;
    }
  | { t: "stats"; id: number }
  /** Connects tunnel `tunnel` to the inspector of the runtime in `slot` (a load with `inspect`). */
  | { t: "tunnel-open"; id: number; slot: number; tunnel: number };

/** Host → agent frames that get no answer: a tunnel's bytes (base64) and its end. */
export type TunnelFrame =
  { t: "tunnel-data"; tunnel: number; data: string } | { t: "tunnel-close"; tunnel: number };

export interface SandboxStats {
  slot: number;
  pid: number | null;
  state: "starting" | "up" | "restarting" | "failed";
  rssKb: number;
  functionName: string;
  functionVersion: string;
  restarts: number;
}

// ---- control port: agent → host ----
export type ControlReply =
  | { t: "pong"; id: number; uptimeMs: number }
  | { t: "synced"; id: number; skewMs: number }
  | {
      t: "loaded";
      id: number;
      slot: number;
      initMs: number;
      pid: number;
      /** The runtime was one started ahead of need (after the restore) and only had to load the task's code. */
      prewarmed?: boolean;
    }
  | { t: "unloaded"; id: number; slot: number }
  | { t: "killed"; id: number; slot: number }
  | {
      t: "stats";
      id: number;
      uptimeMs: number;
      memTotalKb: number;
      memAvailableKb: number;
      agentRssKb: number;
      sandboxes: SandboxStats[];
    }
  | { t: "tunnel-opened"; id: number; tunnel: number }
  | { t: "error"; id: number; code: string; message: string };

export type ControlEvent =
  | {
      t: "ready";
      /** Present when the frame answers a hello; the agent also sends it unasked when it starts. */
      id?: number;
      protocol: number;
      bootMs: number;
      agentMs: number;
      kernel: string;
      slots: number[];
      /** Memory the agent admits sandboxes into, by their limits: a load beyond it is refused. */
      sandboxMemoryMb: number;
      agentStarts: number;
    }
  | {
      t: "sandbox-exit";
      slot: number;
      reason: ExitReason;
      exitCode: number | null;
      signal: string | null;
      detail: string;
      restarting: boolean;
    }
  | { t: "sandbox-up"; slot: number; initMs: number; pid: number }
  | { t: "sandbox-failed"; slot: number; error: LambdaError }
  | { t: "sandbox-output"; slot: number; stream: "stdout" | "stderr"; line: string }
  | { t: "tunnel-data"; tunnel: number; data: string }
  | { t: "tunnel-closed"; tunnel: number };

// ---- a sandbox's own port: host ⇄ runtime ----
export interface InvokeFrame {
  t: "invoke";
  id: string;
  requestId: string;
  payload: string;
  timeoutMs: number;
  clientContext?: string;
}

export type SandboxFrame =
  | { t: "log"; id: string; stream: "stdout" | "stderr"; line: string }
  /**
   * A piece of a streamed response (at most STREAM_CHUNK_BYTES, base64), in the order the handler wrote it. The
   * first chunk of an invocation names the response's content type; later ones need not.
   */
  | { t: "chunk"; id: string; data: string; contentType?: string }
  | {
      t: "result";
      id: string;
      ok: true;
      /** The handler's return value as JSON; empty when it streamed its response (chunk frames carried it). */
      payload: string;
      durationMs: number;
      maxRssKb: number;
      /** The handler streamed its response; said even when it wrote nothing, with the content type it set. */
      streamed?: true;
      contentType?: string;
    }
  | {
      t: "result";
      id: string;
      ok: false;
      error: LambdaError;
      durationMs: number;
      maxRssKb: number;
      /** The runtime ends after this answer (its bootstrap exited, or an error nobody caught): send it nothing more. */
      ending?: true;
    };

export type HostFrame = ControlRequest | TunnelFrame | InvokeFrame;
export type GuestFrame = ControlReply | ControlEvent | SandboxFrame;
export type AnyFrame = HostFrame | GuestFrame;

// ---- wire format: 8-byte header (magic "HF", version, 0, u32 BE length) then UTF-8 JSON ----
const MAGIC0 = 0x48;
const MAGIC1 = 0x46;
const HEADER_BYTES = 8;

export function encodeFrame(frame: AnyFrame): Buffer {
  const body = Buffer.from(JSON.stringify(frame), "utf8");
  if (body.length > MAX_FRAME_BYTES) {
    throw new Error(`FRAME_TOO_LARGE: frame of ${body.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  }
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header[0] = MAGIC0;
  header[1] = MAGIC1;
  header[2] = PROTOCOL_VERSION;
  header[3] = 0;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

export interface FrameDecoderOptions {
  /** Largest body this channel accepts; a header declaring more resets the channel before any of it is kept. */
  maxFrameBytes?: number;
  /** Told the declared length of each frame refused for its size (the sender broke its channel's contract). */
  onOversize?: (declaredBytes: number) => void;
}

/**
 * Turns a byte stream back into frames. A stream can carry garbage (a process that died mid-write, a task
 * writing to the port itself), so a bad header skips ahead to the next magic instead of wedging the channel.
 *
 * Chunks are kept in a list with a running length and copied once, when a whole frame is there: joining them on
 * every chunk cost time quadratic in the frame's size (a 24 MB result took 17.8 s of the host's one thread).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private total = 0;
  private readonly maxFrameBytes: number;
  private readonly onOversize: (declaredBytes: number) => void;
  /** Bytes thrown away while looking for a valid header. */
  discarded = 0;

  constructor(opts: FrameDecoderOptions = {}) {
    this.maxFrameBytes = Math.min(opts.maxFrameBytes ?? MAX_FRAME_BYTES, MAX_FRAME_BYTES);
    this.onOversize = opts.onOversize ?? (() => {});
  }

  push(chunk: Buffer): unknown[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.total += chunk.length;
    }
    const frames: unknown[] = [];
    while (this.total >= HEADER_BYTES) {
      const head = this.head();
      if (head[0] !== MAGIC0 || head[1] !== MAGIC1 || head[2] !== PROTOCOL_VERSION) {
        this.skipToMagic();
        continue;
      }
      const len = head.readUInt32BE(4);
      if (len > this.maxFrameBytes) {
        // Nothing of the body is kept: what follows is scanned for the next magic like any other garbage.
        this.consume(HEADER_BYTES);
        this.discarded += HEADER_BYTES;
        this.onOversize(len);
        continue;
      }
      if (this.total < HEADER_BYTES + len) break;
      this.consume(HEADER_BYTES);
      const body = this.take(len);
      try {
        frames.push(JSON.parse(body.toString("utf8")));
      } catch {
        this.discarded += HEADER_BYTES + len;
      }
    }
    return frames;
  }

  /** Drops buffered bytes, e.g. when the process on the other end was replaced. */
  reset(): void {
    this.discarded += this.total;
    this.chunks = [];
    this.total = 0;
  }

  /** The first chunk, grown to hold at least a header (merging only the few chunks a header can straddle). */
  private head(): Buffer {
    while (this.chunks[0]!.length < HEADER_BYTES) {
      const [a, b] = this.chunks.splice(0, 2) as [Buffer, Buffer];
      this.chunks.unshift(Buffer.concat([a, b]));
    }
    return this.chunks[0]!;
  }

  private consume(n: number): void {
    this.total -= n;
    while (n > 0) {
      const first = this.chunks[0]!;
      if (first.length <= n) {
        this.chunks.shift();
        n -= first.length;
      } else {
        this.chunks[0] = first.subarray(n);
        n = 0;
      }
    }
  }

  /** The next `n` bytes as one buffer: a view when they sit in one chunk, else a single copy. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      this.consume(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const part = Math.min(c.length, n - at);
      c.copy(out, at, 0, part);
      at += part;
      if (part === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(part);
    }
    this.total -= n;
    return out;
  }

  private skipToMagic(): void {
    const first = this.chunks[0]!;
    const i = first.indexOf(MAGIC0, 1);
    const n = i < 0 ? first.length : i;
    this.discarded += n;
    this.consume(n);
  }
}

/** The frame's type tag, or null when the value is not a frame at all. */
export function frameType(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  const t = (value as { t?: unknown }).t;
  return typeof t === "string" ? t : null;
}
