// Tunnels from the host to a sandbox's inspector: each is a connection to the inspector's port inside the
// sandbox's own network namespace, made by a process that enters that namespace as the sandbox's uid.
import { spawn, type ChildProcess } from "node:child_process";
import { INSPECTOR_PORT, TUNNEL_CHUNK_BYTES, type ControlEvent } from "../../main/vm/protocol.ts";
import { SlotError } from "./sandbox-slot.ts";

/** What a tunnel needs to know of the slot it reaches. */
export interface InspectTarget {
  pid: number;
  uid: number;
}

/** More open tunnels than any debugger makes (DevTools and VS Code each hold one or two). */
const MAX_TUNNELS = 32;

export class InspectorTunnels {
  private readonly open = new Map<number, ChildProcess>();

  constructor(private readonly emit: (e: ControlEvent) => void) {}

  /**
   * Connects `tunnel` to the inspector of the runtime `target`. The connection is made from inside the runtime's
   * network namespace, and by its uid, so the tunnel reaches nothing the sandbox itself could not.
   */
  connect(tunnel: number, target: InspectTarget): void {
    if (this.open.has(tunnel)) throw new SlotError("TUNNEL_EXISTS", `tunnel ${tunnel} is already open`);
    if (this.open.size >= MAX_TUNNELS)
      throw new SlotError("TOO_MANY_TUNNELS", `${MAX_TUNNELS} inspector tunnels are already open`);
    const uid = String(target.uid);
    const p = spawn(
      "/bin/busybox",
      [
        "nsenter",
        "-t",
        String(target.pid),
        "-n",
        "-S",
        uid,
        "-G",
        uid,
        "/bin/busybox",
        "nc",
        "127.0.0.1",
        String(INSPECTOR_PORT),
      ],
      { stdio: ["pipe", "pipe", "ignore"] },
    );
    this.open.set(tunnel, p);
    p.stdin!.on("error", () => undefined);
    p.stdout!.on("data", (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; at += TUNNEL_CHUNK_BYTES) {
        const data = chunk.subarray(at, at + TUNNEL_CHUNK_BYTES).toString("base64");
        this.emit({ t: "tunnel-data", tunnel, data });
      }
    });
    const closed = (): void => {
      if (this.open.get(tunnel) !== p) return;
      this.open.delete(tunnel);
      this.emit({ t: "tunnel-closed", tunnel });
    };
    p.on("error", closed);
    p.on("close", closed);
  }

  write(tunnel: number, base64: string): void {
    this.open.get(tunnel)?.stdin!.write(Buffer.from(base64, "base64"));
  }

  close(tunnel: number): void {
    const p = this.open.get(tunnel);
    if (!p) return;
    this.open.delete(tunnel);
    p.kill("SIGKILL");
  }
}
