// The guest agent: answers the host on the control port and supervises one runtime process per sandbox slot.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import {
  CONTROL_PORT,
  frameType,
  PROTOCOL_VERSION,
  sandboxPortName,
  type ControlEvent,
  type ControlReply,
  type ControlRequest,
} from "../../main/vm/protocol.ts";
import { writeAccounts } from "./accounts.ts";
import { InspectorTunnels } from "./inspector-tunnels.ts";
import { discoverPorts, PortIO } from "./port-io.ts";
import { PREWARM_MEMORY_MB, SandboxSlot, SlotError } from "./sandbox-slot.ts";

const started = uptimeMs();

// The agent is the VM's only supervisor: an error in one handler (a sandbox's odd output, say) is logged, and the
// agent goes on. Dying would leave runtimes no agent knows (init starts a new agent; the host retires the VM).
process.on("uncaughtException", (err) =>
  console.error(`hearth-agent: uncaught: ${err.stack ?? String(err)}`),
);
process.on("unhandledRejection", (err) => console.error(`hearth-agent: unhandled rejection: ${String(err)}`));

function uptimeMs(): number {
  return Math.round(Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1000);
}

function meminfoKb(key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(readFileSync("/proc/meminfo", "utf8"));
  return m ? Number(m[1]) : 0;
}

/**
 * What sandboxes may hold: the guest's memory less the kernel, the agent and page cache for the runtimes. Read once
 * at the start, with the balloon empty: while the host squeezes an idle VM (inflates the balloon for a moment),
 * MemTotal shrinks, and admission must not change with it.
 */
const AGENT_RESERVE_MB = 64;
const MEM_TOTAL_MB = Math.floor(meminfoKb("MemTotal") / 1024);
function sandboxMemoryMb(): number {
  return Math.max(0, MEM_TOTAL_MB - AGENT_RESERVE_MB);
}

/** Counts agent starts across respawns by init, so the host can tell a fresh VM from a recovered agent. */
function countStart(): number {
  const file = "/run/hearth-agent-starts";
  let n = 0;
  try {
    n = Number(readFileSync(file, "utf8")) || 0;
  } catch {
    // first start
  }
  n++;
  try {
    writeFileSync(file, String(n));
  } catch {
    // /run not writable: the count stays 1
  }
  return n;
}

const ports = discoverPorts();
const controlPath = ports.get(CONTROL_PORT);
if (!controlPath) {
  console.error(`hearth-agent: no ${CONTROL_PORT} port among ${[...ports.keys()].join(", ") || "none"}`);
  // Exiting would make init respawn us in a tight loop; wait for a port that will not come and keep the VM alive.
  setInterval(() => {}, 1 << 30);
} else {
  main(controlPath);
}

function main(path: string): void {
  const agentStarts = countStart();
  const slots = new Map<number, SandboxSlot>();
  /** The uid each slot's current load runs as, named in the guest's account files. */
  const uids = new Map<number, number>();
  const nameUid = (slot: number, uid: number): void => {
    uids.set(slot, uid);
    try {
      writeAccounts(uids);
    } catch (err) {
      console.error(`hearth-agent: the account files are not written: ${String(err)}`);
    }
  };
  // Events may fire before the control port exists (a slot's first output); they wait for it.
  let control: PortIO | null = null;
  const emit = (e: ControlEvent | ControlReply): void => {
    control?.send(e);
  };

  for (const [name, device] of ports) {
    const m = /^org\.hearth\.sandbox\.(\d+)$/.exec(name);
    if (!m) continue;
    const slot = Number(m[1]);
    if (sandboxPortName(slot) !== name) continue;
    const sandbox = new SandboxSlot(slot, device, {
      exit: (e) => emit({ t: "sandbox-exit", slot, ...e }),
      up: (initMs, pid) => emit({ t: "sandbox-up", slot, initMs, pid }),
      uid: (uid) => nameUid(slot, uid),
      failed: (error) => emit({ t: "sandbox-failed", slot, error }),
      output: (stream, line) => emit({ t: "sandbox-output", slot, stream, line }),
    });
    sandbox.mountDir();
    // A runtime an earlier agent started (this one was respawned after a crash) must never answer for a task
    // this agent loads: whatever runs as the slot's uid or in its cgroup goes before anything else happens.
    sandbox.killStrays();
    slots.set(slot, sandbox);
  }

  const ready = (): Extract<ControlEvent, { t: "ready" }> => ({
    t: "ready",
    protocol: PROTOCOL_VERSION,
    bootMs: started,
    agentMs: uptimeMs() - started,
    kernel: release(),
    slots: [...slots.keys()].sort((a, b) => a - b),
    sandboxMemoryMb: sandboxMemoryMb(),
    agentStarts,
  });

  /**
   * A VM just restored and resynced gets one runtime prewarmed in its lowest slot (the host's first pick), so the
   * first task loaded into it does not wait for Node.js to start. Only after the resync: a VM booted to be saved as
   * the template must hold no process a clone could inherit. Only once: later, the VM serves invocations, and
   * starting Node.js behind them would take their vCPU.
   */
  const prewarmFirst = (): void => {
    const first = [...slots.values()].sort((a, b) => a.slot - b.slot)[0];
    if (first && !first.spec && PREWARM_MEMORY_MB <= sandboxMemoryMb())
      first.prewarm().catch((err: unknown) => console.error(`hearth-agent: prewarm failed: ${String(err)}`));
  };
  /** Slots with a load under way: a prewarmed runtime there may still be taken. */
  const loading = new Set<number>();
  /** Drops prewarmed runtimes no load took (it asked for another size or runtime, or went to another slot). */
  const dropUntaken = (): void => {
    for (const s of slots.values()) if (s.hasPrewarmed && !loading.has(s.slot)) s.dropPrewarmed();
  };

  const tunnels = new InspectorTunnels(emit);

  const slotOf = (id: number, slot: number): SandboxSlot => {
    const s = slots.get(slot);
    if (!s) throw new SlotError("NO_SUCH_SLOT", `this VM has no sandbox slot ${slot} (request ${id})`);
    return s;
  };

  const handle = async (req: Exclude<ControlRequest, { t: "hello" }>): Promise<ControlReply> => {
    switch (req.t) {
      case "ping":
        return { t: "pong", id: req.id, uptimeMs: uptimeMs() };
      case "sync": {
        const skewMs = await syncClockAndEntropy(req.epochMs, req.entropy);
        setImmediate(prewarmFirst);
        return { t: "synced", id: req.id, skewMs };
      }
      case "load": {
        const others = [...slots.values()].filter((s) => s.slot !== req.slot && s.spec);
        const committed = others.reduce((sum, s) => sum + s.spec!.memoryMb, 0);
        if (committed + req.spec.memoryMb > sandboxMemoryMb()) {
          throw new SlotError(
            "VM_MEMORY_FULL",
            `a ${req.spec.memoryMb} MB sandbox does not fit: ${committed} of ${sandboxMemoryMb()} MB are held by ${others.length} sandboxes`,
          );
        }
        loading.add(req.slot);
        try {
          const { initMs, pid, prewarmed } = await slotOf(req.id, req.slot).load(
            req.spec,
            req.code,
            req.sha256,
          );
          return { t: "loaded", id: req.id, slot: req.slot, initMs, pid, prewarmed };
        } finally {
          loading.delete(req.slot);
          dropUntaken();
        }
      }
      case "unload":
        await slotOf(req.id, req.slot).unload();
        return { t: "unloaded", id: req.id, slot: req.slot };
      case "kill":
        slotOf(req.id, req.slot).kill(req.reason, req.pid);
        return { t: "killed", id: req.id, slot: req.slot };
      case "tunnel-open": {
        const s = slotOf(req.id, req.slot);
        const pid = s.proc?.pid;
        if (!s.spec?.inspect || s.state !== "up" || pid === undefined)
          throw new SlotError(
            "NOT_INSPECTABLE",
            `slot ${req.slot} runs no runtime started with its inspector (state ${s.state})`,
          );
        tunnels.connect(req.tunnel, { pid, uid: s.uid });
        return { t: "tunnel-opened", id: req.id, tunnel: req.tunnel };
      }
      case "stats":
        return {
          t: "stats",
          id: req.id,
          uptimeMs: uptimeMs(),
          memTotalKb: meminfoKb("MemTotal"),
          memAvailableKb: meminfoKb("MemAvailable"),
          agentRssKb: Math.round(process.memoryUsage.rss() / 1024),
          sandboxes: [...slots.values()].map((s) => s.stats()).filter((s) => s !== null),
        };
    }
  };

  control = new PortIO(
    path,
    (frame) => {
      const t = frameType(frame);
      const id = (frame as { id?: unknown }).id;
      if (t === "hello") {
        emit(typeof id === "number" ? { ...ready(), id } : ready());
        return;
      }
      // A tunnel's bytes and its end get no answer: they are a stream, not requests.
      if (t === "tunnel-data" || t === "tunnel-close") {
        const f = frame as { tunnel?: unknown; data?: unknown };
        if (typeof f.tunnel !== "number") return;
        if (t === "tunnel-close") tunnels.close(f.tunnel);
        else if (typeof f.data === "string") tunnels.write(f.tunnel, f.data);
        return;
      }
      if (typeof id !== "number") return;
      if (!["ping", "sync", "load", "unload", "kill", "stats", "tunnel-open"].includes(t ?? "")) {
        emit({ t: "error", id, code: "UNKNOWN_FRAME", message: `the agent does not know frame type "${t}"` });
        return;
      }
      handle(frame as Exclude<ControlRequest, { t: "hello" }>).then(emit, (err: unknown) => {
        const code = err instanceof SlotError ? err.code : "AGENT_ERROR";
        emit({ t: "error", id, code, message: err instanceof Error ? err.message : String(err) });
      });
    },
    // Whoever just connected missed the first ready frame.
    () => emit(ready()),
    // Frames sent until the host is back are lost; the console log says when that happened.
    () => console.log(`hearth-agent: the host left the control port at ${uptimeMs()} ms uptime`),
  );
  control.start();
  emit(ready());
  console.log(`hearth-agent: ready at ${started} ms uptime, ${slots.size} sandbox slots`);
}

/** Sets the guest clock from the host and mixes host randomness into the kernel pool (see guestctl.c). */
function syncClockAndEntropy(epochMs: number, entropyB64: string): Promise<number> {
  const receivedNs = process.hrtime.bigint();
  const before = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn("/opt/hearth/bin/guestctl", ["sync", String(Math.round(epochMs)), String(receivedNs)], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let err = "";
    p.stderr.on("data", (c: Buffer) => (err += c.toString()));
    p.on("error", reject);
    p.on("exit", (code) => {
      if (code === 0) resolve(before - Math.round(epochMs));
      else reject(new SlotError("SYNC_FAILED", `guestctl exited ${code}: ${err.trim()}`));
    });
    p.stdin.end(Buffer.from(entropyB64, "base64"));
  });
}
