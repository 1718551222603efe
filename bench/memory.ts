// What idle profiles cost on real VMs: QEMU's proportional set size (/proc/PID/smaps_rollup) per VM and in all, for
// 1, 5 and 10 profiles that each ran echo-node once and were then left idle; and how long a profile that scaled to
// zero takes to answer its next call. Targets (issue: idle memory): an idle VM ≤ 200 MiB, ten idle profiles ≤ 2 GiB
// in all, the next call after scaling to zero ≤ 1500 ms.
// Run: npm run bench:memory [-- --profiles 1,5,10 --idle-seconds 40 --zero-runs 3 --squeeze-seconds 10
//   --max-seconds 1200]  (--squeeze-seconds as HEARTH_SQUEEZE_SECONDS; 0: free page reporting alone)
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createProfile } from "../main/domain/access/profiles.ts";
import { Engine } from "../main/invoke/engine.ts";
import { SandboxScheduler } from "../main/invoke/sandbox-scheduler.ts";
import { openHearthStore, type HearthStore } from "../main/store/hearth-store.ts";
import { systemRandom } from "../main/store/system-random.ts";
import { DEFAULT_VM_MEMORY_MIB, imageDir, loadManifest } from "../main/vm/image-manifest.ts";
import { LibvirtDriver } from "../main/vm/libvirt-driver.ts";
import { VmPool } from "../main/vm/pool.ts";
import { fixtureDir } from "../tests/helpers/fixtures.ts";
import { importFolder } from "../tests/helpers/import-fixture.ts";
import { boundedRun, percentile, sleep, summarize, writeResults } from "./bench-run.ts";
import { hostFacts, machineLine, probeAccel } from "./machine.ts";
import { memorySection, MEMORY_TARGETS } from "./report-format.ts";

const { values } = parseArgs({
  options: {
    profiles: { type: "string", default: "1,5,10" },
    "idle-seconds": { type: "string", default: "40" },
    "zero-runs": { type: "string", default: "3" },
    "squeeze-seconds": { type: "string", default: "10" },
    "max-seconds": { type: "string", default: "1200" },
  },
});
const steps = values.profiles.split(",").map((s) => Number(s.trim()));
if (steps.some((n) => !Number.isInteger(n) || n < 1) || steps.some((n, i) => i > 0 && n <= steps[i - 1]!))
  throw new Error(`--profiles must be rising whole numbers ≥ 1, such as 1,5,10, not "${values.profiles}"`);
const idleSeconds = Number(values["idle-seconds"]);
const zeroRuns = Number(values["zero-runs"]);
const squeezeMs = Number(values["squeeze-seconds"]) * 1000;
if (!(squeezeMs >= 0)) throw new Error(`--squeeze-seconds must be a number ≥ 0 (0: no squeeze)`);
if (!(idleSeconds >= 0)) throw new Error(`--idle-seconds must be a number ≥ 0`);
if (!Number.isInteger(zeroRuns) || zeroRuns < 0) throw new Error(`--zero-runs must be a whole number ≥ 0`);

const manifest = loadManifest();
if (!manifest) throw new Error('IMAGE_NOT_BUILT: no guest image; build it with "npm run image"');
const accel = await probeAccel(manifest);
const machine = hostFacts(accel);
process.stdout.write(`${machineLine(machine)}\n`);

const dir = mkdtempSync(join(tmpdir(), "hearth-bench-memory-"));
const driver = new LibvirtDriver();
let store: HearthStore | null = null;
const closers: (() => Promise<void>)[] = [];
async function cleanup(): Promise<void> {
  for (const c of closers.splice(0).reverse()) await c().catch(() => {});
  await store?.close().catch(() => {});
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
}
const run = boundedRun("memory", Number(values["max-seconds"]), cleanup);
const say = run.say;

store = await openHearthStore(join(dir, "store"));
const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store!.secrets });
async function newProfile(name: string): Promise<string> {
  const r = await store!.documents.update((s) => createProfile(s, { name }, ctx()));
  await importFolder(store!, r.profile.id, fixtureDir("echo-node"));
  return r.profile.id;
}

function stack(o: { maxVms: number; idleProfileMs: number }) {
  const pool = new VmPool({
    driver,
    manifest: manifest!,
    imageDir: imageDir(),
    accel,
    dataDir: join(dir, "vm"),
    warm: 1,
    maxVms: o.maxVms,
    squeezeIdleMs: squeezeMs,
  });
  const scheduler = new SandboxScheduler({ pool, idleProfileMs: o.idleProfileMs });
  const engine = new Engine(store!, scheduler);
  const close = async (): Promise<void> => {
    scheduler.close();
    await pool.close();
  };
  closers.push(close);
  return { pool, scheduler, engine, close };
}

function pssMiB(pid: number): number | null {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function invokeEcho(engine: Engine, profile: string): Promise<number> {
  const t0 = performance.now();
  const r = await engine.invoke({ callerProfileId: profile, ref: { task: "echo" }, payload: '{"n":1}' });
  if (!r.ok) throw new Error(`echo failed for ${profile}: ${JSON.stringify(r.error)}`);
  return performance.now() - t0;
}

// ---- idle memory for 1, 5 and 10 profiles ----
interface IdleStep {
  profiles: number;
  vms: number;
  squeezed: number;
  perVmPssMiB: number[];
  totalPssMiB: number;
  idleSeconds: number;
}
const idle: IdleStep[] = [];
{
  const maxProfiles = steps.at(-1)!;
  const s = stack({ maxVms: 2 * maxProfiles + 2, idleProfileMs: 0 });
  await s.pool.start();
  const squeezed = new Set<string>();
  s.pool.on("squeeze", (e) => {
    if (!e.interrupted) squeezed.add(e.vm);
  });
  const profiles: string[] = [];
  for (const n of steps) {
    if (run.remainingMs() < 60_000) {
      say(`stopping before ${n} profiles: the run's bound is near`);
      break;
    }
    while (profiles.length < n) {
      const id = await newProfile(`idle-${profiles.length + 1}`);
      profiles.push(id);
      const ms = await invokeEcho(s.engine, id);
      say(`profile ${profiles.length}: first echo in ${ms.toFixed(0)} ms`);
    }
    // Every VM started (held ones and spares), then idle: each gets squeezed once.
    const t0 = Date.now();
    for (;;) {
      const vms = s.pool.list().filter((v) => v.state === "ready" || v.state === "busy");
      const booting = s.pool.list().some((v) => v.state === "booting");
      const idleFor = (Date.now() - t0) / 1000;
      if (!booting && idleFor >= idleSeconds && (squeezeMs === 0 || vms.every((v) => squeezed.has(v.name))))
        break;
      if (run.remainingMs() < 30_000 || idleFor > idleSeconds + 20 * vms.length + 60) {
        say(`measuring ${n} profiles before every VM was squeezed`);
        break;
      }
      await sleep(1000);
    }
    const vms = s.pool.list().filter((v) => v.state === "ready" || v.state === "busy");
    const per: number[] = [];
    for (const v of vms) {
      const pid = await driver.pid(v.name);
      const pss = pid ? pssMiB(pid) : null;
      if (pss !== null) per.push(pss);
    }
    const step: IdleStep = {
      profiles: n,
      vms: vms.length,
      squeezed: vms.filter((v) => squeezed.has(v.name)).length,
      perVmPssMiB: per.map((x) => Math.round(x)),
      totalPssMiB: Math.round(per.reduce((a, b) => a + b, 0)),
      idleSeconds: Math.round((Date.now() - t0) / 1000),
    };
    idle.push(step);
    say(
      `${n} profiles, ${step.vms} VMs: QEMU PSS per VM median ${percentile(per, 50).toFixed(0)} MiB, max ` +
        `${Math.max(...per).toFixed(0)} MiB, total ${step.totalPssMiB} MiB`,
    );
  }
  await s.close();
  closers.splice(closers.indexOf(s.close), 1);
}

// ---- scale to zero, then the next call ----
const zero: number[] = [];
const zeroParts: { totalMs: number; vmReadyMs: number | null; restoreMs: number | null }[] = [];
if (zeroRuns > 0 && run.remainingMs() > 60_000) {
  const s = stack({ maxVms: 4, idleProfileMs: 3000 });
  await s.pool.start();
  const p = await newProfile("zero");
  await invokeEcho(s.engine, p);
  for (let i = 0; i < zeroRuns && run.remainingMs() > 30_000; i++) {
    const t0 = Date.now();
    while (s.pool.keeps(p) || s.pool.list(p).length > 0) {
      if (Date.now() - t0 > 60_000) throw new Error("the profile did not scale to zero within 60 s");
      await sleep(200);
    }
    await sleep(2000); // nothing of the profile is left running
    const ms = await invokeEcho(s.engine, p);
    const vm = s.pool.list(p).find((v) => v.state === "busy");
    say(
      `from zero: answered in ${ms.toFixed(0)} ms: VM from ${vm?.origin ?? "?"} ready in ${vm?.readyMs ?? "?"} ms ` +
        `(libvirt restore ${vm?.restoreMs ?? "?"} ms), then the sandbox's load and the call`,
    );
    zero.push(ms);
    zeroParts.push({
      totalMs: Math.round(ms),
      vmReadyMs: vm?.readyMs ?? null,
      restoreMs: vm?.restoreMs ?? null,
    });
  }
  await s.close();
  closers.splice(closers.indexOf(s.close), 1);
}

const durationS = run.finish();
const ten = idle.find((s) => s.profiles === 10);
const allPer = idle.flatMap((s) => s.perVmPssMiB);
const json = {
  date: new Date().toISOString(),
  machine,
  durationS,
  guestMiB: DEFAULT_VM_MEMORY_MIB,
  settings: { profiles: steps, idleSeconds, zeroRuns, squeezeSeconds: squeezeMs / 1000 },
  idle,
  fromZeroMs: summarize(zero),
  fromZeroParts: zeroParts,
  targets: {
    idleVmPssMiB: {
      target: MEMORY_TARGETS.idleVmPssMiB,
      measured: allPer.length ? Math.max(...allPer) : null,
    },
    tenProfilesPssMiB: { target: MEMORY_TARGETS.tenProfilesPssMiB, measured: ten?.totalPssMiB ?? null },
    fromZeroMs: { target: MEMORY_TARGETS.fromZeroMs, measured: zero.length ? percentile(zero, 50) : null },
  },
};
writeResults("memory", json, memorySection(json).join("\n"));
await cleanup();
