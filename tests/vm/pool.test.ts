// The VM pool on real libvirt VMs: warm-up, refill, restore from a template, health, isolation between profiles.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chooseAccel } from "../../main/vm/accel-probe.ts";
import type { Accel } from "../../main/vm/domain-xml.ts";
import { bootFiles, loadManifest } from "../../main/vm/image-manifest.ts";
import { LibvirtDriver } from "../../main/vm/libvirt-driver.ts";
import { hostIdFor, VmPool, type PooledVm, type VmStateChange } from "../../main/vm/pool.ts";
import { bootVm } from "../../main/vm/vm-boot.ts";
import { slotUidRange, type SandboxSpec } from "../../main/vm/protocol.ts";
import { fixtureDir, fixtureSpec } from "../helpers/fixtures.ts";
import { zipFolder } from "../helpers/zip-folder.ts";

const manifest = loadManifest();
if (!manifest) throw new Error('the guest image is not built: run "npm run image" first');

const driver = new LibvirtDriver();
const dataDir = mkdtempSync(join(tmpdir(), "hearth-pool-"));
let accel: Accel;
let pool: VmPool;
const events: VmStateChange[] = [];

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | null | false,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ready = (profile: string) => pool.list(profile).filter((v) => v.state === "ready");

async function loadFixture(vm: PooledVm, slot: number, name: string): Promise<void> {
  const { zip, sha256 } = await zipFolder(fixtureDir(name));
  await vm.session!.load(slot, fixtureSpec(name, { env: {} }), zip, sha256);
}

before(async () => {
  ({ accel } = await chooseAccel(bootFiles(manifest)));
  pool = new VmPool({
    driver,
    manifest,
    accel,
    dataDir,
    warm: 1,
    maxPerProfile: 3,
    healthIntervalMs: 1000,
    pingTimeoutMs: 2000,
  });
  pool.on("vm-state", (e) => events.push(e));
});

after(async () => {
  await pool?.close();
  const left = (await driver.list()).filter((d) => d.metadata?.host === hostIdFor(dataDir));
  await driver.close();
  assert.deepEqual(
    left.map((d) => d.name),
    [],
    "the pool left VMs behind",
  );
  rmSync(dataDir, { recursive: true, force: true });
});

describe("VM pool on libvirt", () => {
  test("a stale hearth domain from an earlier run of this host is removed at start", async () => {
    const stale = await bootVm(driver, {
      host: pool.hostId,
      profile: "stale",
      accel,
      manifest,
      logDir: join(dataDir, "logs"),
    });
    stale.session.close();
    const other = (await driver.list()).filter(
      (d) => d.metadata?.host !== pool.hostId && d.name.startsWith("hearth-"),
    );
    const removed = await pool.start();
    assert.deepEqual(removed, [stale.name]);
    const names = (await driver.list()).map((d) => d.name);
    assert.ok(!names.includes(stale.name));
    // Another host's VMs are not ours to remove.
    for (const d of other) assert.ok(names.includes(d.name), `${d.name} of another host was removed`);
  });

  test("the pool warms to its target for each profile: booting while the template is saved, then restoring clones", async () => {
    pool.ensure("alice");
    pool.ensure("bob");
    await until(
      "a ready VM for alice and bob",
      180_000,
      () => ready("alice").length === 1 && ready("bob").length === 1,
    );
    // A fresh data directory: the first VMs boot; the template is made beside them, not before them.
    const booted = [...ready("alice"), ...ready("bob")];
    assert.deepEqual(
      booted.map((v) => v.origin),
      ["boot", "boot"],
    );
    await pool.templateSettled();
    assert.ok(pool.figures.templateBootMs! > 0, "the template was saved");
    // From now on spares are restored clones: the booted ones make way for them.
    for (const v of booted) await pool.retire(pool.get(v.name)!, "test: make way for clones");
    await until(
      "restored VMs for alice and bob",
      180_000,
      () => ready("alice").length === 1 && ready("bob").length === 1,
    );
    const [a] = ready("alice");
    const [b] = ready("bob");
    assert.match(a!.name, /^hearth-alice-[0-9a-f]{8}$/);
    assert.match(b!.name, /^hearth-bob-[0-9a-f]{8}$/);
    assert.equal(a!.origin, "restore");
    assert.equal(b!.origin, "restore");
    console.log(
      `# template boot ${pool.figures.templateBootMs!.toFixed(0)} ms, save ${pool.figures.templateSaveMs!.toFixed(0)} ms; ` +
        `first VM booted in ${booted[0]!.readyMs} ms; restore ${a!.restoreMs} ms, restored VM ready ${a!.readyMs} ms`,
    );
    // The two restores share one boot slot: the second one's time from asking includes waiting for the first.
    const firstRestored = Math.min(a!.readyMs!, b!.readyMs!);
    assert.ok(
      firstRestored < pool.figures.templateBootMs!,
      `restoring should beat booting: ${firstRestored} ms against ${pool.figures.templateBootMs} ms`,
    );
    const seen = events.filter((e) => e.vm.name === a!.name).map((e) => e.to);
    assert.deepEqual(seen, ["booting", "ready"]);
  });

  test("what the pool keeps in the data directory (template, console logs) is its owner's alone", () => {
    const seen: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        const info = statSync(path);
        seen.push(path);
        if (info.isDirectory()) {
          assert.equal((info.mode & 0o777).toString(8), "700", path);
          walk(path);
        } else assert.equal(info.mode & 0o077, 0, `${path} is ${(info.mode & 0o777).toString(8)}`);
      }
    };
    walk(dataDir);
    assert.ok(seen.includes(pool.templateFile), `the template is among ${seen.join(", ")}`);
    assert.ok(
      seen.some((p) => p.endsWith(".console.log")),
      "console logs are there",
    );
  });

  test("taking a VM makes it busy and triggers a refill", async () => {
    const vm = await pool.acquire("alice");
    assert.equal(vm.state, "busy");
    const refill = await until("a new spare for alice", 60_000, () =>
      ready("alice").find((v) => v.name !== vm.name),
    );
    assert.equal(refill.profile, "alice");
    pool.release(vm);
    assert.equal(vm.state, "ready");
  });

  test("two profiles never share a VM, and libvirt's metadata says whose each one is", async () => {
    const a = await pool.acquire("alice");
    const b = await pool.acquire("bob");
    assert.equal(a.profile, "alice");
    assert.equal(b.profile, "bob");
    assert.notEqual(a.session, b.session);
    const domains = await driver.list();
    for (const info of pool.list()) {
      const d = domains.find((x) => x.name === info.name);
      if (info.state === "ready" || info.state === "busy")
        assert.equal(d?.metadata?.profile, info.profile, info.name);
    }
    pool.release(a);
    pool.release(b);
  });

  test("two clones of one saved VM draw different random values and run on the host's clock", async () => {
    const a = await pool.acquire("alice");
    const b = await pool.acquire("bob");
    await loadFixture(a, 1, "random");
    await loadFixture(b, 1, "random");
    const ra = JSON.parse((await a.session!.invoke(1, "{}")).payload!);
    const rb = JSON.parse((await b.session!.invoke(1, "{}")).payload!);
    assert.notEqual(ra.uuid, rb.uuid);
    assert.notEqual(ra.math, rb.math);
    assert.notEqual(ra.bytes, rb.bytes);
    for (const r of [ra, rb])
      assert.ok(Math.abs(r.now - Date.now()) < 2000, `guest clock off by ${r.now - Date.now()} ms`);
    pool.release(a);
    pool.release(b);
  });

  test("a restored VM's first load takes a runtime started after the restore: the task's environment only, fresh random values, no Node.js start", async () => {
    // Two fresh clones, nothing loaded in either yet.
    pool.ensure("carol");
    pool.ensure("dave");
    await until("a ready VM for carol and dave", 180_000, () => ready("carol")[0] && ready("dave")[0]);
    const a = await pool.acquire("carol");
    const b = await pool.acquire("dave");
    const spec = (memoryMb: number, env: Record<string, string>): SandboxSpec => ({
      runtime: "nodejs",
      handler: "index.handler",
      functionName: "env-report",
      functionVersion: "$LATEST",
      memoryMb,
      timeoutMs: 5000,
      env,
    });
    const { zip, sha256 } = await zipFolder(fixtureDir("env-report"));
    // The agent starts the waiting runtime right after the resync; give it the time a first request would take.
    await new Promise((r) => setTimeout(r, 3000));
    const la = await a.session!.load(1, spec(128, { SECRET_OF: "carol" }), zip, sha256);
    const lb = await b.session!.load(1, spec(128, { SECRET_OF: "dave" }), zip, sha256);
    assert.equal(la.prewarmed, true, "carol's first load used the prewarmed runtime");
    assert.equal(lb.prewarmed, true, "dave's first load used the prewarmed runtime");
    const ra = JSON.parse((await a.session!.invoke(1, "{}")).payload!);
    const rb = JSON.parse((await b.session!.invoke(1, "{}")).payload!);
    // Exactly the environment a runtime started for the task gets; nothing of the waiting runtime's own.
    assert.equal(ra.env.SECRET_OF, "carol");
    assert.equal(rb.env.SECRET_OF, "dave");
    assert.equal(ra.env._HEARTH_TASK_ON_STDIN, undefined);
    assert.equal(ra.env._HEARTH_PORT, undefined);
    assert.equal(ra.env.AWS_LAMBDA_FUNCTION_NAME, "env-report");
    assert.equal(ra.env.HOME, "/var/sandboxes/1/home");
    assert.equal(ra.cwd, "/var/sandboxes/1/task");
    assert.ok(ra.uid >= slotUidRange(1).first && ra.uid <= slotUidRange(1).last, `uid ${ra.uid}`);
    assert.equal(ra.tmpIsSlots, true, "the prewarmed runtime's /tmp is not its slot's");
    assert.equal(rb.tmpIsSlots, true, "the prewarmed runtime's /tmp is not its slot's");
    // Started after each clone's restore and resync: the clones' draws differ.
    assert.notEqual(ra.uuid, rb.uuid);
    assert.notEqual(ra.math, rb.math);
    // Another size than the prewarmed one's heap starts its own runtime; the prewarmed load skipped that start.
    const plain = await a.session!.load(2, spec(64, { SECRET_OF: "carol" }), zip, sha256);
    assert.equal(plain.prewarmed ?? false, false);
    console.log(
      `# first load on a restored VM: prewarmed ${la.initMs} / ${lb.initMs} ms, a runtime started for it ${plain.initMs} ms`,
    );
    assert.ok(la.initMs < plain.initMs, `prewarmed ${la.initMs} ms vs started ${plain.initMs} ms`);
    await a.session!.unload(1);
    await a.session!.unload(2);
    await b.session!.unload(1);
    pool.release(a);
    pool.release(b);
  });

  test("killing a VM's QEMU process fails its invocation at once, and the VM is replaced", async () => {
    const vm = await pool.acquire("alice");
    await loadFixture(vm, 2, "slow-logger");
    const pid = await driver.pid(vm.name);
    assert.ok(pid, "QEMU pid not found");
    const running = vm.session!.invoke(2, JSON.stringify({ lines: 50 }));
    await new Promise((r) => setTimeout(r, 1000));
    const killedAt = performance.now();
    process.kill(pid, "SIGKILL");
    const outcome = await running;
    const failMs = performance.now() - killedAt;
    assert.equal(outcome.ok, false);
    assert.equal(outcome.fault, "vm");
    assert.equal(outcome.error?.errorType, "Hearth.VmLost");
    assert.ok(failMs < 2000, `the invocation took ${failMs} ms to fail`);
    await until("the killed VM to be marked failed", 5000, () =>
      events.some((e) => e.vm.name === vm.name && e.to === "failed"),
    );
    const detectMs = performance.now() - killedAt;
    await until("alice back at her target", 60_000, () => ready("alice").length >= 1 && !pool.get(vm.name));
    console.log(
      `# killed VM: invocation failed after ${failMs.toFixed(0)} ms, VM failed after ${detectMs.toFixed(0)} ms, replaced after ${(performance.now() - killedAt).toFixed(0)} ms`,
    );
    assert.match(
      events.find((e) => e.vm.name === vm.name && e.to === "failed")!.reason!,
      /agent channel lost/,
    );
  });

  test("a VM whose agent stops answering is failed by the health check and replaced", async () => {
    const vm = await pool.acquire("bob");
    const pid = await driver.pid(vm.name);
    assert.ok(pid);
    const stoppedAt = performance.now();
    process.kill(pid, "SIGSTOP");
    try {
      await until("the frozen VM to be failed", 10_000, () =>
        events.some((e) => e.vm.name === vm.name && e.to === "failed"),
      );
    } finally {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // destroyed already
      }
    }
    console.log(
      `# frozen VM failed by the health check after ${(performance.now() - stoppedAt).toFixed(0)} ms`,
    );
    assert.match(
      events.find((e) => e.vm.name === vm.name && e.to === "failed")!.reason!,
      /health check failed/,
    );
    await until("bob back at his target", 60_000, () => ready("bob").length >= 1);
  });
});
