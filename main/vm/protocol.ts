// The one definition of every frame between the host and a guest: the agent's control port and each sandbox's port.
//
// Shared verbatim by the host (main/vm) and the guest (vm-images/agent, bundled), so it imports nothing.

/** Names of the virtio-serial ports a Hearth VM carries; the guest finds them under /sys/class/virtio-ports. */
export const CONTROL_PORT = "org.hearth.agent.0";
export const sandboxPortName = (slot: number): string => `org.hearth.sandbox.${slot}`;
export const PROTOCOL_VERSION = 1;

/** Largest frame either side accepts: a 50 MiB zip in base64 fits with room to spare. */
export const MAX_FRAME_BYTES = 96 * 1024 * 1024;

export type Runtime = "nodejs" | "python3" | "provided";

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
   * The agent drops any of them that steers a runtime (main/domain/interpreter-variables.ts) and hands the rest
   * to the runtime only after it has started, so none of them reaches a runtime's start.
   */
  callerEnv?: string[];
}

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
  | { t: "stats"; id: number };

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
  | { t: "sandbox-output"; slot: number; stream: "stdout" | "stderr"; line: string };

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
  | {
      t: "result";
      id: string;
      ok: true;
      payload: string;
      durationMs: number;
      maxRssKb: number;
    }
  | {
      t: "result";
      id: string;
      ok: false;
      error: LambdaError;
      durationMs: number;
      maxRssKb: number;
    };

export type HostFrame = ControlRequest | InvokeFrame;
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

/**
 * Turns a byte stream back into frames. A stream can carry garbage (a process that died mid-write, a task
 * writing to the port itself), so a bad header skips ahead to the next magic instead of wedging the channel.
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes thrown away while looking for a valid header. */
  discarded = 0;

  push(chunk: Buffer): unknown[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: unknown[] = [];
    for (;;) {
      if (this.buf.length < HEADER_BYTES) break;
      if (this.buf[0] !== MAGIC0 || this.buf[1] !== MAGIC1 || this.buf[2] !== PROTOCOL_VERSION) {
        this.skipToMagic();
        continue;
      }
      const len = this.buf.readUInt32BE(4);
      if (len > MAX_FRAME_BYTES) {
        this.skipToMagic();
        continue;
      }
      if (this.buf.length < HEADER_BYTES + len) break;
      const body = this.buf.subarray(HEADER_BYTES, HEADER_BYTES + len);
      this.buf = this.buf.subarray(HEADER_BYTES + len);
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
    this.discarded += this.buf.length;
    this.buf = Buffer.alloc(0);
  }

  private skipToMagic(): void {
    let i = 1;
    while (
      i < this.buf.length &&
      !(this.buf[i] === MAGIC0 && (i + 1 >= this.buf.length || this.buf[i + 1] === MAGIC1))
    ) {
      i++;
    }
    this.discarded += i;
    this.buf = this.buf.subarray(i);
  }
}

/** The frame's type tag, or null when the value is not a frame at all. */
export function frameType(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  const t = (value as { t?: unknown }).t;
  return typeof t === "string" ? t : null;
}
