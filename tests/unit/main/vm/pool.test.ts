// Pool rules on a fake driver: targets, refill, boot concurrency, failures with backoff, health, shutdown.
import { afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ImageManifest } from "../../../../main/vm/image-manifest.ts";
import { VmPool, type PoolOptions, type VmStateChange } from "../../../../main/vm/pool.ts";
import { bootVm } from "../../../../main/vm/vm-boot.ts";
import { FakeDriver, type FakeDriverOptions } from "../../../helpers/fake-driver.ts";

const manifest: ImageManifest = {
  schema: 1,
  inputsKey: "f".repeat(64),
  builtAt: "2026-11-23T00:00:00.000Z",
  layout: "rootfs",
  cmdline: "console=ttyS0",
  sandboxSlots: 2,
  kernel: { pkg: "linux-image-fake", version: "1", release: "fake", modules: [] },
  versions: { node: "v20", python: "3.11", busybox: "1.35" },
  files: {
    vmlinuz: { path: "vmlinuz", size: 1, sha256: "0" },
    "initrd.img": { path: "initrd.img", size: 1, sha256: "0" },
    "root.squashfs": { path: "root.squashfs", size: 1, sha256: "0" },
  },
};

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function makePool(driverOpts: FakeDriverOptions = {}, poolOpts: Partial<PoolOptions> = {}) {
  const driver = new FakeDriver(driverOpts);
  const dataDir = mkdtempSync(join(tmpdir(), "hearth-pool-unit-"));
  const pool = new VmPool({
    driver,
    manifest,
    accel: "tcg",
    dataDir,
    imageDir: "/nonexistent",
    healthIntervalMs: 50,
    pingTimeoutMs: 100,
    ...poolOpts,
  });
  const events: VmStateChange[] = [];
  pool.on("vm-state", (e) => events.push(e));
  cleanup.push(async () => {
    await pool.close();
    await driver.close();
  });
  return { driver, pool, events, dataDir };
}

async function until(what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const readyCount = (pool: VmPool, profile: string) =>
  pool.list(profile).filter((v) => v.state === "ready").length;

test("warms each profile to its target: booting while the template is saved in the background, then restoring", async () => {
  const { pool, driver } = makePool({}, { warm: 2 });
  await pool.start();
  pool.ensure("alice");
  await until("two ready VMs", () => readyCount(pool, "alice") === 2);
  // A fresh install: nobody waits for a template boot, a save and a restore.
  assert.ok(pool.list("alice").every((v) => v.origin === "boot"));
  await pool.templateSettled();
  assert.ok(existsSync(pool.templateFile), "the template was saved meanwhile");
  assert.equal(driver.creates, 3, "the two VMs and the template's");
  // Once it exists, new VMs are restored clones.
  const [first] = pool.list("alice");
  await pool.retire(pool.get(first!.name)!, "test");
  await until("a restored replacement", () => readyCount(pool, "alice") === 2);
  assert.equal(driver.restores, 1);
  assert.ok(
    pool.list("alice").some((v) => v.origin === "restore" && /^hearth-alice-[0-9a-f]{8}$/.test(v.name)),
  );
  const names = (await driver.list()).map((d) => d.metadata?.profile);
  assert.deepEqual(names.sort(), ["alice", "alice"]);
});

test("acquire takes a ready VM and refills behind it; release returns it", async () => {
  const { pool } = makePool({}, { warm: 1, refill: "boot" });
  await pool.start();
  const vm = await pool.acquire("bob");
  assert.equal(vm.state, "busy");
  assert.equal(vm.profile, "bob");
  await until("a refill", () => readyCount(pool, "bob") === 1);
  pool.release(vm);
  assert.equal(readyCount(pool, "bob"), 2);
});

test("never boots more VMs at once than allowed, and never more than the profile maximum", async () => {
  const { pool, driver } = makePool(
    { bootDelayMs: 50 },
    { warm: 6, maxPerProfile: 4, maxConcurrentBoots: 2, refill: "boot" },
  );
  await pool.start();
  pool.ensure("carol");
  await until("four VMs", () => readyCount(pool, "carol") === 4);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(pool.list("carol").length, 4);
  assert.equal(driver.maxConcurrentStarts, 2);
});

test("profiles never share a VM", async () => {
  const { pool } = makePool({}, { warm: 1, refill: "boot" });
  await pool.start();
  const [a, b] = await Promise.all([pool.acquire("alice"), pool.acquire("bob")]);
  assert.equal(a.profile, "alice");
  assert.equal(b.profile, "bob");
  assert.notEqual(a.name, b.name);
  const again = await pool.acquire("alice");
  assert.equal(again.profile, "alice");
});

test("a failing boot is recorded, backed off, and the waiter hears the reason", async () => {
  const { pool, events } = makePool({ failCreate: /hearth-dave-/ }, { warm: 1, refill: "boot" });
  const problems: string[] = [];
  pool.on("problem", (p) => problems.push(p.message));
  await pool.start();
  await assert.rejects(pool.acquire("dave", 300), /NO_VM_AVAILABLE: .*last failure: .*refused/);
  const firstVm = events.find((e) => e.vm.profile === "dave")!.vm.name;
  const first = events.filter((e) => e.vm.name === firstVm).map((e) => e.to);
  assert.deepEqual(first, ["booting", "failed", "gone"]);
  assert.ok(problems.some((m) => m.includes("failed to start")));
  // Backoff: far fewer attempts than a tight loop would make in 300 ms.
  assert.ok(events.filter((e) => e.vm.profile === "dave" && e.to === "booting").length <= 4);
  // The pool's status says why, for as long as none of the profile's VMs is up.
  const [dave] = pool.warmth("dave");
  assert.match(dave?.failing ?? "", /refused/);
});

test("a VM whose channel closes (QEMU died) is failed and replaced", async () => {
  const { pool, driver, events } = makePool({}, { warm: 1, refill: "boot" });
  await pool.start();
  const vm = await pool.acquire("erin");
  await driver.kill(vm.name);
  await until("failed", () => events.some((e) => e.vm.name === vm.name && e.to === "failed"));
  assert.match(events.find((e) => e.vm.name === vm.name && e.to === "failed")!.reason!, /agent channel lost/);
  await until("replacement", () => readyCount(pool, "erin") >= 1);
  assert.equal(pool.get(vm.name), undefined);
});

test("a VM whose agent stops answering pings is failed by the health check", async () => {
  let hang = "";
  const { pool, events } = makePool({ hangPings: (n) => n === hang }, { warm: 1, refill: "boot" });
  await pool.start();
  const vm = await pool.acquire("fred");
  hang = vm.name;
  await until("health failure", () => events.some((e) => e.vm.name === vm.name && e.to === "failed"), 3000);
  assert.match(
    events.find((e) => e.vm.name === vm.name && e.to === "failed")!.reason!,
    /health check failed/,
  );
});

test("a busy VM whose agent is late but whose sandboxes answer is kept a while, then failed if it stays silent", async () => {
  let hang = "";
  const { pool, events } = makePool({ hangPings: (n) => n === hang }, { warm: 1, refill: "boot" });
  await pool.start();
  const vm = await pool.acquire("fred");
  hang = vm.name;
  // Its sandboxes keep answering (a frame every 20 ms) while its agent answers no ping.
  const answering = setInterval(() => (vm.session!.heardAt = performance.now()), 20);
  try {
    const t0 = performance.now();
    // Pings time out after 100 ms: a VM failed on the first would be failed within ~150 ms.
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(
      !events.some((e) => e.vm.name === vm.name && e.to === "failed"),
      "a VM whose sandboxes answer is not failed for one late ping",
    );
    await until("health failure", () => events.some((e) => e.vm.name === vm.name && e.to === "failed"), 3000);
    assert.ok(performance.now() - t0 >= 350, "failed only after four ping timeouts of silence");
    assert.match(
      events.find((e) => e.vm.name === vm.name && e.to === "failed")!.reason!,
      /health check failed: .*its agent silent for \d+ ms/,
    );
  } finally {
    clearInterval(answering);
  }
});

test("start removes this host's leftovers only; close destroys everything", async () => {
  const { pool, driver, dataDir } = makePool({}, { warm: 1, refill: "boot" });
  const logDir = join(dataDir, "logs");
  const mine = await bootVm(driver, {
    host: pool.hostId,
    profile: "old",
    accel: "tcg",
    manifest,
    imageDir: "/x",
    logDir,
  });
  const theirs = await bootVm(driver, {
    host: "another-host",
    profile: "old",
    accel: "tcg",
    manifest,
    imageDir: "/x",
    logDir,
  });
  mine.session.close();
  theirs.session.close();
  assert.deepEqual(await pool.start(), [mine.name]);
  pool.ensure("gina");
  await until("ready", () => readyCount(pool, "gina") === 1);
  await pool.close();
  assert.deepEqual(
    (await driver.list()).map((d) => d.name),
    [theirs.name],
  );
  assert.throws(() => pool.ensure("gina"), /POOL_CLOSED/);
});

test("the reserved template profile cannot be used", () => {
  const { pool } = makePool();
  assert.throws(() => pool.ensure("template"), /INVALID_PROFILE/);
});

test("an idle profile holding a VM gives its spare back, and gets one again when it is used", async () => {
  const { pool } = makePool({}, { warm: 1, leanIdleMs: 200 });
  await pool.start();
  const held = await pool.acquire("p1");
  await until("a spare beside the held VM", () => pool.list("p1").some((v) => v.state === "ready"));
  await until(
    "the spare given back",
    () => pool.list("p1").filter((v) => v.state !== "gone").length === 1,
    3000,
  );
  assert.equal(pool.list("p1")[0]!.name, held.name, "the held VM (with its warm sandboxes) stays");
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(pool.list("p1").length, 1, "no spare comes back while the profile stays idle");
  held.touch();
  await until("a spare again after the profile was used", () =>
    pool.list("p1").some((v) => v.state === "ready"),
  );
  pool.release(held);
});

test("a spare that finishes starting after its profile was parked goes too", async () => {
  const { pool } = makePool({ bootDelayMs: 300 }, { warm: 1, refill: "boot" });
  await pool.start();
  pool.ensure("gina");
  await until("gina's spare booting", () => pool.list("gina").some((v) => v.state === "booting"));
  // Scaled to zero while the spare still starts: it must not stay behind as a ready VM of a parked profile.
  pool.park("gina");
  assert.equal(pool.keeps("gina"), false);
  await until("gina has no VM", () => pool.list("gina").length === 0, 3000);
});

test("an idle profile without a held VM keeps its spare", async () => {
  const { pool } = makePool({}, { warm: 1, leanIdleMs: 100 });
  await pool.start();
  pool.ensure("p1");
  await until("a spare", () => pool.list("p1").some((v) => v.state === "ready"));
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(pool.list("p1").filter((v) => v.state === "ready").length, 1);
});
