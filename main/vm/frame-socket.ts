// The host end of one guest channel: a unix socket carrying protocol frames in both directions.
import { EventEmitter } from "node:events";
import { connect, type Socket } from "node:net";
import { encodeFrame, FrameDecoder, type FrameDecoderOptions, type HostFrame } from "./protocol.ts";

export interface FrameSocketEvents {
  frame: [frame: unknown];
  close: [];
}

/** Connects, retrying while QEMU has not created the socket yet (ENOENT) or not started listening (ECONNREFUSED). */
export class FrameSocket extends EventEmitter<FrameSocketEvents> {
  private socket: Socket | null = null;
  private readonly decoder: FrameDecoder;
  closed = false;

  /** `limits` are the channel's: what the guest end may send on it (see protocol.ts). */
  constructor(
    readonly path: string,
    limits: FrameDecoderOptions = {},
  ) {
    super();
    this.decoder = new FrameDecoder(limits);
  }

  async open(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        this.socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(this.path);
          s.once("connect", () => {
            s.removeListener("error", reject);
            resolve(s);
          });
          s.once("error", reject);
        });
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code !== "ENOENT" && code !== "ECONNREFUSED") || Date.now() > deadline) {
          throw new Error(`CHANNEL_UNREACHABLE: cannot connect to ${this.path}: ${(err as Error).message}`, {
            cause: err,
          });
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const s = this.socket;
    s.setNoDelay?.(true);
    s.on("data", (chunk: Buffer) => {
      for (const f of this.decoder.push(chunk)) this.emit("frame", f);
    });
    s.on("error", () => {});
    s.on("close", () => {
      this.closed = true;
      this.emit("close");
    });
  }

  send(frame: HostFrame): void {
    if (!this.socket || this.closed) throw new Error(`CHANNEL_CLOSED: ${this.path} is closed`);
    this.socket.write(encodeFrame(frame));
  }

  /** Stops reading (the reader of what the guest sends is behind); frames already received are still emitted. */
  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }

  /** Forgets a half-received frame: the process on the guest end was replaced. */
  resetDecoder(): void {
    this.decoder.reset();
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }
}
