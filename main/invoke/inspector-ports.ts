// The host's end of debugging a task: a TCP port on 127.0.0.1 per task under a debugger, each connection carried
// through the agent to the inspector of the task's newest sandbox, as if the task ran as a local Node.js process.
import { createServer, type Server, type Socket } from "node:net";
import { HearthError } from "../domain/model/errors.ts";
import type { InspectorTunnel } from "../vm/guest-session.ts";
import { CdpWatch } from "./cdp-watch.ts";
import type { Execution, SandboxScheduler } from "./sandbox-scheduler.ts";

/** Node.js's own default inspector port, then the next ones: what VS Code and chrome://inspect look at first. */
export const FIRST_INSPECTOR_PORT = 9229;
const LAST_INSPECTOR_PORT = 9299;

export interface InspectorPort {
  port: number;
  /** Connections a debugger has open. */
  attached: number;
}

interface Entry {
  server: Server;
  port: number;
  sockets: Set<Socket>;
  attached: number;
  /** Resolved each time a debugger says it is set up (Runtime.runIfWaitingForDebugger). */
  readyWaiters: (() => void)[];
  everReady: boolean;
}

export class InspectorPorts {
  private readonly byTask = new Map<string, Entry>();

  constructor(
    private readonly scheduler: SandboxScheduler,
    /** The task's $LATEST as its owner calls it, under the debugger. */
    private readonly execution: (taskKey: string) => Execution,
  ) {}

  get(taskKey: string): InspectorPort | null {
    const e = this.byTask.get(taskKey);
    return e ? { port: e.port, attached: e.attached } : null;
  }

  /** Loads the task's sandbox under the debugger (unless there) and opens its port (unless open). */
  async open(taskKey: string): Promise<InspectorPort> {
    await this.scheduler.ensure(this.execution(taskKey));
    let e = this.byTask.get(taskKey);
    if (!e) {
      e = await this.listen(taskKey);
      this.byTask.set(taskKey, e);
    }
    return { port: e.port, attached: e.attached };
  }

  /** Closes the task's port and every debugger connection through it. */
  close(taskKey: string): boolean {
    const e = this.byTask.get(taskKey);
    if (!e) return false;
    this.byTask.delete(taskKey);
    for (const s of e.sockets) s.destroy();
    e.server.close();
    for (const w of e.readyWaiters.splice(0)) w();
    return true;
  }

  closeAll(): void {
    for (const key of [...this.byTask.keys()]) this.close(key);
  }

  /**
   * Resolves once a debugger attached to the task's port has finished setting up (it sends
   * Runtime.runIfWaitingForDebugger then, breakpoints set), or at once if one already did; false after `timeoutMs`.
   */
  waitForDebugger(taskKey: string, timeoutMs: number): Promise<boolean> {
    const e = this.byTask.get(taskKey);
    if (!e) return Promise.resolve(false);
    if (e.everReady && e.attached > 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        e.readyWaiters = e.readyWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(this.byTask.get(taskKey) === e);
      };
      e.readyWaiters.push(done);
    });
  }

  private async listen(taskKey: string): Promise<Entry> {
    const entry: Entry = {
      server: createServer((socket) => void this.connect(taskKey, entry, socket)),
      port: 0,
      sockets: new Set(),
      attached: 0,
      readyWaiters: [],
      everReady: false,
    };
    const taken = new Set([...this.byTask.values()].map((e) => e.port));
    for (let port = FIRST_INSPECTOR_PORT; port <= LAST_INSPECTOR_PORT; port++) {
      if (taken.has(port)) continue;
      const ok = await new Promise<boolean>((resolve) => {
        const fail = (): void => resolve(false);
        entry.server.once("error", fail);
        // Loopback only, always: whoever reaches an inspector runs code as the task.
        entry.server.listen(port, "127.0.0.1", () => {
          entry.server.off("error", fail);
          resolve(true);
        });
      });
      if (ok) {
        entry.port = port;
        return entry;
      }
    }
    throw new HearthError(
      "INSPECTOR_PORTS_BUSY",
      `no free port for a debugger between ${FIRST_INSPECTOR_PORT} and ${LAST_INSPECTOR_PORT} on 127.0.0.1`,
    );
  }

  /** Carries one debugger connection to the newest sandbox of the task's line under the debugger. */
  private async connect(taskKey: string, e: Entry, socket: Socket): Promise<void> {
    e.sockets.add(socket);
    socket.pause();
    let tunnel: InspectorTunnel | null = null;
    let paused = false;
    let target: { session: { setPaused(slot: number, p: boolean): void }; slot: number } | null = null;
    let upgraded = false;
    const end = (): void => {
      if (!e.sockets.delete(socket)) return;
      if (upgraded) e.attached--;
      // A debugger that leaves lets the runtime run again (V8 resumes when its last session goes).
      if (paused) target?.session.setPaused(target.slot, false);
      tunnel?.close();
      socket.destroy();
    };
    socket.on("close", end);
    socket.on("error", end);
    try {
      const exec = this.execution(taskKey);
      let found = this.scheduler.newestOfLine(exec.profile, exec.lineKey);
      if (!found) {
        // Idle sandboxes go after a while; a debugger attaching brings one back.
        await this.scheduler.ensure(exec);
        found = this.scheduler.newestOfLine(exec.profile, exec.lineKey);
      }
      if (!found) throw new Error("no sandbox to attach to");
      target = found;
      const { session, slot } = found;
      const fromGuest = new CdpWatch(true, (method) => {
        if (method === "Debugger.paused" || method === "Debugger.resumed") {
          paused = method === "Debugger.paused";
          session.setPaused(slot, paused);
        }
      });
      const fromClient = new CdpWatch(false, (method) => {
        if (!upgraded) {
          upgraded = true;
          e.attached++;
        }
        if (method === "Runtime.runIfWaitingForDebugger") {
          e.everReady = true;
          for (const w of e.readyWaiters.splice(0)) w();
        }
      });
      tunnel = await session.openTunnel(
        slot,
        (data) => {
          fromGuest.push(data);
          socket.write(data);
        },
        () => end(),
      );
      if (!e.sockets.has(socket)) {
        tunnel.close();
        return;
      }
      socket.on("data", (data: Buffer) => {
        fromClient.push(data);
        tunnel?.write(data);
      });
      socket.resume();
    } catch {
      end();
    }
  }
}
