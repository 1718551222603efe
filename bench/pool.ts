// Pool benchmark on the real libvirt driver: boot-to-ready and restore-to-ready, time to replace a VM whose QEMU
// was killed, idle memory per VM (host RSS of QEMU, guest memory as the agent reports it), and how many VMs this
// machine keeps up at once, each answering an invocation within a bound. The phases share --max-seconds (boot up to
// 30% of it, restore and kills up to 60%, sustained VMs the rest).
// Run: npm run bench:pool [-- --runs 5 --kills 3 --max-vms 8 --sustain-seconds 90 --invoke-bound-ms 500
//   --max-seconds 180]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { freemem, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_VM_MEMORY_MIB, imageDir, loadManifest } from "../main/vm/image-manifest.ts";
import { LibvirtDriver } from "../main/vm/libvirt-driver.ts";
import { VmPool, type PooledVm, type PoolOptions, type VmInfo, type VmStateChange } from "../main/vm/pool.ts";
import type { SandboxSpec } from "../main/vm/protocol.ts";
import { fixtureDir } from "../tests/helpers/fixtures.ts";
import { zipFolder } from "../tests/helpers/zip-folder.ts";
import { boundedRun, ms, percentile, sleep, summarize, writeResults } from "./bench-run.ts";
import { poolSection } from "./report-format.ts";
import { hostFacts, machineLine, probeAccel } from "./machine.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    kills: { type: "string", default: "3" },
    "max-vms": { type: "string", default: "8" },
    "sustain-seconds": { type: "string", default: "90" },
    "invoke-bound-ms": { type: "string", default: "500" },
    "max-seconds": { type: "string", default: "180" },
  },
});
const positive = (name: keyof typeof values): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a whole number ≥ 1, not "${values[name]}"`);
  return n;
};
const runs = positive("runs");
const kills = positive("kills");
const maxVms = positive("max-vms");
const sustainSeconds = positive("sustain-seconds");
const invokeBoundMs = positive("invoke-bound-ms");
const maxSeconds = positive("max-seconds");

const manifest = loadManifest();
if (!manifest) throw new Error('IMAGE_NOT_BUILT: no guest image; build it with "npm run image"');
const accel = await probeAccel(manifest);
const machine = hostFacts(accel);
process.stdout.write(`${machineLine(machine)}\n`);

const driver = new LibvirtDriver();
const dir = mkdtempSync(join(tmpdir(), "hearth-bench-pool-"));
const open = new Set<VmPool>();
const hostIds = new Set<string>();

async function cleanup(): Promise<void> {
  await Promise.all([...open].map((p) => p.close().catch(() => {})));
  open.clear();
  for (const d of await driver.list().catch(() => [])) {
    if (d.metadata && hostIds.has(d.metadata.host)) await driver.destroy(d.name).catch(() => {});
  }
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
}
const run = boundedRun("pool", maxSeconds, cleanup);
const say = run.say;

const events = { failed: 0, problems: [] as string[] };
async function openPool(sub: string, o: Partial<PoolOptions>): Promise<VmPool> {
  const pool = new VmPool({
    driver,
    manifest: manifest!,
    imageDir: imageDir(),
    accel,
    dataDir: join(dir, sub),
    ...o,
  });
  hostIds.add(pool.hostId);
  pool.on("vm-state", (c) => {
    if (c.to === "failed") events.failed++;
  });
  pool.on("problem", (p) => events.problems.push(p.message));
  await pool.start();
  open.add(pool);
  return pool;
}
async function closePool(pool: VmPool): Promise<void> {
  open.delete(pool);
  await pool.close();
}

/** Resolves with the first state change matching `pred` (and when it happened), or rejects after `timeoutMs`. */
function nextChange(
  pool: VmPool,
  pred: (c: VmStateChange) => boolean,
  timeoutMs: number,
): Promise<{ change: VmStateChange; at: number }> {
  return new Promise((resolve, reject) => {
    const onChange = (c: VmStateChange): void => {
      if (!pred(c)) return;
      clearTimeout(timer);
      pool.off("vm-state", onChange);
      resolve({ change: c, at: performance.now() });
    };
    const timer = setTimeout(() => {
      pool.off("vm-state", onChange);
      reject(new Error(`no matching VM state change within ${Math.round(timeoutMs)} ms`));
    }, timeoutMs);
    pool.on("vm-state", onChange);
  });
}
const readyOf = (profile: string, not: Set<string>) => (c: VmStateChange) =>
  c.to === "ready" && c.vm.profile === profile && !not.has(c.vm.name);
const budget = (capMs: number): number => Math.max(1000, Math.min(capMs, run.remainingMs()));
/**
 * Each phase has its share of the bound (boot to 30%, restore and kills to 60%, the rest for sustain), so a slow
 * machine shortens every phase instead of starving the last one. A run already started may finish past its share.
 */
let phaseEnd = run.deadline;
const phaseLeft = (): number => phaseEnd - Date.now();
/** The first run of a series goes ahead while the whole bound has room: every measure gets at least one. */
const roomFor = (i: number): boolean => (i === 0 ? run.remainingMs() > 20_000 : phaseLeft() > 10_000);
const share = (fraction: number): number => run.startedAt + fraction * (run.deadline - run.startedAt);

function qemuRssMiB(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

interface ReadyRun {
  readyMs: number;
  wallMs: number;
  origin: VmInfo["origin"];
  restoreMs?: number;
}

/**
 * `runs` VMs of one profile one after the other: the pool brings one up (warm 1, at most 1), it is timed, retired,
 * and the pool's refill brings the next. `readyMs` is the pool's own figure (create/restore call → agent ready);
 * `wallMs` runs from the retire of the previous VM (or from asking) to the ready event.
 */
async function readyRuns(pool: VmPool, profile: string, n: number): Promise<ReadyRun[]> {
  const out: ReadyRun[] = [];
  const seen = new Set<string>();
  let prev: PooledVm | undefined;
  // A run starts only while the bound leaves room for one as long as the longest so far.
  let longest = 15_000;
  for (let i = 0; i < n; i++) {
    if (i > 0 && phaseLeft() < longest) {
      say(`${profile}: stopping after ${i} runs, the time bound is near`);
      break;
    }
    const next = nextChange(pool, readyOf(profile, seen), budget(120_000));
    const t0 = performance.now();
    if (prev) await pool.retire(prev, "benchmark: next run");
    else pool.ensure(profile);
    const { change, at } = await next;
    seen.add(change.vm.name);
    prev = pool.get(change.vm.name);
    const r: ReadyRun = {
      readyMs: change.vm.readyMs ?? NaN,
      wallMs: at - t0,
      origin: change.vm.origin,
      ...(change.vm.restoreMs !== undefined ? { restoreMs: change.vm.restoreMs } : {}),
    };
    out.push(r);
    longest = Math.max(longest, r.wallMs);
    say(`${profile} #${i + 1}: ${JSON.stringify(r)}`);
  }
  return out;
}

const result: Record<string, unknown> = {
  name: "pool",
  date: machine.date,
  machine,
  settings: {
    runs,
    kills,
    maxVms,
    sustainSeconds,
    invokeBoundMs,
    maxSeconds,
    vmMemoryMiB: DEFAULT_VM_MEMORY_MIB,
  },
};
const errors: Record<string, string> = {};
const phase = async (name: string, body: () => Promise<void>): Promise<void> => {
  say(
    `${name}: starting (${Math.round(phaseLeft() / 1000)} s for it, ${Math.round(run.remainingMs() / 1000)} s of the bound left)`,
  );
  try {
    await body();
  } catch (err) {
    errors[name] = (err as Error).message;
    say(`${name}: failed: ${errors[name]}`);
  }
};

// 1. Boot to ready: every VM boots (no template).
phaseEnd = share(0.3);
await phase("boot", async () => {
  const pool = await openPool("boot", { refill: "boot", warm: 1, maxPerProfile: 1 });
  try {
    const r = await readyRuns(pool, "bench-boot", runs);
    result.boot = {
      runs: r,
      readyMs: summarize(r.map((x) => x.readyMs)),
      wallMs: summarize(r.map((x) => x.wallMs)),
    };
  } finally {
    await closePool(pool);
  }
});

// 2. Restore to ready: the first VM makes the template (boot + save), every VM after is a restored clone.
const restoreDir = "restore";
phaseEnd = share(0.6);
await phase("restore", async () => {
  const pool = await openPool(restoreDir, { refill: "auto", warm: 1, maxPerProfile: 1 });
  try {
    const first = nextChange(pool, readyOf("bench-restore", new Set()), budget(180_000));
    const t0 = performance.now();
    pool.ensure("bench-restore");
    const { change, at } = await first;
    result.template = {
      firstVmWallMs: at - t0,
      bootMs: pool.figures.templateBootMs,
      saveMs: pool.figures.templateSaveMs,
      firstVmOrigin: change.vm.origin,
    };
    say(`template: ${JSON.stringify(result.template)}`);
    const vm = pool.get(change.vm.name)!;
    // The first VM came up behind the template build: it is not a run. Retiring it starts run 1.
    const seen = new Set([change.vm.name]);
    const r: ReadyRun[] = [];
    let prev = vm;
    for (let i = 0; i < runs && roomFor(i); i++) {
      const next = nextChange(pool, readyOf("bench-restore", seen), budget(60_000));
      const s = performance.now();
      await pool.retire(prev, "benchmark: next run");
      const got = await next;
      seen.add(got.change.vm.name);
      prev = pool.get(got.change.vm.name)!;
      const one: ReadyRun = {
        readyMs: got.change.vm.readyMs ?? NaN,
        wallMs: got.at - s,
        origin: got.change.vm.origin,
        ...(got.change.vm.restoreMs !== undefined ? { restoreMs: got.change.vm.restoreMs } : {}),
      };
      r.push(one);
      say(`bench-restore #${i + 1}: ${JSON.stringify(one)}`);
    }
    result.restore = {
      runs: r,
      origins: [...new Set(r.map((x) => x.origin))],
      readyMs: summarize(r.map((x) => x.readyMs)),
      wallMs: summarize(r.map((x) => x.wallMs)),
      restoreCallMs: summarize(r.flatMap((x) => (x.restoreMs !== undefined ? [x.restoreMs] : []))),
    };

    // 3. Replace a killed VM: SIGKILL its QEMU; the pool sees the agent channel drop, fails the VM and refills.
    const replaced: { detectMs: number; replaceMs: number; origin: string; readyMs: number }[] = [];
    for (let i = 0; i < kills && roomFor(i); i++) {
      const victim = prev;
      const pid = await driver.pid(victim.name);
      if (pid === null) throw new Error(`no QEMU process found for ${victim.name}`);
      const failed = nextChange(pool, (c) => c.vm.name === victim.name && c.to === "failed", budget(30_000));
      const ready = nextChange(pool, readyOf("bench-restore", seen), budget(60_000));
      const t0 = performance.now();
      process.kill(pid, "SIGKILL");
      const f = await failed;
      const got = await ready;
      seen.add(got.change.vm.name);
      prev = pool.get(got.change.vm.name)!;
      const one = {
        detectMs: f.at - t0,
        replaceMs: got.at - t0,
        origin: got.change.vm.origin,
        readyMs: got.change.vm.readyMs ?? NaN,
        reason: f.change.reason,
      };
      replaced.push(one);
      say(`kill #${i + 1}: ${JSON.stringify(one)}`);
    }
    result.replaceKilled = {
      runs: replaced,
      detectMs: summarize(replaced.map((x) => x.detectMs)),
      replaceMs: summarize(replaced.map((x) => x.replaceMs)),
    };
  } finally {
    await closePool(pool);
  }
});

// 4. Sustained: one more profile (one VM each) at a time, every VM holding a warm echo sandbox; a step holds when
// the new VM comes up and every VM so far answers invocations within the bound.
interface Step {
  n: number;
  readyMs: number;
  wallMs: number;
  origin: string;
  worstInvokeMs: number;
  qemuRssTotalMiB: number;
  hostAvailableMiB: number;
  load1: number;
}
interface MemoryOf {
  vm: string;
  idle: { qemuRssMiB: number | null; guestUsedMiB: number; guestTotalMiB: number; agentRssMiB: number };
  withEcho: { qemuRssMiB: number | null; guestUsedMiB: number; echoSandboxRssMiB: number };
}
phaseEnd = run.deadline - 10_000;
await phase("sustain", async () => {
  // The restore phase left its template in this folder: the VMs here are restored too.
  const pool = await openPool(restoreDir, { refill: "auto", warm: 1, maxPerProfile: 1 });
  const { zip, sha256 } = await zipFolder(fixtureDir("echo-node"));
  const spec: SandboxSpec = {
    runtime: "nodejs",
    handler: "index.handler",
    functionName: "echo",
    functionVersion: "1",
    memoryMb: 128,
    timeoutMs: 5000,
    env: {},
  };
  const payload = JSON.stringify({ hello: "world", n: 42 });
  const held: { vm: PooledVm; slot: number; pid: number | null }[] = [];
  const steps: Step[] = [];
  const memory: MemoryOf[] = [];
  let stopReason = `reached --max-vms ${maxVms}`;
  const until = Math.min(Date.now() + sustainSeconds * 1000, phaseEnd);
  const failedBefore = events.failed;
  try {
    for (let n = 1; n <= maxVms; n++) {
      if (Date.now() > until) {
        stopReason = `time cap (${sustainSeconds} s or the run's bound) reached before VM ${n}`;
        break;
      }
      const profile = `bench-n${n}`;
      const next = nextChange(pool, readyOf(profile, new Set()), Math.max(1000, until - Date.now() + 30_000));
      const t0 = performance.now();
      pool.ensure(profile);
      let got: { change: VmStateChange; at: number };
      try {
        got = await next;
      } catch (err) {
        stopReason = `VM ${n} did not become ready: ${(err as Error).message}`;
        break;
      }
      const vm = await pool.acquire(profile, 5000);
      const pid = await driver.pid(vm.name);
      await sleep(1000); // let the restored guest settle before reading its idle memory
      const idle = await vm.session!.stats();
      const idleRss = qemuRssMiB(pid);
      const slot = vm.session!.ready!.slots[0]!;
      await vm.session!.load(slot, spec, zip, sha256);
      await vm.session!.invoke(slot, payload);
      held.push({ vm, slot, pid });
      const withEcho = await vm.session!.stats();
      memory.push({
        vm: vm.name,
        idle: {
          qemuRssMiB: idleRss,
          guestUsedMiB: (idle.memTotalKb - idle.memAvailableKb) / 1024,
          guestTotalMiB: idle.memTotalKb / 1024,
          agentRssMiB: idle.agentRssKb / 1024,
        },
        withEcho: {
          qemuRssMiB: qemuRssMiB(pid),
          guestUsedMiB: (withEcho.memTotalKb - withEcho.memAvailableKb) / 1024,
          echoSandboxRssMiB: (withEcho.sandboxes.find((s) => s.slot === slot)?.rssKb ?? 0) / 1024,
        },
      });
      // Every VM so far, at once: three invocations each, the median per VM held against the bound.
      const medians = await Promise.all(
        held.map(async (h) => {
          const times: number[] = [];
          for (let i = 0; i < 3; i++) {
            const s = performance.now();
            const r = await Promise.race([
              h.vm.session!.invoke(h.slot, payload),
              sleep(invokeBoundMs * 10).then(() => null),
            ]);
            times.push(r?.ok ? performance.now() - s : Infinity);
          }
          return percentile(times, 50);
        }),
      );
      const worst = Math.max(...medians);
      const gone = held.filter((h) => h.vm.state !== "busy").map((h) => h.vm.name);
      const step: Step = {
        n,
        readyMs: got.change.vm.readyMs ?? NaN,
        wallMs: got.at - t0,
        origin: got.change.vm.origin,
        worstInvokeMs: worst,
        qemuRssTotalMiB: held.reduce((sum, h) => sum + (qemuRssMiB(h.pid) ?? 0), 0),
        hostAvailableMiB: Math.round(freemem() / 1048576),
        load1: Math.round(loadavg()[0]! * 100) / 100,
      };
      say(`sustain: ${JSON.stringify(step)}`);
      if (gone.length || events.failed > failedBefore) {
        stopReason = `with ${n} VMs a VM failed (${gone.join(", ") || "a VM of the pool"})`;
        break;
      }
      if (!(worst <= invokeBoundMs)) {
        stopReason = `with ${n} VMs an invocation took ${ms(worst)} ms (median of 3), over ${invokeBoundMs} ms`;
        break;
      }
      steps.push(step);
    }
  } finally {
    await closePool(pool);
  }
  const num = (xs: (number | null)[]): number[] => xs.filter((x): x is number => x !== null);
  result.sustain = { sustained: steps.length, stopReason, invokeBoundMs, steps };
  result.memory = {
    vms: memory,
    idleQemuRssMiB: summarize(num(memory.map((m) => m.idle.qemuRssMiB))),
    idleGuestUsedMiB: summarize(memory.map((m) => m.idle.guestUsedMiB)),
    idleAgentRssMiB: summarize(memory.map((m) => m.idle.agentRssMiB)),
    withEchoQemuRssMiB: summarize(num(memory.map((m) => m.withEcho.qemuRssMiB))),
    withEchoGuestUsedMiB: summarize(memory.map((m) => m.withEcho.guestUsedMiB)),
    echoSandboxRssMiB: summarize(memory.map((m) => m.withEcho.echoSandboxRssMiB)),
  };
});

await cleanup();
const durationS = run.finish();
Object.assign(result, { durationS, failedVms: events.failed, problems: events.problems, errors });

const md = [
  `Pool on the real libvirt driver (${accel}, ${manifest.sandboxSlots} sandbox slots per VM), ${ms(durationS)} s.`,
  machineLine(machine),
  "",
  ...poolSection(result),
  "",
].join("\n");
writeResults("pool", result, md);
process.exit(Object.keys(errors).length ? 1 : 0);
