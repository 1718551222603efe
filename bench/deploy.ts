// Deploy under load, on the real libvirt driver: closed-loop echo-node invocations through the engine at a fixed
// concurrency, an alias moved to a newly published version mid-run, p50/p99/failed before, during and after. Twice:
// the dynamic-deployment path (the new version loads beside the old one, which keeps answering until it is
// ready), then a naive restart (the sandboxes are stopped first and the new code is loaded before serving again).
// Run: npm run bench:deploy [-- --concurrency 8 --warmup-seconds 8 --before-seconds 5 --after-seconds 5
//   --max-seconds 180]
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createAlias, updateAlias } from "../main/domain/aliases/aliases.ts";
import type { CommandContext } from "../main/domain/model/command-context.ts";
import { createProfile } from "../main/domain/access/profiles.ts";
import { publishVersion } from "../main/domain/tasks/versions.ts";
import { Engine } from "../main/invoke/engine.ts";
import { SandboxScheduler } from "../main/invoke/sandbox-scheduler.ts";
import { openHearthStore } from "../main/store/hearth-store.ts";
import { systemRandom } from "../main/store/system-random.ts";
import { imageDir, loadManifest } from "../main/vm/image-manifest.ts";
import { LibvirtDriver } from "../main/vm/libvirt-driver.ts";
import { VmPool } from "../main/vm/pool.ts";
import { fixtureDir } from "../tests/helpers/fixtures.ts";
import { importFolder } from "../tests/helpers/import-fixture.ts";
import { boundedRun, ms, percentile, sleep, waitFor, writeResults } from "./bench-run.ts";
import { hostFacts, machineLine, probeAccel } from "./machine.ts";
import { deploySection } from "./report-format.ts";

const { values } = parseArgs({
  options: {
    concurrency: { type: "string", default: "8" },
    "warmup-seconds": { type: "string", default: "8" },
    "before-seconds": { type: "string", default: "5" },
    "after-seconds": { type: "string", default: "5" },
    "max-seconds": { type: "string", default: "180" },
  },
});
const num = (name: keyof typeof values, min: number): number => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < min)
    throw new Error(`--${name} must be a number ≥ ${min}, not "${values[name]}"`);
  return n;
};
const concurrency = Math.round(num("concurrency", 1));
const warmupMs = num("warmup-seconds", 0) * 1000;
const beforeMs = num("before-seconds", 1) * 1000;
const afterMs = num("after-seconds", 1) * 1000;
const maxSeconds = num("max-seconds", 30);

const manifest = loadManifest();
if (!manifest) throw new Error('IMAGE_NOT_BUILT: no guest image; build it with "npm run image"');
const accel = await probeAccel(manifest);
const machine = hostFacts(accel);
process.stdout.write(`${machineLine(machine)}\n`);

const dir = mkdtempSync(join(tmpdir(), "hearth-bench-deploy-"));
const driver = new LibvirtDriver();
const store = await openHearthStore(join(dir, "store"));
const pool = new VmPool({
  driver,
  manifest,
  imageDir: imageDir(),
  accel,
  dataDir: join(dir, "vm"),
  warm: 1,
  maxPerProfile: 3,
});
const schedulers = new Set<SandboxScheduler>();
let load: Load | null = null;

async function cleanup(): Promise<void> {
  if (load) await load.stop();
  for (const s of schedulers) s.close();
  await pool.close().catch(() => {});
  for (const d of await driver.list().catch(() => [])) {
    if (d.metadata?.host === pool.hostId) await driver.destroy(d.name).catch(() => {});
  }
  await driver.close();
  await store.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
const run = boundedRun("deploy", maxSeconds, cleanup);
const say = run.say;

interface Sample {
  start: number;
  end: number;
  ok: boolean;
  version: string | null;
  cold: boolean;
  error?: string;
}

/** `concurrency` closed loops invoking the alias through whichever engine is current; a gate can hold new calls. */
class Load {
  readonly samples: Sample[] = [];
  engine: Engine;
  gate: Promise<void> | null = null;
  private stopped = false;
  private readonly workers: Promise<void>[];

  constructor(engine: Engine, ref: { task: string; qualifier: string }, callerProfileId: string) {
    this.engine = engine;
    const payload = JSON.stringify({ hello: "world", n: 42 });
    const worker = async (): Promise<void> => {
      while (!this.stopped) {
        const start = performance.now();
        // A call that meets a closed gate waits there: the wait is part of its latency, as for a real client.
        if (this.gate) await this.gate;
        try {
          const r = await this.engine.invoke({ callerProfileId, ref, payload });
          this.samples.push({
            start,
            end: performance.now(),
            ok: r.ok,
            version: r.servedVersion,
            cold: r.coldStart,
            ...(r.ok ? {} : { error: `${r.error?.errorType}: ${r.error?.errorMessage}` }),
          });
        } catch (err) {
          this.samples.push({
            start,
            end: performance.now(),
            ok: false,
            version: null,
            cold: false,
            error: String(err),
          });
          await sleep(10);
        }
      }
    };
    this.workers = Array.from({ length: concurrency }, worker);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.workers);
  }
}

const ctx = (): CommandContext => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
const { profile } = await store.documents.update((s) => createProfile(s, { name: "bench-deploy" }, ctx()));
await importFolder(store, profile.id, fixtureDir("echo-node"));
await store.documents.update((s) => publishVersion(s, profile.id, { task: "echo" }, ctx()));
const alias = await store.documents.update((s) =>
  createAlias(s, profile.id, { task: "echo", name: "live", version: 1 }, ctx()),
);
const ref = { task: "echo", qualifier: "live" };

/** New code for the task (the fixture plus a marker line), published as the next version; the alias moves to it. */
async function publishNext(marker: string): Promise<{ version: number; ms: number }> {
  const t0 = performance.now();
  const folder = mkdtempSync(join(dir, `code-${marker}-`));
  cpSync(fixtureDir("echo-node"), folder, { recursive: true });
  writeFileSync(
    join(folder, "index.mjs"),
    `${readFileSync(join(folder, "index.mjs"), "utf8")}\n// ${marker}\n`,
  );
  await importFolder(store, profile.id, folder);
  const { version } = await store.documents.update((s) =>
    publishVersion(s, profile.id, { task: "echo" }, ctx()),
  );
  await store.documents.update((s) =>
    updateAlias(s, profile.id, { aliasId: alias.id, version: version.version }, ctx()),
  );
  return { version: version.version, ms: performance.now() - t0 };
}

function newEngine(): { scheduler: SandboxScheduler; engine: Engine } {
  const scheduler = new SandboxScheduler({ pool, maxWaitMs: 60_000 });
  schedulers.add(scheduler);
  return { scheduler, engine: new Engine(store, scheduler) };
}

/** Stops every sandbox a scheduler holds (after its running calls end) and gives its VMs back to the pool. */
async function stopSandboxes(scheduler: SandboxScheduler): Promise<number> {
  await scheduler.drain(10_000);
  schedulers.delete(scheduler);
  let stopped = 0;
  for (const [name, report] of scheduler.vmReport(profile.id)) {
    const vm = pool.get(name);
    if (!vm) continue;
    for (const s of report.sandboxes) {
      await vm.session?.unload(s.slot).catch(() => {});
      stopped++;
    }
    pool.release(vm);
  }
  return stopped;
}

interface PhaseStats {
  n: number;
  p50: number;
  p99: number;
  max: number;
  failed: number;
  coldStarts: number;
  versions: Record<string, number>;
  seconds: number;
}
function stats(samples: Sample[], from: number, to: number): PhaseStats {
  const inPhase = samples.filter((s) => s.start >= from && s.start < to);
  const lat = inPhase.filter((s) => s.ok).map((s) => s.end - s.start);
  const versions: Record<string, number> = {};
  for (const s of inPhase) if (s.version) versions[s.version] = (versions[s.version] ?? 0) + 1;
  return {
    n: inPhase.length,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    max: lat.length ? Math.max(...lat) : NaN,
    failed: inPhase.filter((s) => !s.ok).length,
    coldStarts: inPhase.filter((s) => s.cold).length,
    versions,
    seconds: (to - from) / 1000,
  };
}

interface ModeResult {
  mode: "dynamic" | "naive";
  how: string;
  fromVersion: number;
  toVersion: number;
  publishMs: number;
  /** Each sandbox of the line loading, ready or gone, in ms after the deploy (until the end of the after phase). */
  timeline: { ms: number; version: string; state: string; vm: string; slot: number }[];
  /** Naive only: from the deploy until the gate opened again (sandboxes stopped, alias moved, new scheduler). */
  restartMs?: number;
  /** From the deploy until the first answer by the new version, and until the line had moved (see the phases). */
  firstNewMs: number;
  switchMs: number;
  phases: { before: PhaseStats; during: PhaseStats; after: PhaseStats };
  /**
   * The target: of the calls that started 3 s to 8 s after the alias moved, the share the new version
   * answered (≥ 0.99), and the p99 of the calls in the first 3 s against the p99 before (≤ 2).
   */
  target: { newShareAfter3s: number; n: number; p99MoveOverSteady: number };
  errors: string[];
}

const HOW = {
  dynamic:
    "the alias moves to the new version while calls keep coming; the scheduler loads the new code into another " +
    "sandbox in the background, the old sandboxes keep answering until the new one is ready, then it takes the " +
    "calls, the old ones go, and the line grows back on the VMs they freed",
  naive:
    "new calls are held at a gate, running calls finish, every sandbox of the line is stopped (unloaded from its " +
    "VM, the VMs go back to the pool), the alias moves, and a new scheduler takes the held and new calls: its " +
    "first call loads the new code into a blank sandbox while the others wait",
} as const;

async function deployRun(mode: "dynamic" | "naive", fromVersion: number): Promise<ModeResult> {
  let current = newEngine();
  const l = new Load(current.engine, ref, profile.id);
  load = l;
  try {
    say(`${mode}: warming up ${warmupMs / 1000} s at c=${concurrency}`);
    await sleep(warmupMs);
    // The warm-up grows the line (sandboxes, VMs) and the pool restores spares behind it: the baseline starts after.
    const settled = (): boolean =>
      (pool.warmth(profile.id)[0]?.booting ?? 0) === 0 &&
      current.scheduler.snapshot().every((s) => s.state === "ready");
    await waitFor(`${mode}: the pool and the line settling`, settled, 30_000, 100).catch((err: Error) =>
      say(`${err.message}; measuring anyway`),
    );
    const beforeFrom = performance.now();
    await sleep(beforeMs);
    const deployAt = performance.now();
    // Where and when each sandbox of the line loaded, became ready and went, from the deploy on.
    const timeline: { ms: number; version: string; state: string; vm: string; slot: number }[] = [];
    const onSandbox = (e: { version: string; state: string; vm: string; slot: number }): void => {
      timeline.push({
        ms: Math.round(performance.now() - deployAt),
        version: e.version,
        state: e.state,
        vm: e.vm.slice(-8),
        slot: e.slot,
      });
    };
    current.scheduler.on("sandbox", onSandbox);
    let restartMs: number | undefined;
    let published: { version: number; ms: number };
    if (mode === "dynamic") {
      published = await publishNext(`${mode}-${Date.now()}`);
    } else {
      let open!: () => void;
      l.gate = new Promise<void>((r) => (open = r));
      const stopped = await stopSandboxes(current.scheduler);
      published = await publishNext(`${mode}-${Date.now()}`);
      current = newEngine();
      current.scheduler.on("sandbox", onSandbox);
      l.engine = current.engine;
      l.gate = null;
      open();
      restartMs = performance.now() - deployAt;
      say(`${mode}: stopped ${stopped} sandboxes; gate open after ${ms(restartMs)} ms`);
    }
    const to = String(published.version);
    say(`${mode}: alias now at version ${to} (publish ${ms(published.ms)} ms)`);
    // The line has moved once the new version answered 20 calls, the old one began none for 2 s, and no call
    // waited for a sandbox load for 2 s (after a restart the line grows back to its width one load at a time).
    const lastOldStart = (): number =>
      Math.max(
        deployAt,
        ...l.samples.filter((s) => s.version !== null && s.version !== to).map((s) => s.start),
      );
    const lastColdEnd = (): number =>
      Math.max(deployAt, ...l.samples.filter((s) => s.cold && s.start >= deployAt).map((s) => s.end));
    await waitFor(
      `${mode}: the alias's calls moving to version ${to}`,
      () =>
        l.samples.filter((s) => s.start >= deployAt && s.version === to).length > 20 &&
        performance.now() - Math.max(lastOldStart(), lastColdEnd()) > 2000,
      Math.max(5000, Math.min(60_000, run.remainingMs() - afterMs - 10_000)),
    );
    const firstNewEnd = Math.min(...l.samples.filter((s) => s.version === to).map((s) => s.end));
    const switchAt = Math.max(lastOldStart(), firstNewEnd, lastColdEnd());
    // At least 8 s after the deploy: the target counts the calls that started 3 s to 8 s after it.
    await sleep(Math.max(switchAt + afterMs, deployAt + 8000) - performance.now());
    await l.stop();
    load = null;
    const errors = [...new Set(l.samples.filter((s) => !s.ok && s.start >= beforeFrom).map((s) => s.error!))];
    const late = l.samples.filter((s) => s.start >= deployAt + 3000 && s.start < deployAt + 8000);
    const before = stats(l.samples, beforeFrom, deployAt);
    const move = stats(l.samples, deployAt, deployAt + 3000);
    return {
      mode,
      how: HOW[mode],
      fromVersion,
      toVersion: published.version,
      publishMs: published.ms,
      ...(restartMs !== undefined ? { restartMs } : {}),
      firstNewMs: firstNewEnd - deployAt,
      switchMs: switchAt - deployAt,
      phases: {
        before: stats(l.samples, beforeFrom, deployAt),
        during: stats(l.samples, deployAt, switchAt + 0.001),
        after: stats(l.samples, switchAt + 0.001, switchAt + afterMs),
      },
      target: {
        newShareAfter3s: late.length ? late.filter((s) => s.version === to).length / late.length : NaN,
        n: late.length,
        p99MoveOverSteady: move.p99 / before.p99,
      },
      errors: errors.slice(0, 5),
      timeline: timeline.filter((t) => t.ms <= switchAt - deployAt + afterMs),
    };
  } finally {
    if (load === l) {
      await l.stop();
      load = null;
    }
    // The next mode starts from sandboxes of its own: this one's are stopped and its VMs go back to the pool.
    await stopSandboxes(current.scheduler);
  }
}

const result: Record<string, unknown> = {
  name: "deploy",
  date: machine.date,
  machine,
  settings: { concurrency, warmupMs, beforeMs, afterMs, maxSeconds, client: "engine, in-process" },
};
const modes: ModeResult[] = [];
const errors: Record<string, string> = {};
try {
  await pool.start();
  const t0 = performance.now();
  pool.ensure(profile.id);
  await waitFor(
    "a ready VM",
    () => pool.warmth(profile.id)[0]?.ready,
    Math.max(5000, run.remainingMs()),
    100,
  );
  result.firstVmMs = performance.now() - t0;
  say(`first VM (template made if needed) after ${ms(result.firstVmMs as number)} ms`);
  let version = 1;
  for (const mode of ["dynamic", "naive"] as const) {
    try {
      const r = await deployRun(mode, version);
      version = r.toVersion;
      modes.push(r);
      say(`${mode}: ${JSON.stringify(r.phases)}`);
    } catch (err) {
      errors[mode] = (err as Error).message;
      say(`${mode} failed: ${errors[mode]}`);
    }
  }
} finally {
  await cleanup();
}
const durationS = run.finish();
Object.assign(result, { durationS, modes, errors });

const md = [
  `Deploy under load: echo-node through an alias, ${concurrency} closed loops calling the engine in-process ` +
    `(${accel}); ${ms(durationS)} s.`,
  machineLine(machine),
  "",
  ...deploySection(result),
  "",
].join("\n");
writeResults("deploy", result, md);
process.exit(Object.keys(errors).length ? 1 : 0);
