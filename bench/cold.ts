// Cold paths of one invocation through the engine, on the real libvirt driver: (a) no warm sandbox but a ready VM in
// the pool (the code is loaded into one of its blank sandboxes); (b) no ready VM either (the pool restores one from
// its saved template, or, in a pool that always boots, boots one). Each is timed n times from a clean start.
// Run: npm run bench:cold [-- --runs 5 --max-seconds 180]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { CommandContext } from "../main/domain/model/command-context.ts";
import { createProfile } from "../main/domain/access/profiles.ts";
import { Engine } from "../main/invoke/engine.ts";
import { SandboxScheduler } from "../main/invoke/sandbox-scheduler.ts";
import { openHearthStore } from "../main/store/hearth-store.ts";
import { systemRandom } from "../main/store/system-random.ts";
import { imageDir, loadManifest } from "../main/vm/image-manifest.ts";
import { LibvirtDriver } from "../main/vm/libvirt-driver.ts";
import { VmPool, type PoolOptions } from "../main/vm/pool.ts";
import { fixtureDir } from "../tests/helpers/fixtures.ts";
import { importFolder } from "../tests/helpers/import-fixture.ts";
import { boundedRun, ms, summarize, writeResults } from "./bench-run.ts";
import { coldSection } from "./report-format.ts";
import { hostFacts, machineLine, probeAccel } from "./machine.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    "max-seconds": { type: "string", default: "180" },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a whole number ≥ 1, not "${values.runs}"`);
const maxSeconds = Number(values["max-seconds"]);

const manifest = loadManifest();
if (!manifest) throw new Error('IMAGE_NOT_BUILT: no guest image; build it with "npm run image"');
const accel = await probeAccel(manifest);
const machine = hostFacts(accel);
process.stdout.write(`${machineLine(machine)}\n`);

const dir = mkdtempSync(join(tmpdir(), "hearth-bench-cold-"));
const driver = new LibvirtDriver();
const store = await openHearthStore(join(dir, "store"));
const pools = new Set<VmPool>();
const hostIds = new Set<string>();
const schedulers = new Set<SandboxScheduler>();

async function cleanup(): Promise<void> {
  for (const s of schedulers) s.close();
  await Promise.all([...pools].map((p) => p.close().catch(() => {})));
  for (const d of await driver.list().catch(() => [])) {
    if (d.metadata && hostIds.has(d.metadata.host)) await driver.destroy(d.name).catch(() => {});
  }
  await driver.close();
  await store.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
const run = boundedRun("cold", maxSeconds, cleanup);
const say = run.say;

const ctx = (): CommandContext => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
const { profile } = await store.documents.update((s) => createProfile(s, { name: "bench-cold" }, ctx()));
await importFolder(store, profile.id, fixtureDir("echo-node"));
const request = { callerProfileId: profile.id, ref: { task: "echo" }, payload: JSON.stringify({ n: 42 }) };

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
  await pool.start();
  pools.add(pool);
  return pool;
}

interface ColdRun {
  totalMs: number;
  coldStart: boolean;
  /** Where the VM that answered came from, and its own boot/restore-to-ready time. */
  origin: "boot" | "restore" | "ready VM";
  vmReadyMs?: number;
  /** Host-measured round trip of the invocation itself, once the sandbox was up. */
  invokeRoundTripMs: number;
}

/**
 * One invocation on a fresh scheduler (it holds no sandbox, so nothing is warm), then every VM it took is retired:
 * the next run starts clean again.
 */
/** How long a ready VM sits in the pool before case (a) invokes on it, as a spare would between requests. */
const SPARE_SETTLE_MS = 3000;

async function coldInvoke(pool: VmPool, readyVm: string | null): Promise<ColdRun> {
  const scheduler = new SandboxScheduler({ pool, maxWaitMs: Math.max(5000, run.remainingMs()) });
  schedulers.add(scheduler);
  const engine = new Engine(store, scheduler);
  try {
    const t0 = performance.now();
    const r = await engine.invoke(request);
    const totalMs = performance.now() - t0;
    if (!r.ok) throw new Error(`the invocation failed: ${JSON.stringify(r.error)}`);
    const vm = pool.get(r.vm);
    const fromPool = r.vm === readyVm;
    return {
      totalMs,
      coldStart: r.coldStart,
      origin: fromPool ? "ready VM" : (vm?.origin ?? "boot"),
      ...(!fromPool && vm?.readyMs !== undefined ? { vmReadyMs: vm.readyMs } : {}),
      invokeRoundTripMs: r.roundTripMs,
    };
  } finally {
    await scheduler.drain(5000);
    schedulers.delete(scheduler);
    for (const s of scheduler.snapshot()) {
      const vm = pool.get(s.vm);
      if (vm) await pool.retire(vm, "benchmark: next run");
    }
    for (const v of pool.list()) {
      const vm = pool.get(v.name);
      if (vm) await pool.retire(vm, "benchmark: next run");
    }
  }
}

const result: Record<string, unknown> = {
  name: "cold",
  date: machine.date,
  machine,
  settings: { runs, maxSeconds },
};
const errors: Record<string, string> = {};
const phase = async (name: string, body: () => Promise<void>): Promise<void> => {
  say(`${name}: starting (${Math.round(run.remainingMs() / 1000)} s of the bound left)`);
  try {
    await body();
  } catch (err) {
    errors[name] = (err as Error).message;
    say(`${name}: failed: ${errors[name]}`);
  }
};
const series = async (label: string, one: () => Promise<ColdRun>): Promise<ColdRun[]> => {
  const out: ColdRun[] = [];
  // A run starts only while the bound leaves room for one as long as the longest so far.
  let longest = 10_000;
  for (let i = 0; i < runs; i++) {
    if (run.remainingMs() < longest) {
      say(`${label}: stopping after ${i} runs, the time bound is near`);
      break;
    }
    const t0 = performance.now();
    const r = await one();
    longest = Math.max(longest, performance.now() - t0);
    say(`${label} #${i + 1}: ${JSON.stringify(r)}`);
    out.push(r);
  }
  return out;
};
const summary = (r: ColdRun[]) => ({
  runs: r,
  origins: [...new Set(r.map((x) => x.origin))],
  coldStarts: r.filter((x) => x.coldStart).length,
  totalMs: summarize(r.map((x) => x.totalMs)),
  vmReadyMs: summarize(r.flatMap((x) => (x.vmReadyMs !== undefined ? [x.vmReadyMs] : []))),
  invokeRoundTripMs: summarize(r.map((x) => x.invokeRoundTripMs)),
});

// A fresh install: no template yet. The first invocation is served by a booted VM while the template is saved
// beside it; what it costs beyond that VM's boot to ready is the figure (target ≤ 1.5 s).
await phase("fresh data directory", async () => {
  const fresh = await series("fresh data directory", async () => {
    const pool = await openPool(`fresh-${Date.now()}`, { refill: "auto", warm: 0, maxPerProfile: 2 });
    try {
      return await coldInvoke(pool, null);
    } finally {
      await pool.close();
    }
  });
  const over = fresh.flatMap((r) => (r.vmReadyMs !== undefined ? [r.totalMs - r.vmReadyMs] : []));
  result.freshInstall = { ...summary(fresh), overBootMs: summarize(over) };
});

// Warm 0: the pool keeps no spare on its own, so each case sets up exactly the VMs it needs.
await phase("restore pool", async () => {
  const pool = await openPool("vm", { refill: "auto", warm: 0, maxPerProfile: 2 });
  // The first VM of a fresh data directory boots while the template is made (boot + save) beside it: timed, but
  // not a run.
  const t0 = performance.now();
  const first = await pool.acquire(profile.id, run.remainingMs());
  await pool.templateSettled();
  result.template = {
    firstVmMs: performance.now() - t0,
    bootMs: pool.figures.templateBootMs,
    saveMs: pool.figures.templateSaveMs,
  };
  say(`template: ${JSON.stringify(result.template)}`);
  await pool.retire(first, "benchmark: template made");

  // (a) A ready VM waits in the pool (acquired and given back, so it is up and synced); no sandbox is warm. A spare
  // has sat in the pool a while before a request finds it: its agent has had the time to prewarm a runtime.
  result.readyVm = summary(
    await series("no warm sandbox, a ready VM", async () => {
      const vm = await pool.acquire(profile.id, run.remainingMs());
      pool.release(vm);
      await new Promise((r) => setTimeout(r, SPARE_SETTLE_MS));
      return coldInvoke(pool, vm.name);
    }),
  );
  // (b) Nothing ready: the invocation waits for the pool to restore a clone of the template.
  result.noVmRestore = summary(await series("no ready VM (restore)", () => coldInvoke(pool, null)));
});

await phase("boot pool", async () => {
  const pool = await openPool("vm-boot", { refill: "boot", warm: 0, maxPerProfile: 2 });
  result.noVmBoot = summary(await series("no ready VM (boot)", () => coldInvoke(pool, null)));
});

await cleanup();
const durationS = run.finish();
Object.assign(result, { durationS, errors });

const md = [
  `Cold paths of one echo-node invocation through the engine (${accel}), each run on a fresh scheduler, ${ms(durationS)} s.`,
  machineLine(machine),
  "",
  ...coldSection(result),
  "",
].join("\n");
writeResults("cold", result, md);
process.exit(Object.keys(errors).length ? 1 : 0);
