// Reliability, load: 10,000 invocations over the native HTTP API at concurrency 32, echo-node mixed with crasher's
// throw, exit and loop modes. Every one is answered (a result or a clear task error), no VM, QEMU process or
// sandbox is left over, and the host process's memory stays flat.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { HearthApiError, HearthClient } from "../../main/client/http-client.ts";
import type { InvocationResult } from "../../main/contract.ts";
import type { Host } from "../../main/host.ts";
import { startServer } from "../../main/http/server.ts";
import { OWNER_KEY_FILE } from "../../main/store/owner-key.ts";
import {
  collectedMemory,
  profileWith,
  startHost,
  until,
  virshDomains,
  closeHost,
} from "../helpers/reliability-host.ts";
import { tally } from "../helpers/reliability-tally.ts";

const TOTAL = Number(process.env.HEARTH_RELIABILITY_INVOCATIONS ?? 10_000);
const CONCURRENCY = 32;
/** Heap (after a full collection) may grow by this much between the end of the warm-up and the end of the run. */
const HEAP_GROWTH_BOUND_MB = 24;

let host: Host;
let server: FastifyInstance;
let dataDir = "";
let client: HearthClient;
let profile = "";

type Kind = "echo" | "ok" | "throw" | "exit" | "loop";

/** The mix: mostly echo, a tenth crasher throwing, and a few exits and endless loops (each costs a restart). */
function kindOf(i: number): Kind {
  if (i % 500 === 100) return "exit";
  if (i % 5000 === 2501) return "loop";
  if (i % 10 === 3) return "throw";
  if (i % 50 === 25) return "ok";
  return "echo";
}

/** A task that overran its own timeout is a clear task error too; on a loaded 2-core TCG machine a few do. */
function timedOut(r: InvocationResult): boolean {
  return (
    !r.ok && r.error?.errorType === "Sandbox.Timedout" && /Task timed out after/.test(r.error.errorMessage)
  );
}

/** What a right answer of each kind looks like; anything else is a lost invocation. */
function check(kind: Kind, i: number, r: InvocationResult): string | null {
  switch (kind) {
    case "echo":
      return r.ok && JSON.stringify(r.result) === JSON.stringify({ echo: { i }, version: "$LATEST" })
        ? null
        : `echo ${i}: ${JSON.stringify(r)}`;
    case "ok":
      return r.ok && JSON.stringify(r.result) === '{"ok":true}' ? null : `ok ${i}: ${JSON.stringify(r)}`;
    case "throw":
      return !r.ok && r.error?.errorType === "Error" && r.error.errorMessage === "asked to throw"
        ? null
        : `throw ${i}: ${JSON.stringify(r)}`;
    case "exit":
      return !r.ok && r.error?.errorType === "Runtime.ExitError" && /exit status 3/.test(r.error.errorMessage)
        ? null
        : `exit ${i}: ${JSON.stringify(r)}`;
    case "loop":
      return !r.ok &&
        r.error?.errorType === "Sandbox.Timedout" &&
        /timed out after 3\.00 s/.test(r.error.errorMessage)
        ? null
        : `loop ${i}: ${JSON.stringify(r)}`;
  }
}

/** Host QEMU processes of the given domains' profile, by the guest name libvirt passes them. */
function qemuProcesses(prefix: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "latin1").split("\0");
      const guest = argv.find((a) => a.startsWith(`guest=${prefix}`));
      if (argv[0]?.includes("qemu-system") && guest) names.push(guest.slice(6).split(",")[0]!);
    } catch {
      // exited while scanning
    }
  }
  return names.sort();
}

before(async () => {
  ({ host, dataDir } = await startHost("rel-load", { warm: 1 }));
  server = await startServer({ host: "127.0.0.1", port: 0, app: host });
  const url = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
  const ownerKey = readFileSync(join(dataDir, OWNER_KEY_FILE), "utf8").trim();
  profile = await profileWith(host, "loader", ["echo-node", "crasher"]);
  client = new HearthClient(url, { kind: "owner", key: ownerKey, profile: "loader" });
});

after(async () => {
  await server?.close();
  assert.deepEqual(await closeHost(host, dataDir), [], "VMs left running after the host closed");
  assert.deepEqual(qemuProcesses(`hearth-${profile}-`), [], "QEMU processes left after the host closed");
});

test(`${TOTAL} invocations at concurrency ${CONCURRENCY}, echo mixed with crasher: all answered, nothing leaked, memory flat`, async () => {
  let next = 0;
  const counts: Record<Kind, number> = { echo: 0, ok: 0, throw: 0, exit: 0, loop: 0 };
  const wrong: string[] = [];
  let answered = 0;
  let timeouts = 0;
  let sent = 0;
  let warm: { heapUsedMb: number; rssMb: number } | null = null;
  let warmAt = 0;
  const warmUp = Math.min(2000, Math.floor(TOTAL / 5));
  const started = performance.now();
  const inFlight = new Map<number, Kind>();
  let lastProgress = { at: Date.now(), done: 0 };
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= TOTAL) return;
      if (i === warmUp) {
        // Measured once, by the worker that reaches it; the others carry on meanwhile.
        warm = await collectedMemory();
        warmAt = i;
      }
      const kind = kindOf(i);
      const payload = kind === "echo" ? { i } : kind === "ok" ? { mode: "none" } : { mode: kind };
      sent++;
      inFlight.set(i, kind);
      try {
        const r = await client.call("invoke", {
          task: kind === "echo" ? "echo" : "crasher",
          payload: JSON.stringify(payload),
        });
        const problem = check(kind, i, r);
        if (!problem) answered++;
        else if (kind !== "loop" && timedOut(r)) {
          answered++;
          timeouts++;
        } else wrong.push(problem);
        counts[kind]++;
      } catch (err) {
        wrong.push(
          `${kind} ${i}: ${err instanceof HearthApiError ? `${err.status} ${err.code}: ${err.detail}` : String(err)}`,
        );
      }
      inFlight.delete(i);
    }
  };
  // A run that stops making progress fails with what was still waiting, instead of hanging the suite.
  let watch: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    watch = setInterval(() => {
      const done = sent - inFlight.size;
      if (done !== lastProgress.done) lastProgress = { at: Date.now(), done };
      else if (Date.now() - lastProgress.at > 60_000) {
        const waiting = [...inFlight].slice(0, 8).map(([i, k]) => `${k} ${i}`);
        reject(
          new Error(
            `no invocation answered for 60 s; ${inFlight.size} waiting (${waiting.join(", ")}); ` +
              `sandboxes ${JSON.stringify(host.scheduler.snapshot())}`,
          ),
        );
      }
      console.log(
        `# progress: ${done}/${TOTAL} answered, ${inFlight.size} in flight, ${wrong.length} wrong` +
          (wrong.length ? ` (first: ${wrong[0]!.slice(0, 300)})` : ""),
      );
    }, 10_000);
  });
  try {
    await Promise.race([Promise.all(Array.from({ length: CONCURRENCY }, worker)), stalled]);
  } finally {
    clearInterval(watch);
  }
  const wallS = (performance.now() - started) / 1000;
  const lost = sent - answered;
  tally("load", `${TOTAL} invocations at concurrency ${CONCURRENCY}`, {
    invocationsSent: sent,
    invocationsAnswered: answered,
    invocationsLost: lost,
  });
  console.log(
    `# ${sent} sent in ${wallS.toFixed(1)} s (${(sent / wallS).toFixed(0)}/s): ${JSON.stringify(counts)}; ` +
      `${answered} answered (${timeouts} of them timed out instead of their own answer), ${lost} lost`,
  );
  assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} invocations not answered as expected`);
  assert.equal(answered, TOTAL);
  assert.ok(timeouts <= TOTAL / 100, `${timeouts} invocations timed out`);

  // Quiet now: what the pool, libvirt, the host's processes and the guests each say is running must agree.
  await until("the sandboxes to settle", 30_000, () =>
    host.scheduler.snapshot().every((s) => s.state === "ready" && !s.busy),
  );
  const vms = host.pool.list(profile).filter((v) => v.state === "ready" || v.state === "busy");
  const prefix = `hearth-${profile}-`;
  const domains = virshDomains(prefix).sort();
  assert.deepEqual(domains, vms.map((v) => v.name).sort(), "libvirt and the pool disagree on the VMs");
  assert.deepEqual(qemuProcesses(prefix), domains, "QEMU processes and libvirt disagree");
  assert.ok(domains.length <= 4, `${domains.length} VMs for one profile (at most 4)`);
  const status = await client.call("pool", {});
  let sandboxes = 0;
  for (const v of vms) {
    const view = status.vms.find((x) => x.name === v.name);
    const reported = (view?.sandboxes ?? []).length;
    const stats = await host.pool.get(v.name)!.session!.stats();
    const inGuest = stats.sandboxes.filter((s) => s.pid !== null);
    assert.equal(
      inGuest.length,
      reported,
      `${v.name}: the guest runs ${inGuest.length} sandboxes, the pool status shows ${reported}`,
    );
    sandboxes += reported;
  }
  // At most 4 sandboxes per configuration (echo, crasher).
  assert.ok(sandboxes <= 8, `${sandboxes} sandboxes for two tasks`);

  const end = await collectedMemory();
  const w = warm as { heapUsedMb: number; rssMb: number } | null;
  assert.ok(w, "the warm-up measurement was not taken");
  console.log(
    `# ${domains.length} VMs, ${sandboxes} sandboxes after the run; host heap after GC ${w.heapUsedMb.toFixed(1)} MB ` +
      `at ${warmAt} → ${end.heapUsedMb.toFixed(1)} MB at ${TOTAL} (bound +${HEAP_GROWTH_BOUND_MB} MB); ` +
      `RSS ${w.rssMb.toFixed(0)} → ${end.rssMb.toFixed(0)} MB`,
  );
  assert.ok(
    end.heapUsedMb - w.heapUsedMb <= HEAP_GROWTH_BOUND_MB,
    `heap grew by ${(end.heapUsedMb - w.heapUsedMb).toFixed(1)} MB over ${TOTAL - warmAt} invocations`,
  );
});
