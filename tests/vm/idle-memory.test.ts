// What an idle profile costs on real VMs: an idle VM gives its spare guest memory back (balloon squeeze), and a
// profile unused for a while gives its VMs back and is served again from a restore on its next call.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandContext } from "../../main/domain/model/command-context.ts";
import { createProfile } from "../../main/domain/access/profiles.ts";
import { Engine } from "../../main/invoke/engine.ts";
import { SandboxScheduler } from "../../main/invoke/sandbox-scheduler.ts";
import { openHearthStore, type HearthStore } from "../../main/store/hearth-store.ts";
import { systemRandom } from "../../main/store/system-random.ts";
import { chooseAccel } from "../../main/vm/accel-probe.ts";
import type { Accel } from "../../main/vm/domain-xml.ts";
import { bootFiles, DEFAULT_VM_MEMORY_MIB, loadManifest } from "../../main/vm/image-manifest.ts";
import { LibvirtDriver } from "../../main/vm/libvirt-driver.ts";
import { VmPool, type PoolOptions } from "../../main/vm/pool.ts";
import { fixtureDir } from "../helpers/fixtures.ts";
import { importFolder } from "../helpers/import-fixture.ts";

const manifest = loadManifest();
if (!manifest) throw new Error('the guest image is not built: run "npm run image" first');

const dataDir = mkdtempSync(join(tmpdir(), "hearth-idle-"));
const driver = new LibvirtDriver();
let store: HearthStore;
let accel: Accel;
const ctx = (): CommandContext => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });

before(async () => {
  accel = (await chooseAccel(bootFiles(manifest))).accel;
  store = await openHearthStore(join(dataDir, "store"));
});

after(async () => {
  await store?.close();
  await driver.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A pool, scheduler and engine over one data directory (the template is made once and kept for the next). */
async function stack(pool: Partial<PoolOptions>, idleProfileMs: number) {
  const p = new VmPool({
    driver,
    manifest: manifest!,
    accel,
    dataDir: join(dataDir, "vm"),
    warm: 1,
    ...pool,
  });
  await p.start();
  const scheduler = new SandboxScheduler({ pool: p, idleProfileMs });
  const engine = new Engine(store, scheduler);
  return {
    pool: p,
    engine,
    close: async () => {
      scheduler.close();
      await p.close();
    },
  };
}

async function newProfileWithEcho(name: string): Promise<string> {
  const r = await store.documents.update((s) => createProfile(s, { name }, ctx()));
  await importFolder(store, r.profile.id, fixtureDir("echo-node"));
  return r.profile.id;
}

/** QEMU's proportional set size for a domain, in MiB (/proc/PID/smaps_rollup). */
async function qemuPssMiB(name: string): Promise<number> {
  const pid = await driver.pid(name);
  assert.ok(pid, `no QEMU process for ${name}`);
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
  assert.ok(m, "smaps_rollup has a Pss line");
  return Number(m[1]) / 1024;
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | null | undefined | false,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("an idle VM gives its spare memory back, and serves at once afterwards", async (t) => {
  // leanIdleMs 0: both VMs (the held one and the spare) stay to be measured.
  const s = await stack({ squeezeIdleMs: 2000, healthIntervalMs: 1000, leanIdleMs: 0 }, 0);
  t.after(() => s.close());
  const squeezed = new Map<string, { guestKeptKb: number; ms: number; interrupted: boolean }>();
  s.pool.on("squeeze", (e) => {
    if (!e.interrupted) squeezed.set(e.vm, e);
  });
  const alice = await newProfileWithEcho("alice");
  const first = await s.engine.invoke({ callerProfileId: alice, ref: { task: "echo" }, payload: '{"n":1}' });
  assert.equal(first.ok, true, JSON.stringify(first.error));
  // The VM that served and its spare both go idle: each is squeezed once.
  const vms = await until("two VMs of alice", 120_000, () => {
    const l = s.pool.list(alice).filter((v) => v.state === "ready" || v.state === "busy");
    return l.length >= 2 ? l : null;
  });
  await until("every VM of alice squeezed", 120_000, () => vms.every((v) => squeezed.has(v.name)));
  const guestMiB = DEFAULT_VM_MEMORY_MIB;
  for (const v of vms) {
    const pss = await qemuPssMiB(v.name);
    const e = squeezed.get(v.name)!;
    t.diagnostic(
      `${v.name} (${v.origin}): QEMU PSS ${pss.toFixed(0)} MiB of a ${guestMiB} MiB guest after a squeeze of ` +
        `${e.ms} ms that left the guest ${Math.round(e.guestKeptKb / 1024)} MiB`,
    );
    assert.ok(
      pss < guestMiB / 2,
      `${v.name}: QEMU holds ${pss.toFixed(0)} MiB, not well under ${guestMiB} MiB`,
    );
  }
  // The balloon is empty again: the VM that served answers at once, and a second sandbox still fits beside it.
  const warm = await s.engine.invoke({ callerProfileId: alice, ref: { task: "echo" }, payload: '{"n":2}' });
  assert.equal(warm.ok, true, JSON.stringify(warm.error));
  assert.equal(warm.coldStart, false);
  assert.deepEqual(JSON.parse(warm.payload!), { echo: { n: 2 }, version: "$LATEST" });
});

test("an idle profile scales to zero, and its next call is served from a restore", async (t) => {
  const s = await stack({ squeezeIdleMs: 0 }, 3000);
  t.after(() => s.close());
  const bob = await newProfileWithEcho("bob");
  const first = await s.engine.invoke({ callerProfileId: bob, ref: { task: "echo" }, payload: '{"n":1}' });
  assert.equal(first.ok, true, JSON.stringify(first.error));
  assert.ok(s.pool.keeps(bob));
  await until("bob's VMs gone", 60_000, () => !s.pool.keeps(bob) && s.pool.list(bob).length === 0);
  // Parked: nothing comes back by itself.
  await new Promise((r) => setTimeout(r, 3000));
  assert.deepEqual(s.pool.list(bob), [], "a parked profile gets no spare");
  const t0 = performance.now();
  const next = await s.engine.invoke({ callerProfileId: bob, ref: { task: "echo" }, payload: '{"n":2}' });
  const ms = performance.now() - t0;
  assert.equal(next.ok, true, JSON.stringify(next.error));
  assert.deepEqual(JSON.parse(next.payload!), { echo: { n: 2 }, version: "$LATEST" });
  assert.equal(next.coldStart, true);
  const served = s.pool.list(bob).find((v) => v.name === next.vm);
  assert.ok(served, `the VM that served (${next.vm}) is bob's`);
  assert.equal(served.origin, "restore", "the VM came from the template, not a boot");
  t.diagnostic(`after scaling to zero, the next call was answered in ${ms.toFixed(0)} ms (restore + load)`);
  assert.ok(s.pool.keeps(bob), "the profile is kept again after its call");
});
