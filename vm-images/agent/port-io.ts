// Frames over one virtio-serial port inside the guest, surviving the host disconnecting and coming back.
import { constants, openSync, readdirSync, readFileSync } from "node:fs";
import { Socket } from "node:net";
import { encodeFrame, FrameDecoder, type AnyFrame } from "../../main/vm/protocol.ts";

/** Maps port names (org.hearth.agent.0, org.hearth.sandbox.N) to their /dev/vportXpY device. */
export function discoverPorts(): Map<string, string> {
  const ports = new Map<string, string>();
  let entries: string[];
  try {
    entries = readdirSync("/sys/class/virtio-ports");
  } catch {
    return ports;
  }
  for (const dev of entries) {
    try {
      const name = readFileSync(`/sys/class/virtio-ports/${dev}/name`, "utf8").trim();
      if (name) ports.set(name, `/dev/${dev}`);
    } catch {
      // a port without a name is not one of ours
    }
  }
  return ports;
}

type PipeHandle = object;
interface PipeWrap {
  Pipe: new (type: number) => PipeHandle & { open(fd: number): number };
  constants: { SOCKET: number };
}
// libuv can poll any fd that supports epoll, and a virtio port does; Node only exposes that through pipe_wrap.
// Blocking reads on the thread pool would work too, but a read that never returns makes process.exit() hang
// while libuv joins its threads, and a handler calling process.exit() must end its sandbox at once.
const pipeWrap = (process as unknown as { binding(name: string): PipeWrap }).binding("pipe_wrap");

/**
 * Frames over a port opened as a non-blocking socket. While no host is connected the port reads as EOF at once;
 * that is not the end of anything: reopen a little later, or a host reconnect would find nobody listening.
 */
export class PortIO {
  private readonly decoder = new FrameDecoder();
  private socket: Socket | null = null;
  private closed = false;
  connected = false;

  constructor(
    readonly path: string,
    private readonly onFrame: (frame: unknown) => void,
    private readonly onConnect: () => void = () => {},
    private readonly onDisconnect: () => void = () => {},
  ) {}

  start(): void {
    this.open();
  }

  private open(): void {
    if (this.closed) return;
    let fd: number;
    try {
      fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK);
    } catch {
      // EBUSY while the previous descriptor is still being closed
      setTimeout(() => this.open(), 20);
      return;
    }
    const handle = new pipeWrap.Pipe(pipeWrap.constants.SOCKET);
    const err = handle.open(fd);
    if (err) throw new Error(`cannot poll ${this.path}: libuv error ${err}`);
    const socket = new Socket({ handle, readable: true, writable: true } as ConstructorParameters<
      typeof Socket
    >[0]);
    this.socket = socket;
    let gotData = false;
    socket.on("data", (chunk: Buffer) => {
      if (!gotData) {
        gotData = true;
        if (!this.connected) {
          this.connected = true;
          this.onConnect();
        }
      }
      for (const f of this.decoder.push(chunk)) this.onFrame(f);
    });
    const reopen = (): void => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.connected) this.onDisconnect();
      this.connected = false;
      this.decoder.reset();
      socket.destroy();
      setTimeout(() => this.open(), gotData ? 5 : 20);
    };
    socket.on("end", reopen);
    socket.on("error", reopen);
    socket.on("close", reopen);
  }

  /** Queues a whole frame; a frame for a host that is not there is dropped. */
  send(frame: AnyFrame): boolean {
    const socket = this.socket;
    if (!socket || socket.destroyed) return false;
    socket.write(encodeFrame(frame));
    return true;
  }

  /** Bytes sent but not yet taken by the host: a sender that must not outrun it waits for `flushed` past a bound. */
  get backlog(): number {
    return this.socket?.writableLength ?? 0;
  }

  /** Resolves once everything sent so far has left for the host (at once when no host is there). */
  flushed(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed || socket.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => socket.write("", () => resolve()));
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }
}
